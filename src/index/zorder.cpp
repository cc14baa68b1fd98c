// Z-order curves (catalog spec 4.2, 4.3): GeoTrellis Z2 / Z3 bit interleaving, no minKey offset.
#include <cstdint>

#include "core/error.hpp"
#include "index/key_index.hpp"

namespace trellis {
namespace {

// Z2.split: the low 31 bits of the (sign-extended) value spread to the even bit positions.
std::uint64_t split2(std::int64_t value) {
  std::uint64_t x = static_cast<std::uint64_t>(value) & 0x7fffffffULL;
  x = (x ^ (x << 32)) & 0x00000000ffffffffULL;
  x = (x ^ (x << 16)) & 0x0000ffff0000ffffULL;
  x = (x ^ (x << 8)) & 0x00ff00ff00ff00ffULL;
  x = (x ^ (x << 4)) & 0x0f0f0f0f0f0f0f0fULL;
  x = (x ^ (x << 2)) & 0x3333333333333333ULL;
  x = (x ^ (x << 1)) & 0x5555555555555555ULL;
  return x;
}

// Z3.split: the low 21 bits of the value spread to every third bit position.
std::uint64_t split3(std::int64_t value) {
  std::uint64_t x = static_cast<std::uint64_t>(value) & 0x1fffffULL;
  x = (x | x << 32) & 0x1f00000000ffffULL;
  x = (x | x << 16) & 0x1f0000ff0000ffULL;
  x = (x | x << 8) & 0x100f00f00f00f00fULL;
  x = (x | x << 4) & 0x10c30c30c30c30c3ULL;
  return (x | x << 2) & 0x1249249249249249ULL;
}

}  // namespace

std::uint64_t z2_index(std::int32_t col, std::int32_t row) {
  return split2(col) | split2(row) << 1;
}

std::uint64_t z3_index(std::int32_t x, std::int32_t y, std::int32_t z) {
  return split3(x) | split3(y) << 1 | split3(z) << 2;
}

std::uint64_t zorder_spacetime_index(const SpaceTimeKey& k, std::int64_t temporal_resolution_ms) {
  if (temporal_resolution_ms <= 0) {
    throw JobError("zorder index: temporal resolution must be a positive number of milliseconds, got " +
                   std::to_string(temporal_resolution_ms));
  }
  // JVM: (instant / res).toInt -- Long division truncating toward zero, then the low 32 bits.
  const std::int64_t bin = k.instant / temporal_resolution_ms;
  const auto bin32 = static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(bin)));
  return z3_index(k.col, k.row, bin32);
}

}  // namespace trellis
