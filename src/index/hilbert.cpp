// Hilbert indexes (catalog spec 4.4, 4.5): a port of uzaygezen 0.2 CompactHilbertCurve.index and of
// GeoTrellis' HilbertSpatialKeyIndex / HilbertSpaceTimeKeyIndex.
#include <bit>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>

#include "core/error.hpp"
#include "index/key_index.hpp"

namespace trellis {
namespace {

std::uint64_t low_mask(int n) {
  return n >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
}

// LongBitVector.rotate(c) on an n-bit word: c > 0 rotates right, c < 0 left (Java remainder semantics).
std::uint64_t rotate(std::uint64_t x, int c, int n) {
  const std::uint64_t mask = low_mask(n);
  c %= n;
  if (c > 0) return ((x >> c) | (x << (n - c))) & mask;
  if (c == 0) return x & mask;
  return ((x >> (n + c)) | (x << -c)) & mask;
}

std::uint64_t gray_inverse(std::uint64_t x) {
  x ^= x >> 1;
  x ^= x >> 2;
  x ^= x >> 4;
  x ^= x >> 8;
  x ^= x >> 16;
  x ^= x >> 32;
  return x;
}

// Bits of w at the positions where mu is set, packed from bit 0 upwards.
std::uint64_t gray_rank(std::uint64_t mu, std::uint64_t w) {
  std::uint64_t r = 0;
  int pos = 0;
  for (; mu != 0; mu &= mu - 1) {
    const int i = std::countr_zero(mu);
    if ((w >> i) & 1) r |= std::uint64_t{1} << pos;
    ++pos;
  }
  return r;
}

// uzaygezen's intra-sub-hypercube direction (lowest bit where w differs from w+1, with its wrap rules).
int lowest_different_bit(std::uint64_t w, int n) {
  if ((w & 1) == 0) return w == 0 ? 0 : std::countr_zero(w);
  return w == low_mask(n) ? 0 : std::countr_zero(~w);
}

// Gray code of the largest even number smaller than w (0 for w = 0): the entry point e(w).
std::uint64_t smaller_even_and_gray(std::uint64_t w) {
  if (w & 1) return w ^ (w >> 1) ^ 1;
  if (w != 0) {
    const std::uint64_t v = w - 2;
    return v ^ (v >> 1);
  }
  return 0;
}

bool fits(std::int64_t v, int bits) {
  return v >= 0 && static_cast<int>(std::bit_width(static_cast<std::uint64_t>(v))) <= bits;
}

std::string key_text(std::int64_t col, std::int64_t row) {
  return "(" + std::to_string(col) + ", " + std::to_string(row) + ")";
}

// The resolutions are checked one by one before their sum: a resolution of a degenerate range can be
// INT_MIN (GeoTrellis' log2 of a length <= 0), and the sum is taken in 64 bits.
void check_resolutions(const char* what, std::initializer_list<int> res) {
  std::int64_t sum = 0;
  for (int r : res) {
    sum += r;
    if (r < 0 || r > 63) {
      throw JobError(std::string(what) + ": resolution " + std::to_string(r) + " out of range [0, 63]");
    }
  }
  if (sum > 63) {
    throw JobError(std::string(what) + ": resolutions sum to " + std::to_string(sum) +
                   " bits, more than a 64-bit signed index can hold (at most 63)");
  }
}

// JVM Int subtraction (wraps), widened to Long like GeoTrellis' `(key.col - minKey.col).toLong`.
std::int64_t jvm_int_sub(std::int32_t a, std::int32_t b) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) - static_cast<std::uint32_t>(b));
}

std::int64_t jvm_long_sub(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}

// JVM double -> long: NaN -> 0, saturating, otherwise truncation toward zero.
std::int64_t jvm_d2l(double d) {
  if (std::isnan(d)) return 0;
  if (d >= 9223372036854775808.0) return std::numeric_limits<std::int64_t>::max();
  if (d <= -9223372036854775808.0) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(d);
}

}  // namespace

