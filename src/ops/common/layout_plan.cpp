// Planning helpers of the layout-making ops (layout_plan.hpp).
#include "ops/common/layout_plan.hpp"

#include <cmath>

#include "core/error.hpp"
#include "job/args_access.hpp"

namespace trellis::ops {

std::string layout_fits_hint(const job::PlanContext& ctx, const LayoutArgs& a, const LayerMetadata& md,
                             std::uint64_t working,
                             const std::function<job::PlannedLayer(const LayoutArgs&)>& plan_with) {
  auto fits = [&](const LayoutArgs& b) {
    try {
      return ctx.fits(plan_with(b), working);
    } catch (const JobError&) {
      return false;
    }
  };
  if (a.explicit_layout()) return "";
  LayoutArgs b = a;
  if (a.scheme == LayoutSchemeKind::Zoom) {
    for (int z = md.zoom.value_or(0) - 1; z >= 0; --z) {
      b.zoom = z;
      if (fits(b)) return "zoom: " + std::to_string(z);
    }
    return "";
  }
  for (int ts = a.tile_size / 2; ts >= 16; ts /= 2) {
    b.tile_size = ts;
    if (fits(b)) return "tile_size: " + std::to_string(ts);
  }
  return "";
}

job::Shape layout_shape(const job::PlanContext& ctx, const LayoutArgs& a, std::int64_t round_mb,
                        const std::function<job::PlannedLayer(const LayoutArgs&)>& plan_with) {
  job::Shape s;
  s.kind = job::ValueKind::TiledLayer;
  s.levels.push_back(plan_with(a));
  s.working_bytes_per_rank = job::round_working_bytes(round_mb);
  if (!ctx.fits(s, s.working_bytes_per_rank))
    s.fits_hint = layout_fits_hint(ctx, a, s.levels.front().md, s.working_bytes_per_rank, plan_with);
  return s;
}

void warn_if_zoom_finer_than_data(job::PlanContext& ctx, const LayerMetadata& out, const Extent& extent,
                                  double input_cells, double centre_x, double centre_y, const CellSize& cs,
                                  const LayoutArgs& a) {
  if (a.scheme != LayoutSchemeKind::Zoom || a.zoom || !out.zoom || input_cells <= 0) return;
  const CellSize oc = out.layout.cell_size();
  const double cells = (extent.width() / oc.width) * (extent.height() / oc.height);
  if (!(cells > 4 * input_cells)) return;
  std::string centre;
  try {
    const int z =
        ZoomedLayoutScheme(out.crs, a.tile_size, a.resolution_threshold).zoom(centre_x, centre_y, cs);
    if (z < *out.zoom) centre = "; zoom " + std::to_string(z) + " matches the data at the layer's centre";
  } catch (const JobError&) {
  }
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, "%.0fx", cells / input_cells);
  ctx.warn("step '" + ctx.params.step_id() + "': scheme: zoom picked zoom " + std::to_string(*out.zoom) +
               ", whose grid over the layer holds " + ratio +
               " its input's cells (GeoTrellis measures the cell at the extent's south-west corner, "
               "which near the poles is far smaller than the data's)" +
               centre + "; give `zoom` to choose",
           {{"event", "zoom_finer_than_data"}, {"step", ctx.params.step_id()}, {"zoom", *out.zoom}});
}

}  // namespace trellis::ops
