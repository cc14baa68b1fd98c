#pragma once
// Layout parameters: an extent ([xmin, ymin, xmax, ymax] or {xmin:, ymin:, xmax:, ymax:}) and
// GeoPySpark's TileLayout ({layout_cols, layout_rows, tile_cols, tile_rows}).
#include "core/extent.hpp"
#include "core/layout.hpp"
#include "job/param_traits.hpp"

namespace trellis::job {

// Finite and not empty.
template <>
struct ParamTraits<Extent> {
  static constexpr ParamType shape = ParamType::Any;
  static std::string type_name() { return "extent"; }
  static Extent parse(const ParamValue& v, const ValueContext& c);
};

// Positive counts; tiles at most 65536 cells on a side.
template <>
struct ParamTraits<TileLayout> {
  static constexpr ParamType shape = ParamType::Any;
  static std::string type_name() { return "tile layout"; }
  static TileLayout parse(const ParamValue& v, const ValueContext& c);
};

}  // namespace trellis::job
