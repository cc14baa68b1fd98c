#include "io/geos.hpp"

#include <geos_c.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace trellis::io {

class PolygonClipper::Impl {
 public:
  Impl() {
    h_ = GEOS_init_r();
    GEOSContext_setErrorMessageHandler_r(h_, &Impl::on_error, this);
    reader_ = GEOSWKBReader_create_r(h_);
    writer_ = GEOSWKBWriter_create_r(h_);
  }
  ~Impl() {
    unload();
    if (writer_) GEOSWKBWriter_destroy_r(h_, writer_);
    if (reader_) GEOSWKBReader_destroy_r(h_, reader_);
    GEOS_finish_r(h_);
  }
  // Makes feature `f` (its WKB) the current geometry.
  void load(std::size_t f, const std::vector<unsigned char>& wkb) {
    if (loaded_ && feature_ == f) return;
    unload();
    geom_ = GEOSWKBReader_read_r(h_, reader_, wkb.data(), wkb.size());
    if (!geom_) throw IoError("GEOS cannot read a polygon: " + error_);
    // An invalid polygon (self-intersecting ring, overlapping parts) gets no GEOS predicate or clipping,
    // whose results would be undefined: every tile it meets is rasterized with the whole polygon by GDAL
    // (its even-odd rule, what gdal_rasterize does with such a polygon).
    valid_ = GEOSisValid_r(h_, geom_) == 1;
    prepared_ = valid_ ? GEOSPrepare_r(h_, geom_) : nullptr;  // null: every tile is treated as crossed
    feature_ = f;
    loaded_ = true;
  }

  PolygonClipper::Relation relate(const Extent& e) {
    if (!prepared_) return PolygonClipper::Relation::Partial;
    GEOSGeometry* box = GEOSGeom_createRectangle_r(h_, e.xmin, e.ymin, e.xmax, e.ymax);
    if (!box) return PolygonClipper::Relation::Partial;
    PolygonClipper::Relation r = PolygonClipper::Relation::Partial;
    char meets = GEOSPreparedIntersects_r(h_, prepared_, box);
    if (meets == 0) {
      r = PolygonClipper::Relation::Disjoint;
    } else if (meets == 1 && GEOSPreparedContains_r(h_, prepared_, box) == 1) {
      r = PolygonClipper::Relation::Inside;
    }
    GEOSGeom_destroy_r(h_, box);
    return r;
  }

  // The polygons of (current geometry ∩ e) as WKB; the whole geometry's polygons when it is invalid or
  // GEOS cannot clip it: GDAL then rasterizes them over the tile.
  std::vector<std::vector<unsigned char>> clip(const Extent& e) {
    std::vector<std::vector<unsigned char>> out;
    GEOSGeometry* c = valid_ ? GEOSClipByRect_r(h_, geom_, e.xmin, e.ymin, e.xmax, e.ymax) : nullptr;
    if (!c) {
      collect(geom_, out);
      return out;
    }
    collect(c, out);
    GEOSGeom_destroy_r(h_, c);
    return out;
  }

  bool interior_meets(const Extent& e) {
    GEOSGeometry* box = GEOSGeom_createRectangle_r(h_, e.xmin, e.ymin, e.xmax, e.ymax);
    if (!box) throw IoError("GEOS cannot make a rectangle: " + error_);
    const bool r = interiors_meet(box);
    GEOSGeom_destroy_r(h_, box);
    return r;
  }

