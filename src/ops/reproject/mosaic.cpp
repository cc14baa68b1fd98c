// The mosaic of source tiles a destination tile is warped from, and the warp (GDAL's kernel, or the
// written-out bilinear of separable.hpp).
#include <algorithm>

#include "ops/reproject/reprojector_parts.hpp"
#include "ops/reproject/separable.hpp"

namespace trellis::ops::reproject_detail {

void blit(const Tile& src, long oc, long orow, Tile& m, bool data_only) {
  if (oc >= m.cols() || orow >= m.rows() || oc + src.cols() <= 0 || orow + src.rows() <= 0) return;
  const int c = static_cast<int>(oc), r = static_cast<int>(orow);
  if (data_only)
    m.paste_data(src, c, r);
  else
    m.paste(src, c, r);
}

std::optional<Tile> Reprojector::mosaic_for(const DestPlan& plan,
                                            const std::map<SpaceTimeKey, Tile>& received) const {
  if (plan.cols <= 0 || plan.rows <= 0) return std::nullopt;
  if (plan.cols > INT_MAX || plan.rows > INT_MAX)
    throw IoError("reproject: the source region of tile (" + std::to_string(plan.key.col) + ", " +
                  std::to_string(plan.key.row) + ") is too large");
  Tile mosaic(in_.md.cell_type, static_cast<int>(plan.cols), static_cast<int>(plan.rows), in_.md.bands);
  const bool data_only = in_.md.cell_type.has_nodata() || in_.md.cell_type.is_float();
  bool any = false;
  for (const auto& pl : plan.placements) {
    const Tile* t = nullptr;
    if (auto it = in_.tiles.find(pl.key); it != in_.tiles.end())
      t = &it->second;
    else if (auto jt = received.find(pl.key); jt != received.end())
      t = &jt->second;
    if (!t) continue;
    Tile converted;
    if (!(t->cell_type() == in_.md.cell_type)) {
      converted = t->convert(in_.md.cell_type);
      t = &converted;
    }
    long oc = static_cast<long>(pl.key.col) * stc_ - static_cast<long>(pl.shift) * period_cells_ - plan.c0;
    long orow = static_cast<long>(pl.key.row) * str_ - plan.r0;
    blit(*t, oc, orow, mosaic, data_only);
    any = true;
  }
  if (!any) return std::nullopt;
  return mosaic;
}

Tile Reprojector::blank_tile() const {
  const TileLayout& tl = md_.layout.tile_layout;
  return Tile(md_.cell_type, tl.tile_cols, tl.tile_rows, md_.bands);
}

Tile Reprojector::warp_mosaic(const DestPlan& plan, const Tile& mosaic) const {
  const LayoutDefinition& Lt = md_.layout;
  if (mosaic.cols() != plan.cols || mosaic.rows() != plan.rows || !(mosaic.cell_type() == in_.md.cell_type))
    throw IoError("reproject: the mosaic of tile (" + std::to_string(plan.key.col) + ", " +
                  std::to_string(plan.key.row) + ") does not match its plan");
  GridExtent mg{{in_.md.layout.extent.xmin + static_cast<double>(plan.c0) * scw_,
                 in_.md.layout.extent.ymax - static_cast<double>(plan.r0 + plan.rows) * sch_,
                 in_.md.layout.extent.xmin + static_cast<double>(plan.c0 + plan.cols) * scw_,
                 in_.md.layout.extent.ymax - static_cast<double>(plan.r0) * sch_},
                plan.cols,
                plan.rows};
  // Only the cells inside the layer's extent are warped (the window write_geotiff stitches, the grid gdalwarp
  // writes): GDAL estimates its kernel's scale from the source window a chunk maps to, so a chunk reaching
  // beyond the data would be scaled differently from the same cells in gdalwarp's output.
  const long tc = Lt.tile_layout.tile_cols, tr = Lt.tile_layout.tile_rows;
  const long kc0 = static_cast<long>(plan.key.col) * tc, kr0 = static_cast<long>(plan.key.row) * tr;
  const long c0 = std::max(kc0, out_window_.c0), c1 = std::min(kc0 + tc, out_window_.c1);
  const long r0 = std::max(kr0, out_window_.r0), r1 = std::min(kr0 + tr, out_window_.r1);
  if (c1 <= c0 || r1 <= r0) return blank_tile();
  const io::WarpSource src{&mosaic, mg, in_.md.crs};
  const bool shifted = std::any_of(plan.placements.begin(), plan.placements.end(),
                                   [](const Placement& p) { return p.shift != 0; });
  const io::FramePlacement placement{grid_tr(), plan.c0 - window_.c0, plan.r0 - window_.r0,
                                     c0 - out_window_.c0, r0 - out_window_.r0};
  const io::FramePlacement* pl = placement.transform && !shifted ? &placement : nullptr;
  const bool whole = c1 - c0 == tc && r1 - r0 == tr;
  const GridExtent dg = whole ? Lt.tile_grid(plan.key.col, plan.key.row) : window_grid(Lt, c0, r0, c1, r1);
  // Bilinear upsampling through a separable transformation is written out (separable.hpp), else GDAL.
  std::optional<Tile> native;
  if (!shifted && bilinear_natively(method_, md_.cell_type) && mosaic.cell_type() == md_.cell_type)
    if (const std::optional<SeparableMap> map = separable_map(inv(), dg, mg)) {
      native = bilinear_separable(mosaic, *map);
      ++native_;
    }
  if (whole) return native ? std::move(*native) : io::warp(src, dg, md_.crs, md_.cell_type, method_, 1, pl);
  Tile part = native ? std::move(*native) : io::warp(src, dg, md_.crs, md_.cell_type, method_, 1, pl);
  Tile out = blank_tile();
  blit(part, c0 - kc0, r0 - kr0, out, false);
  return out;
}

Tile Reprojector::warp_dest(const DestPlan& plan, const std::map<SpaceTimeKey, Tile>& received) const {
  std::optional<Tile> mosaic = mosaic_for(plan, received);
  return mosaic ? warp_mosaic(plan, *mosaic) : blank_tile();
}

}  // namespace trellis::ops::reproject_detail
