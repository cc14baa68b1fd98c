#pragma once
// Wide integers for the exact sums of focal statistics (statistics.cpp): 128-bit words (__int128) and a
// 256-bit one (U256). Additions, subtractions and products wrap around (two's complement): running sums
// may pass through values out of range, and the window sums they end on are in range, so they are exact.
// Then the one rounding of an exact value, or of an exact quotient, to a double.
// Header-only: the sums run in the innermost loops. Nothing branches on the values but the rounding.
#include <bit>
#include <cmath>
#include <cstdint>

namespace trellis::focal::wide {

using i128 = __int128;
using u128 = unsigned __int128;

// An unsigned 256-bit word lo + hi 2^128; arithmetic modulo 2^256.
struct U256 {
  u128 lo = 0, hi = 0;
  bool operator==(const U256&) const = default;
};

// The carry out of a + b = sum and the borrow out of a - b = diff (modulo 2^128), from the top bits.
// Comparisons (lo < a.lo) or __builtin_add_overflow would do, but GCC compiles them to branches in the
// sliding loops, which values of more than 128 bits (random carries) mispredict.
inline std::uint64_t top64(u128 v) {
  return static_cast<std::uint64_t>(v >> 64);
}
inline std::uint64_t carry(u128 a, u128 b, u128 sum) {
  return ((top64(a) & top64(b)) | ((top64(a) | top64(b)) & ~top64(sum))) >> 63;
}
inline std::uint64_t borrow(u128 a, u128 b, u128 diff) {
  return ((~top64(a) & top64(b)) | ((~top64(a) | top64(b)) & top64(diff))) >> 63;
}

inline U256 operator+(U256 a, U256 b) {
  const u128 lo = a.lo + b.lo;
  return {lo, a.hi + b.hi + carry(a.lo, b.lo, lo)};
}

inline U256 operator-(U256 a, U256 b) {
  const u128 lo = a.lo - b.lo;
  return {lo, a.hi - b.hi - borrow(a.lo, b.lo, lo)};
}

inline U256& operator+=(U256& a, U256 b) {
  return a = a + b;
}

inline U256& operator-=(U256& a, U256 b) {
  return a = a - b;
}

// a n modulo 2^256.
inline U256 operator*(U256 a, std::uint64_t n) {
  const u128 low = u128{static_cast<std::uint64_t>(a.lo)} * n;
  const u128 mid = u128{top64(a.lo)} * n;  // times 2^64
  const u128 lo = low + (mid << 64);
  return {lo, a.hi * n + (mid >> 64) + carry(low, mid << 64, lo)};
}

// |x| (2^127 for the most negative x).
inline u128 magnitude(i128 x) {
  const auto u = static_cast<u128>(x);
  return x < 0 ? -u : u;
}

// x^2, exactly.
inline U256 square(u128 x) {
  const auto l = static_cast<std::uint64_t>(x), h = top64(x);
  const u128 ll = u128{l} * l, lh = u128{l} * h, hh = u128{h} * h;  // x^2 = ll + lh 2^65 + hh 2^128
  const u128 lo = ll + (lh << 65);
  return {lo, hh + (lh >> 63) + carry(ll, lh << 65, lo)};
}

inline U256 square(i128 x) {
  return square(magnitude(x));
}

// a 2^s and a 2^-s (truncated), 0 <= s < 256.
inline U256 shl(U256 a, int s) {
  if (s == 0) return a;
  if (s >= 128) return {0, a.lo << (s - 128)};
  return {a.lo << s, a.hi << s | a.lo >> (128 - s)};
}

inline U256 shr(U256 a, int s) {
  if (s == 0) return a;
  if (s >= 128) return {a.hi >> (s - 128), 0};
  return {a.lo >> s | a.hi << (128 - s), a.hi >> s};
}

inline int bit_width(u128 v) {
  const auto hi = top64(v);
  return hi ? 64 + std::bit_width(hi) : std::bit_width(static_cast<std::uint64_t>(v));
}

inline int bit_width(U256 a) {
  return a.hi ? 128 + bit_width(a.hi) : bit_width(a.lo);
}

// trunc(x) for |x| < 2^126, exactly; `fraction` = |x - trunc(x)| (0 when x is an integer). Two int64
// conversions, no branch: the compiler's conversion to __int128 is a library call, and std::trunc
// branches on the magnitude (unpredictable when values span many bits).
inline i128 to_i128(double x, double& fraction) {
  const auto h = static_cast<std::int64_t>(x * 0x1p-63);  // toward zero: |h| < 2^63
  const double r = x - static_cast<double>(h) * 0x1p63;   // exact: the bits of x below 2^63
  const auto l = static_cast<std::int64_t>(r);
  fraction = std::fabs(r - static_cast<double>(l));
  return i128{h} * (i128{1} << 63) + l;
}

// x 2^e: exact when the result is a normal double, infinity when it overflows (ldexp is a slow call).
inline double times_pow2(double x, int e) {
  if (e < -1022 || e > 1023) return std::ldexp(x, e);
  return x * std::bit_cast<double>(static_cast<std::uint64_t>(e + 1023) << 52);
}

// The double nearest to v 2^e (ties to even), for |v| < 2^126 and a normal (or overflowing) result.
// Beyond 63 bits, v is cut to its top 62 or 63 bits with the bits cut off in a sticky lowest bit, which
// rounds like them (63 > 53 + 2).
inline double to_double(i128 v, int e) {
  if (const auto small = static_cast<std::int64_t>(v); small == v)
    return times_pow2(static_cast<double>(small), e);
  const u128 mag = magnitude(v);
  const auto hi = top64(mag), lo = static_cast<std::uint64_t>(mag);
  const int shift = 65 - std::countl_zero(hi | 1);  // 2 <= shift <= 63 below 2^126
  const std::uint64_t sticky = (lo << (64 - shift)) != 0;
  const auto bits = static_cast<std::int64_t>((lo >> shift) | (hi << (64 - shift)) | sticky);
  const double d = times_pow2(static_cast<double>(bits), e + shift);
  return v < 0 ? -d : d;
}

// A divisor 0 < den < 2^64, made ready for division without a divide instruction (Moeller and Granlund,
// "Improved division by invariant integers", IEEE Trans. Computers 60(2), 2011, algorithm 4): d = den
// 2^shift has its top bit set, v = floor((2^128 - 1) / d) - 2^64.
struct Divisor {
  std::uint64_t d, v;
  int shift;
  explicit Divisor(std::uint64_t den)
      : d(den << std::countl_zero(den)),
        v(static_cast<std::uint64_t>(((u128{~d} << 64) | ~std::uint64_t{0}) / d)),
        shift(std::countl_zero(den)) {}
};

// floor(u / d) for u < d 2^64, and whether the remainder is non-zero.
inline std::uint64_t divide(u128 u, const Divisor& dv, bool& inexact) {
  const auto u1 = top64(u), u0 = static_cast<std::uint64_t>(u);
  const u128 q = u128{dv.v} * u1 + u;  // < 2^128 since u1 < d
  std::uint64_t q1 = top64(q) + 1, r = u0 - q1 * dv.d;
  const std::uint64_t back = -std::uint64_t{r > static_cast<std::uint64_t>(q)};  // q1 one too large
  q1 += back, r += back & dv.d;
  if (r >= dv.d) [[unlikely]]
    ++q1, r -= dv.d;
  inexact = r != 0;
  return q1;
}

// The double nearest to num / den 2^e (ties to even), for 0 < num < 2^253 and a normal (or overflowing)
// result: one rounding of the exact quotient. t = num 2^s (truncated) gets 126 bits, so q = t / d (d =
// den 2^shift, with 64 bits) has 62 or 63: 2^61 < q < 2^63. The bits shifted out of num and the
// remainder make f; q has 55 bits or more, so (q + f) rounds like q with a sticky lowest bit.
inline double round_quotient(const U256& num, const Divisor& den, int e) {
  const int s = 126 - bit_width(num);  // -127 <= s below 2^253
  const u128 t = s >= 0 ? num.lo << s : num.lo >> -s | num.hi << (128 + s);
  bool inexact = false;
  const std::uint64_t q = divide(t, den, inexact);
  if (s < 0 && !inexact) inexact = (num.lo << (128 + s)) != 0;  // the bits shifted out
  return times_pow2(static_cast<double>(static_cast<std::int64_t>(q | inexact)), e + den.shift - s);
}

}  // namespace trellis::focal::wide