  void burn_cell_areas(const GridExtent& grid, bool partial, std::vector<std::uint8_t>& mask) {
    mask.assign(static_cast<std::size_t>(grid.cols) * static_cast<std::size_t>(grid.rows), 0);
    double gx0 = 0, gy0 = 0, gx1 = 0, gy1 = 0;
    if (GEOSGeom_getXMin_r(h_, geom_, &gx0) != 1 || GEOSGeom_getYMin_r(h_, geom_, &gy0) != 1 ||
        GEOSGeom_getXMax_r(h_, geom_, &gx1) != 1 || GEOSGeom_getYMax_r(h_, geom_, &gy1) != 1)
      return;  // empty
    const double cw = grid.cell_width(), ch = grid.cell_height();
    // The cells the envelope reaches (a cell only touching it is tested too: cheap and safe).
    const long c0 = std::max(0L, static_cast<long>(std::floor((gx0 - grid.extent.xmin) / cw)) - 1);
    const long c1 = std::min(grid.cols, static_cast<long>(std::floor((gx1 - grid.extent.xmin) / cw)) + 2);
    const long r0 = std::max(0L, static_cast<long>(std::floor((grid.extent.ymax - gy1) / ch)) - 1);
    const long r1 = std::min(grid.rows, static_cast<long>(std::floor((grid.extent.ymax - gy0) / ch)) + 2);
    for (long r = r0; r < r1; ++r)
      for (long c = c0; c < c1; ++c) {
        const double x0 = grid.extent.xmin + static_cast<double>(c) * cw;
        const double y1 = grid.extent.ymax - static_cast<double>(r) * ch;
        GEOSGeometry* box = GEOSGeom_createRectangle_r(h_, x0, y1 - ch, x0 + cw, y1);
        if (!box) throw IoError("GEOS cannot make a rectangle: " + error_);
        char in = 0;
        if (partial) {
          in = interiors_meet(box) ? 1 : 0;
        } else {
          in = prepared_ ? GEOSPreparedCovers_r(h_, prepared_, box) : GEOSCovers_r(h_, geom_, box);
        }
        GEOSGeom_destroy_r(h_, box);
        if (in == 2) throw IoError("GEOS failed on a cell: " + error_);
        mask[static_cast<std::size_t>(r * grid.cols + c)] = in == 1 ? 1 : 0;
      }
  }

 private:
  // Interiors meet: the geometries intersect and do not merely touch.
  bool interiors_meet(const GEOSGeometry* box) {
    const char meets =
        prepared_ ? GEOSPreparedIntersects_r(h_, prepared_, box) : GEOSIntersects_r(h_, geom_, box);
    if (meets != 1) return false;
    const char touches =
        prepared_ ? GEOSPreparedTouches_r(h_, prepared_, box) : GEOSTouches_r(h_, geom_, box);
    return touches == 0;
  }

  void unload() {
    if (prepared_) GEOSPreparedGeom_destroy_r(h_, prepared_);
    if (geom_) GEOSGeom_destroy_r(h_, geom_);
    prepared_ = nullptr;
    geom_ = nullptr;
    loaded_ = false;
  }

  void collect(const GEOSGeometry* g, std::vector<std::vector<unsigned char>>& out) {
    if (!g || GEOSisEmpty_r(h_, g) == 1) return;
    int t = GEOSGeomTypeId_r(h_, g);
    if (t == GEOS_POLYGON) {
      std::size_t n = 0;
      unsigned char* buf = GEOSWKBWriter_write_r(h_, writer_, g, &n);
      if (!buf) throw IoError("GEOS cannot encode a polygon: " + error_);
      out.emplace_back(buf, buf + n);
      GEOSFree_r(h_, buf);
    } else if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION) {
      int n = GEOSGetNumGeometries_r(h_, g);
      for (int i = 0; i < n; ++i) collect(GEOSGetGeometryN_r(h_, g, i), out);
    }  // points and lines left by clipping carry no cell centre
  }

  static void on_error(const char* message, void* user) {
    auto* self = static_cast<Impl*>(user);
    self->error_ = message ? message : "unknown GEOS error";
  }

  GEOSContextHandle_t h_ = nullptr;
  GEOSWKBReader* reader_ = nullptr;
  GEOSWKBWriter* writer_ = nullptr;
  GEOSGeometry* geom_ = nullptr;
  const GEOSPreparedGeometry* prepared_ = nullptr;
  std::size_t feature_ = 0;
  bool loaded_ = false;
  bool valid_ = false;
  std::string error_;
};

PolygonClipper::PolygonClipper() : impl_(new Impl) {}
PolygonClipper::~PolygonClipper() {
  delete impl_;
}

void PolygonClipper::load(std::size_t f, const std::vector<unsigned char>& wkb) {
  impl_->load(f, wkb);
}

PolygonClipper::Relation PolygonClipper::relate(const Extent& e) {
  return impl_->relate(e);
}

std::vector<std::vector<unsigned char>> PolygonClipper::clip(const Extent& e) {
  return impl_->clip(e);
}

bool PolygonClipper::interior_meets(const Extent& e) {
  return impl_->interior_meets(e);
}

void PolygonClipper::burn_cell_areas(const GridExtent& grid, bool partial, std::vector<std::uint8_t>& mask) {
  impl_->burn_cell_areas(grid, partial, mask);
}

}  // namespace trellis::io
