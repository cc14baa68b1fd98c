#pragma once
// GeoTrellis-compatible key indexes (catalog spec section 4): Z-order (absolute col/row; Z3 for
// spacetime), Hilbert (uzaygezen compact Hilbert curve, offset by the bounds' minimum key) and
// row-major. Reproduce ../shared/spec/vectors exactly.
#include <cstdint>
#include <string>

#include "core/key.hpp"

namespace trellis {

enum class IndexKind { ZOrder, Hilbert, RowMajor };

// "zorder", "hilbert", "rowmajor" (throws JobError otherwise)
IndexKind parse_index_kind(const std::string& name);
const char* index_kind_name(IndexKind k);

// resolution(max, min) = ceil(log(max - min + 1) / log(2)) in IEEE double, as GeoTrellis computes it.
int index_resolution(double max, double min);

// Z-order
std::uint64_t z2_index(std::int32_t col, std::int32_t row);
std::uint64_t z3_index(std::int32_t x, std::int32_t y, std::int32_t z);
// ZSpaceTimeKeyIndex: Z3(col, row, (int)(instant / temporal_resolution))
std::uint64_t zorder_spacetime_index(const SpaceTimeKey& k, std::int64_t temporal_resolution_ms);

// uzaygezen CompactHilbertCurve.index for n dims with bits[j] bits each; coords[0] is the MSB dimension.
std::uint64_t compact_hilbert_index(int ndims, const int* bits, const std::uint64_t* coords);

// HilbertSpatialKeyIndex(keyBounds, xResolution, yResolution)
class HilbertSpatialIndex {
 public:
  HilbertSpatialIndex(const KeyBounds& bounds, int x_resolution, int y_resolution);
  explicit HilbertSpatialIndex(const KeyBounds& bounds);  // resolutions from the bounds
  std::uint64_t to_index(const SpatialKey& k) const;
  int x_resolution() const { return xres_; }
  int y_resolution() const { return yres_; }

 private:
  KeyBounds bounds_;
  int xres_, yres_;
};

// HilbertSpaceTimeKeyIndex(keyBounds, xResolution, yResolution, temporalResolution)
class HilbertSpaceTimeIndex {
 public:
  HilbertSpaceTimeIndex(const KeyBounds& bounds, int x_resolution, int y_resolution, int temporal_resolution);
  std::uint64_t to_index(const SpaceTimeKey& k) const;

 private:
  KeyBounds bounds_;
  int xres_, yres_, tres_;
};

// RowMajorSpatialKeyIndex(keyBounds)
std::uint64_t rowmajor_index(const KeyBounds& bounds, const SpatialKey& k);

}  // namespace trellis