std::uint64_t compact_hilbert_index(int ndims, const int* bits, const std::uint64_t* coords) {
  if (ndims < 1 || ndims > 64) {
    throw JobError("compact hilbert index: dimension count " + std::to_string(ndims) +
                   " out of range [1, 64]");
  }
  const int n = ndims;
  int k = 0, m_max = 0;
  for (int j = 0; j < n; ++j) {
    if (bits[j] < 0 || bits[j] > 64) {
      throw JobError("compact hilbert index: bit count " + std::to_string(bits[j]) + " out of range [0, 64]");
    }
    if (static_cast<int>(std::bit_width(coords[j])) > bits[j]) {
      throw JobError("compact hilbert index: coordinate " + std::to_string(coords[j]) + " of dimension " +
                     std::to_string(j) + " does not fit in " + std::to_string(bits[j]) + " bits");
    }
    k += bits[j];
    if (bits[j] > m_max) m_max = bits[j];
  }
  if (k > 64) throw JobError("compact hilbert index: bit counts sum to " + std::to_string(k) + " (> 64)");

  std::uint64_t index = 0, e = 0;
  int d = 0;
  for (int i = m_max - 1; i >= 0; --i) {
    // Dimension j maps to word bit n-1-j: coords[0] is the most significant.
    std::uint64_t mask = 0, w = 0;
    int card = 0;
    for (int j = 0; j < n; ++j) {
      if (bits[n - 1 - j] > i) {
        mask |= std::uint64_t{1} << j;
        ++card;
        if ((coords[n - 1 - j] >> i) & 1) w |= std::uint64_t{1} << j;
      }
    }
    const std::uint64_t mu = rotate(mask, d, n);
    w = gray_inverse(rotate(w ^ e, d, n));
    const std::uint64_t r = gray_rank(mu, w);
    k -= card;
    index |= r << k;
    const int old_d = d;
    d = (d + lowest_different_bit(w, n) + 1) % n;
    e ^= rotate(smaller_even_and_gray(w), -old_d, n);
  }
  return index;
}

HilbertSpatialIndex::HilbertSpatialIndex(const KeyBounds& bounds, int x_resolution, int y_resolution)
    : bounds_(bounds), xres_(x_resolution), yres_(y_resolution) {
  check_resolutions("hilbert index", {xres_, yres_});
}

HilbertSpatialIndex::HilbertSpatialIndex(const KeyBounds& bounds)
    : HilbertSpatialIndex(bounds, index_resolution(bounds.max.col, bounds.min.col),
                          index_resolution(bounds.max.row, bounds.min.row)) {}

std::uint64_t HilbertSpatialIndex::to_index(const SpatialKey& k) const {
  const std::int64_t col = jvm_int_sub(k.col, bounds_.min.col);
  const std::int64_t row = jvm_int_sub(k.row, bounds_.min.row);
  if (!fits(col, xres_) || !fits(row, yres_)) {
    throw JobError("hilbert index: key " + key_text(k.col, k.row) +
                   " does not fit the index with minimum key " + key_text(bounds_.min.col, bounds_.min.row) +
                   " and resolutions " + std::to_string(xres_) + "x" + std::to_string(yres_));
  }
  const int bits[2] = {xres_, yres_};
  const std::uint64_t coords[2] = {static_cast<std::uint64_t>(col), static_cast<std::uint64_t>(row)};
  return compact_hilbert_index(2, bits, coords);
}

HilbertSpaceTimeIndex::HilbertSpaceTimeIndex(const KeyBounds& bounds, int x_resolution, int y_resolution,
                                             int temporal_resolution)
    : bounds_(bounds), xres_(x_resolution), yres_(y_resolution), tres_(temporal_resolution) {
  check_resolutions("hilbert index", {xres_, yres_, tres_});
}

std::uint64_t HilbertSpaceTimeIndex::to_index(const SpaceTimeKey& k) const {
  const std::int64_t col = jvm_int_sub(k.col, bounds_.min.col);
  const std::int64_t row = jvm_int_sub(k.row, bounds_.min.row);
  // binTime: ((instant - start) * 2^tres) / timeWidth in doubles; the right bound is made exclusive by
  // moving bin == 2^tres down one; timeWidth = 0 gives NaN -> 0 as on the JVM.
  const double bin_count = std::ldexp(1.0, tres_);
  const double time_width = static_cast<double>(jvm_long_sub(bounds_.max.instant, bounds_.min.instant));
  double bin = static_cast<double>(jvm_long_sub(k.instant, bounds_.min.instant)) * bin_count / time_width;
  if (bin == bin_count) bin -= 1;
  const std::int64_t t = jvm_d2l(bin);
  if (!fits(col, xres_) || !fits(row, yres_) || !fits(t, tres_)) {
    throw JobError("hilbert index: key " + key_text(k.col, k.row) + " at instant " +
                   std::to_string(k.instant) + " (time bin " + std::to_string(t) +
                   ") does not fit the index with minimum key " + key_text(bounds_.min.col, bounds_.min.row) +
                   ", resolutions " + std::to_string(xres_) + "x" + std::to_string(yres_) + "x" +
                   std::to_string(tres_) + " and time range [" + std::to_string(bounds_.min.instant) + ", " +
                   std::to_string(bounds_.max.instant) + "]");
  }
  const int bits[3] = {xres_, yres_, tres_};
  const std::uint64_t coords[3] = {static_cast<std::uint64_t>(col), static_cast<std::uint64_t>(row),
                                   static_cast<std::uint64_t>(t)};
  return compact_hilbert_index(3, bits, coords);
}

}  // namespace trellis
