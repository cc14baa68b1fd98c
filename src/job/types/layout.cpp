#include "job/types/layout.hpp"

#include <climits>
#include <cmath>

namespace trellis::job {

Extent ParamTraits<Extent>::parse(const ParamValue& v, const ValueContext& c) {
  Extent e;
  if (v.is_list() && v.as_list().size() == 4) {
    const auto& l = v.as_list();
    for (const auto& x : l)
      if (!x.is_number()) c.fail(x.mark, "extent values must be numbers, got " + x.to_string());
    e = {l[0].as_double(), l[1].as_double(), l[2].as_double(), l[3].as_double()};
  } else if (v.is_map()) {
    const auto& m = v.as_map();
    for (const auto& [k, x] : m)
      if (k != "xmin" && k != "ymin" && k != "xmax" && k != "ymax")
        c.fail(x.mark, "unknown extent field '" + k + "' (xmin, ymin, xmax, ymax)");
    auto get = [&](const char* k) {
      auto it = m.find(k);
      if (it == m.end() || !it->second.is_number())
        c.fail(it == m.end() ? v.mark : it->second.mark, std::string("extent needs a number '") + k + "'");
      return it->second.as_double();
    };
    e = {get("xmin"), get("ymin"), get("xmax"), get("ymax")};
  } else {
    c.fail(v.mark,
           "extent must be [xmin, ymin, xmax, ymax] or {xmin, ymin, xmax, ymax}, got " + v.to_string());
  }
  if (!std::isfinite(e.xmin) || !std::isfinite(e.ymin) || !std::isfinite(e.xmax) || !std::isfinite(e.ymax) ||
      e.empty())
    c.fail(v.mark, "extent is empty (xmax <= xmin or ymax <= ymin)");
  return e;
}

TileLayout ParamTraits<TileLayout>::parse(const ParamValue& v, const ValueContext& c) {
  if (!v.is_map()) c.fail(v.mark, "layout must be a map {layout_cols, layout_rows, tile_cols, tile_rows}");
  const auto& m = v.as_map();
  for (const auto& [k, x] : m)
    if (k != "layout_cols" && k != "layout_rows" && k != "tile_cols" && k != "tile_rows")
      c.fail(x.mark, "unknown layout field '" + k + "' (layout_cols, layout_rows, tile_cols, tile_rows)");
  auto get = [&](const char* k, long max) -> long {
    auto it = m.find(k);
    if (it == m.end() || !it->second.is_int() || it->second.as_int() < 1 || it->second.as_int() > max)
      c.fail(it == m.end() ? v.mark : it->second.mark, std::string("layout needs a positive integer '") + k +
                                                           "' (at most " + std::to_string(max) + ")");
    return static_cast<long>(it->second.as_int());
  };
  return TileLayout{get("layout_cols", INT_MAX), get("layout_rows", INT_MAX),
                    static_cast<int>(get("tile_cols", 65536)), static_cast<int>(get("tile_rows", 65536))};
}

}  // namespace trellis::job
