#include "ops/param_helpers.hpp"

#include <climits>
#include <cmath>

namespace trellis::ops {

Extent parse_extent(const job::Params& p, const std::string& name) {
  const auto& v = p.raw(name);
  Extent e;
  if (v.is_list() && v.as_list().size() == 4) {
    const auto& l = v.as_list();
    for (const auto& x : l)
      if (!x.is_number()) throw p.error(name, "extent values must be numbers");
    e = {l[0].as_double(), l[1].as_double(), l[2].as_double(), l[3].as_double()};
  } else if (v.is_map()) {
    const auto& m = v.as_map();
    for (const auto& [k, _] : m)
      if (k != "xmin" && k != "ymin" && k != "xmax" && k != "ymax")
        throw p.error(name, "unknown extent field '" + k + "' (xmin, ymin, xmax, ymax)");
    auto get = [&](const char* k) {
      auto it = m.find(k);
      if (it == m.end() || !it->second.is_number())
        throw p.error(name, std::string("extent needs a number '") + k + "'");
      return it->second.as_double();
    };
    e = {get("xmin"), get("ymin"), get("xmax"), get("ymax")};
  } else {
    throw p.error(name, "extent must be [xmin, ymin, xmax, ymax] or {xmin, ymin, xmax, ymax}");
  }
  if (!std::isfinite(e.xmin) || !std::isfinite(e.ymin) || !std::isfinite(e.xmax) || !std::isfinite(e.ymax) ||
      e.empty())
    throw p.error(name, "extent is empty (xmax <= xmin or ymax <= ymin)");
  return e;
}

TileLayout parse_tile_layout(const job::Params& p, const std::string& name) {
  const auto& v = p.raw(name);
  if (!v.is_map())
    throw p.error(name, "layout must be a map {layout_cols, layout_rows, tile_cols, tile_rows}");
  const auto& m = v.as_map();
  for (const auto& [k, _] : m)
    if (k != "layout_cols" && k != "layout_rows" && k != "tile_cols" && k != "tile_rows")
      throw p.error(name,
                    "unknown layout field '" + k + "' (layout_cols, layout_rows, tile_cols, tile_rows)");
  auto get = [&](const char* k, long max) -> long {
    auto it = m.find(k);
    if (it == m.end() || !it->second.is_int() || it->second.as_int() < 1 || it->second.as_int() > max)
      throw p.error(name, std::string("layout needs a positive integer '") + k + "' (at most " +
                              std::to_string(max) + ")");
    return static_cast<long>(it->second.as_int());
  };
  return TileLayout{get("layout_cols", INT_MAX), get("layout_rows", INT_MAX),
                    static_cast<int>(get("tile_cols", 65536)), static_cast<int>(get("tile_rows", 65536))};
}

}  // namespace trellis::ops
