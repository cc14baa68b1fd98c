#pragma once
// Planning helpers of the ops that make a layout (tile_to_layout, reproject): what would fit when the
// layer does not, and the warning when `scheme: zoom` picks a zoom far finer than the data.
#include <functional>
#include <string>

#include "core/metadata.hpp"
#include "job/plan.hpp"
#include "ops/common/layout_args.hpp"

namespace trellis::ops {

// When a layer planned with `a` (plus `working` bytes per rank) does not fit ctx's headroom: the
// change of layout that would, "zoom: 6" (scheme: zoom, shallower zooms) or "tile_size: 256" (float,
// smaller tiles), else "". `plan_with(b)` plans the layer with other layout arguments. Not collective,
// deterministic.
// The shape of a tiled layer planned with `a` (`plan_with(a)`), working in rounds of `round_mb` MiB,
// with layout_fits_hint's change when it does not fit. Not collective, deterministic.
job::Shape layout_shape(const job::PlanContext& ctx, const LayoutArgs& a, std::int64_t round_mb,
                        const std::function<job::PlannedLayer(const LayoutArgs&)>& plan_with);

std::string layout_fits_hint(const job::PlanContext& ctx, const LayoutArgs& a, const LayerMetadata& md,
                             std::uint64_t working,
                             const std::function<job::PlannedLayer(const LayoutArgs&)>& plan_with);

// `scheme: zoom` measures the cell size where GeoTrellis does, at the extent's south-west corner; near
// the poles that picks a zoom far finer than the data. When the layer's grid over its extent holds more
// than 4x `input_cells`, warns (PlanContext::warn) naming the zoom that matches the data at the layer's
// centre: the zoom of `cs` at `centre` in `out`'s CRS. Not collective.
void warn_if_zoom_finer_than_data(job::PlanContext& ctx, const LayerMetadata& out, const Extent& extent,
                                  double input_cells, double centre_x, double centre_y, const CellSize& cs,
                                  const LayoutArgs& a);

}  // namespace trellis::ops
