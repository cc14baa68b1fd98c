#include "core/exact_sum.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace trellis {

namespace {

// Adds `v` << `shift` (shift < 64) to the limbs from limb `at` upward, carrying; `negative` subtracts.
template <std::size_t N>
void add_shifted(std::array<std::uint64_t, N>& limbs, std::size_t at, std::uint64_t v, int shift,
                 bool negative) {
  const std::uint64_t lo = shift == 0 ? v : v << shift;
  const std::uint64_t hi = shift == 0 ? 0 : v >> (64 - shift);
  if (!negative) {
    unsigned __int128 acc = static_cast<unsigned __int128>(limbs[at]) + lo;
    limbs[at] = static_cast<std::uint64_t>(acc);
    std::uint64_t carry = static_cast<std::uint64_t>(acc >> 64);
    std::size_t i = at + 1;
    if (i < N) {
      acc = static_cast<unsigned __int128>(limbs[i]) + hi + carry;
      limbs[i] = static_cast<std::uint64_t>(acc);
      carry = static_cast<std::uint64_t>(acc >> 64);
      ++i;
    }
    for (; carry && i < N; ++i) carry = ++limbs[i] == 0;
  } else {
    std::uint64_t borrow = limbs[at] < lo;
    limbs[at] -= lo;
    std::size_t i = at + 1;
    if (i < N) {
      const unsigned __int128 sub = static_cast<unsigned __int128>(hi) + borrow;
      borrow = static_cast<unsigned __int128>(limbs[i]) < sub;
      limbs[i] = static_cast<std::uint64_t>(static_cast<unsigned __int128>(limbs[i]) - sub);
      ++i;
    }
    for (; borrow && i < N; ++i) borrow = limbs[i]-- == 0;
  }
}

}  // namespace

void ExactSum::add(double v) {
  if (v == 0) return;
  if (!std::isfinite(v)) {
    if (std::isnan(v))
      ++nan_;
    else
      ++(v > 0 ? pos_inf_ : neg_inf_);
    return;
  }
  int e = 0;
  const double m = std::frexp(std::fabs(v), &e);  // |v| = m 2^e, m in [0.5, 1)
  // |v| = mant 2^(e - 53) with a 53-bit integer mant; its bit 0 sits at 2^(e - 53), i.e. at fixed-point
  // bit e - 53 + 1074. For subnormals that is below 0, and the bits below 0 of mant are zeros.
  std::uint64_t mant = static_cast<std::uint64_t>(std::ldexp(m, 53));
  int bit = e - 53 + 1074;
  if (bit < 0) {
    mant >>= -bit;
    bit = 0;
  }
  add_shifted(limbs_, static_cast<std::size_t>(bit / 64), mant, bit % 64, v < 0);
}

void ExactSum::merge(const ExactSum& o) {
  std::uint64_t carry = 0;
  for (int i = 0; i < kLimbs; ++i) {
    const unsigned __int128 acc = static_cast<unsigned __int128>(limbs_[i]) + o.limbs_[i] + carry;
    limbs_[i] = static_cast<std::uint64_t>(acc);
    carry = static_cast<std::uint64_t>(acc >> 64);
  }
  pos_inf_ += o.pos_inf_;
  neg_inf_ += o.neg_inf_;
  nan_ += o.nan_;
}

double ExactSum::value() const {
  if (nan_ || (pos_inf_ && neg_inf_)) return std::numeric_limits<double>::quiet_NaN();
  if (pos_inf_) return std::numeric_limits<double>::infinity();
  if (neg_inf_) return -std::numeric_limits<double>::infinity();
  std::array<std::uint64_t, kLimbs> mag = limbs_;
  const bool negative = (mag[kLimbs - 1] >> 63) != 0;
  if (negative) {  // two's complement: magnitude = ~x + 1
    std::uint64_t carry = 1;
    for (auto& l : mag) {
      l = ~l + carry;
      carry = carry && l == 0;
    }
  }
  int top = kLimbs - 1;
  while (top >= 0 && mag[top] == 0) --top;
  if (top < 0) return 0.0;
  // The highest set bit, and the 64 bits from it down; lower bits only matter as a sticky bit (with
  // 64 > 53 + 2 bits kept, one sticky bit makes the conversion round correctly).
  const int hb = 63 - __builtin_clzll(mag[top]);
  const int msb = top * 64 + hb;  // fixed-point index of the highest set bit
  std::uint64_t bits = 0;
  bool sticky = false;
  const int lsb = msb - 63;  // fixed-point index of bit 0 of `bits`
  if (lsb <= 0) {
    bits = mag[0];  // msb < 64: everything fits (top == 0)
  } else {
    const int li = lsb / 64, lo = lsb % 64;
    bits = lo == 0 ? mag[li] : (mag[li] >> lo) | (li + 1 < kLimbs ? mag[li + 1] << (64 - lo) : 0);
    sticky = lo != 0 && (mag[li] & ((std::uint64_t{1} << lo) - 1)) != 0;
    for (int i = 0; i < li && !sticky; ++i) sticky = mag[i] != 0;
  }
  if (sticky) bits |= 1;
  const double r = std::ldexp(static_cast<double>(bits), (lsb <= 0 ? 0 : lsb) - 1074);
  return negative ? -r : r;
}

void ExactSum::serialize(std::vector<std::byte>& out) const {
  const std::size_t at = out.size();
  out.resize(at + kBytes);
  std::memcpy(out.data() + at, limbs_.data(), 8 * kLimbs);
  const std::uint64_t tail[3] = {pos_inf_, neg_inf_, nan_};
  std::memcpy(out.data() + at + 8 * kLimbs, tail, sizeof tail);
}

ExactSum ExactSum::deserialize(std::span<const std::byte> bytes) {
  if (bytes.size() != kBytes) throw std::invalid_argument("ExactSum: wrong encoding size");
  ExactSum s;
  std::memcpy(s.limbs_.data(), bytes.data(), 8 * kLimbs);
  std::uint64_t tail[3];
  std::memcpy(tail, bytes.data() + 8 * kLimbs, sizeof tail);
  s.pos_inf_ = tail[0];
  s.neg_inf_ = tail[1];
  s.nan_ = tail[2];
  return s;
}

}  // namespace trellis
