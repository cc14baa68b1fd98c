#pragma once
// GeoTrellis-compatible key indexes (catalog spec section 4): Z-order (absolute col/row; Z3 for
// spacetime), Hilbert (uzaygezen compact Hilbert curve, offset by the bounds' minimum key) and
// row-major. Reproduce ../shared/spec/vectors exactly.
#include <cstdint>
#include <span>
#include <string>

#include "core/enum_names.hpp"
#include "core/key.hpp"

namespace trellis {

enum class IndexKind { ZOrder, Hilbert, RowMajor };

// "zorder", "hilbert", "rowmajor" (throws JobError otherwise)
IndexKind parse_index_kind(const std::string& name);
const char* index_kind_name(IndexKind k);
inline constexpr EnumName<IndexKind> kIndexKindNames[] = {
    {IndexKind::ZOrder, "zorder"}, {IndexKind::Hilbert, "hilbert"}, {IndexKind::RowMajor, "rowmajor"}};
inline std::span<const EnumName<IndexKind>> enum_names(IndexKind) {
  return kIndexKindNames;
}

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

// Errors: the Hilbert functions throw JobError when a coordinate (after the minKey offset) does not fit
// in its bit count (uzaygezen's "value doesn't fit"), and when resolutions are negative or sum above 63
// (ndims in [1, 64], bits sum <= 64 for compact_hilbert_index); rowmajor_index throws JobError for a key
// outside the bounds' col/row range or an index above 2^31-1; zorder_spacetime_index throws JobError
// for temporal_resolution_ms <= 0. Z-order otherwise masks coordinates like GeoTrellis (31 / 21 bits).

// Curve index of a spatial key for an index kind with GeoTrellis' default parameters for `bounds`:
// Z2 (absolute), Hilbert with resolutions from the bounds, or row-major.
std::uint64_t spatial_index(IndexKind kind, const KeyBounds& bounds, const SpatialKey& k);

// Tile file names (catalog spec 1.1): Index.digits / Index.encode.
// maxWidth = index_digits(toIndex(keyIndex.keyBounds.maxKey)).
int index_digits(std::uint64_t index);
// decimal `index` left-padded with '0' to at least `max_width` characters (never truncated).
std::string encode_index_filename(std::uint64_t index, int max_width);

}  // namespace trellis
