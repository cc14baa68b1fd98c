// The target of a reprojection (reproject.hpp): the layout and grid, from the input's metadata and the
// parameters alone.
#include <algorithm>
#include <cmath>

#include "ops/reproject/geometry.hpp"
#include "ops/reproject/reproject.hpp"

namespace trellis::ops {

namespace {

// The reprojected extent and cell size of the whole layer (GDAL's suggestion), in the target CRS.
TargetGrid reprojected_grid(const LayerMetadata& in, const CrsInfo& src, const CrsInfo& tgt) {
  if (in.crs.equivalent(tgt.crs)) return {in.extent, in.layout.cell_size()};
  CellWindow w = data_window(in);
  if (w.empty()) throw JobError("the input layer has an empty extent");
  GridExtent g = window_grid(in.layout, w.c0, w.r0, w.c1, w.r1);
  if (src.geographic && tgt.mercator) {
    // Mercator has no poles: clip at its latitude limit first.
    Extent e = g.extent;
    e.ymin = std::max(e.ymin, -kMercatorMaxLatitude);
    e.ymax = std::min(e.ymax, kMercatorMaxLatitude);
    if (e.empty()) throw JobError("the layer lies beyond the Mercator latitude limit (+-85.0511 degrees)");
    CellSize cs = g.cell_size();
    g = GridExtent{e, std::max(1L, std::lround(e.width() / cs.width)),
                   std::max(1L, std::lround(e.height() / cs.height))};
  }
  std::string dst_srs = io::gdal_srs(tgt.crs);
  double x_shift = 0;
  if (tgt.period > 0) {
    // A footprint across the antimeridian: ask GDAL in a CRS centred on it, so the extent is continuous.
    std::vector<double> xs, ys;
    sample_extent(g.extent, 40, 9, xs, ys);
    Transform(in.crs, tgt.crs).apply(xs, ys);
    auto raw = points_envelope(xs, ys, 0);
    auto env = points_envelope(xs, ys, tgt.period);
    if (raw && env && env->width() < raw->width()) {
      if (tgt.geographic) {
        dst_srs = tgt.crs.proj4() + "+lon_wrap=" + fmt_double(env->center_x());
      } else {  // WebMercator: x = R * lon (radians); the same CRS with lon_0 moved, shifted back after
        double lon0 = env->center_x() / (kEarthRadius * kPi / 180.0);
        dst_srs = "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=" + fmt_double(lon0) +
                  " +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs";
        x_shift = kEarthRadius * lon0 * kPi / 180.0;
      }
    }
  }
  GridExtent s = io::suggested_warp_output(g, in.crs, dst_srs);
  s.extent.xmin += x_shift;
  s.extent.xmax += x_shift;
  return {s.extent, s.cell_size()};
}

}  // namespace

TargetGrid suggested_grid(const LayerMetadata& in, const Crs& target) {
  return reprojected_grid(in, CrsInfo(in.crs), CrsInfo(target));
}

ReprojectTarget plan_reproject(const LayerMetadata& in, const ReprojectArgs& a) {
  ReprojectTarget t;
  LayerMetadata& md = t.md;
  md.crs = a.target_crs;
  md.cell_type = in.cell_type;
  md.bands = in.bands;
  md.temporal = in.temporal;
  if (auto explicit_layout = a.explicit_layout()) {
    md.layout = *explicit_layout;
    t.extent_from_footprint = true;
    return t;
  }
  const CrsInfo src(in.crs), tgt(md.crs);
  const int ts = a.tile_size;
  if (a.scheme == LayoutSchemeKind::Zoom) {
    ZoomedLayoutScheme zs(md.crs, ts, a.resolution_threshold);
    LayoutLevel lvl;
    if (a.zoom) {
      lvl = zs.level_for_zoom(*a.zoom);
    } else {
      TargetGrid g = reprojected_grid(in, src, tgt);
      // The zoom is measured at the extent's south-west corner: bring it back into the world.
      Extent e = g.extent;
      if (tgt.period > 0) {
        double half = tgt.period / 2;
        while (e.xmin >= half) e.xmin -= tgt.period, e.xmax -= tgt.period;
        while (e.xmin < -half) e.xmin += tgt.period, e.xmax += tgt.period;
      }
      try {
        lvl = zs.level_for(e, g.cs);
      } catch (const JobError& err) {
        throw JobError(std::string("scheme 'zoom': ") + err.what());
      }
    }
    md.layout = lvl.layout;
    md.zoom = lvl.zoom;
    t.extent_from_footprint = true;
  } else {
    TargetGrid g = reprojected_grid(in, src, tgt);
    md.layout = FloatingLayoutScheme{ts, ts}.level_for(g.extent, g.cs);
    md.extent = g.extent;
    md.zoom = 0;
    t.extent_from_footprint = false;
  }
  return t;
}

}  // namespace trellis::ops
