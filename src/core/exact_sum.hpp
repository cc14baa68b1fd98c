#pragma once
// An exact sum of doubles: the fixed-point total of every finite value added, rounded to a double once
// (round to nearest, ties to even) when read. Additions and merges are exact, so the result does not
// depend on the order of the values or on how they were split between threads and ranks: a reduction
// over a layer gives the same bits on 1 or 1,000 ranks. NaN and infinities are counted apart and give
// the IEEE result (NaN, or the infinity) as the total.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace trellis {

class ExactSum {
 public:
  // Adds v. Not thread-safe (one ExactSum per thread; merge them).
  void add(double v);
  // Adds the other's values (exact).
  void merge(const ExactSum& o);
  // The sum rounded to the nearest double.
  double value() const;

  // A fixed-size encoding (for messages between ranks).
  static constexpr std::size_t kBytes = 8 * (34 + 3);
  void serialize(std::vector<std::byte>& out) const;
  static ExactSum deserialize(std::span<const std::byte> bytes);  // throws std::invalid_argument

  bool operator==(const ExactSum&) const = default;

 private:
  // Two's complement fixed point: limb i holds bits 64 i .. 64 i + 63 of the total times 2^1074 (the
  // least significant bit is the smallest subnormal). 34 limbs leave 2^70 of headroom above DBL_MAX.
  static constexpr int kLimbs = 34;
  std::array<std::uint64_t, kLimbs> limbs_{};
  std::uint64_t pos_inf_ = 0, neg_inf_ = 0, nan_ = 0;
};

}  // namespace trellis
