#include "io/geos.hpp"

#include <geos_c.h>

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

 private:
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

}  // namespace trellis::io
