// Focal statistics (statistics.hpp). The neighbourhood is decomposed into row spans (runs of included
// cells on one row of the mask); a full square takes separable paths instead. Sums are exact: integers
// in fixed point (X = v 2^exp), S1 = sum X and S2 = sum X^2 in 128 and 256 bits (wide_int.hpp), or in 64
// and 128 when the window's values are small enough (Words), with wrap-around arithmetic (running sums
// may pass through values outside the window's range; the final window sums fit, so they are exact).
// Every path streams over the rows with O(r cols) scratch: no copy of the window. Min, max, median and
// mode are order_statistics.cpp; what both share is spans.hpp.
#include "ops/focal/statistics.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "core/exact_sum.hpp"
#include "ops/focal/spans.hpp"
#include "ops/focal/wide_int.hpp"

namespace trellis::focal {

using namespace detail;

namespace {

using wide::i128;
using wide::u128;
using wide::U256;
constexpr int kEmptyLsb = 1 << 20;  // ScaleProbe's min_lsb_ while empty (max_msb_ is its negative)
// Fixed-point values stay below 2^(kSumBits - bit_width(cells)): a window's |S1| < 2^kSumBits fits
// 128 bits (signed), and n S2 and S1^2 stay below 2^(2 kSumBits) = 2^252, which fits 256.
constexpr int kSumBits = 126;
// Below 2^(kNarrowBits - bit_width(cells)), |S1| < 2^62 and n S2, S1^2 < 2^124: 64 and 128 bits do.
constexpr int kNarrowBits = 62;
// n^2 must fit 64 bits (the divisor of the variance): neighbourhoods of fewer than 2^32 cells.
constexpr int kMaxCountBitsSquares = 32;
// The largest scale: a non-zero sum (>= 2^-exp), mean or variance (>= 2^-2exp / n^2) is then a normal
// double, so scaling a rounded result by a power of two is exact and the result is rounded once.
constexpr int kMaxExp = 450;

// ---- Exact arithmetic ----------------------------------------------------------------------------

// (n S2 - S1^2) / n^2 of fixed-point sums at scale 2^exp, rounded once: the numerator is exact (the
// true one is below 2^252, so its value modulo 2^256 is it), the quotient is rounded once.
// n2 is n^2 (n < 2^32: kMaxCountBitsSquares).
double exact_variance(std::int64_t n, i128 s1, const U256& s2, int exp, const wide::Divisor& n2) {
  const U256 num = s2 * static_cast<std::uint64_t>(n) - wide::square(s1);
  if (num == U256{}) return 0.0;
  return wide::round_quotient(num, n2, -2 * exp);
}

// n^2 as a wide::Divisor, kept for the next n: along a row, n changes only near NoData.
class SquareDivisor {
 public:
  const wide::Divisor& operator()(std::int64_t n) {
    if (n != n_) n_ = n, dv_ = wide::Divisor(static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(n));
    return dv_;
  }

 private:
  std::int64_t n_ = 1;
  wide::Divisor dv_{1};
};

double two_pass_variance(std::span<const double> v) {
  const auto n = static_cast<long double>(v.size());
  long double sum = 0;
  for (double x : v) sum += x;
  const long double mean = sum / n;
  long double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return static_cast<double>(ss / n);
}

int count_bits(std::int64_t cells) {
  return std::bit_width(static_cast<std::uint64_t>(std::max<std::int64_t>(cells, 1)));
}

// Values in fixed point: v 2^exp as an integer (0 for NoData). A scale that does not make a value an
// integer below the limit is not the layer's ScaleProbe's: the sums would not be exact, so it throws
// rather than return wrong bits. (v 2^exp is exact whenever the result is such an integer, but for an
// underflow to 0, possible only when exp < 0.) Checking each value as it is converted would cost about
// as much as converting it: what a row's values need is gathered in a Seen instead, without a branch,
// and check() reads it once a row.
struct FixedPoint {
  struct Seen {
    double max = 0, fractions = 0;  // of |v 2^exp|: the largest, and the sum of the fractional parts
    bool underflow = false;
  };
  double pow2, limit;
  bool negative_exp;
  FixedPoint(int exp, std::int64_t cells)
      : pow2(std::ldexp(1.0, exp)),
        limit(std::ldexp(1.0, kSumBits - count_bits(cells))),
        negative_exp(exp < 0) {}
  i128 operator()(double v, Seen& seen) const {
    if (std::isnan(v)) return 0;
    const double x = v * pow2;
    seen.max = std::max(seen.max, std::fabs(x));
    if (negative_exp) seen.underflow |= x == 0 && v != 0;
    double fraction = 0;
    const i128 f = wide::to_i128(std::clamp(x, -limit, limit), fraction);  // clamped: inf, huge
    seen.fractions += fraction;  // > 0 once a fraction is: no cancellation
    return f;
  }
  void check(const Seen& seen) const {
    if (!(seen.max < limit) || seen.fractions != 0 || seen.underflow)
      throw std::invalid_argument("focal statistics: the sum scale does not fit the values");
  }
};

// Sum, Mean, Variance or StandardDeviation of one neighbourhood's data values, from scratch.
double moment_of(FocalStat stat, std::span<const double> v, std::optional<SumScale> scale,
                 std::int64_t cells) {
  if (v.empty()) return kNaN;
  if (stat == FocalStat::Sum || stat == FocalStat::Mean) {
    ExactSum s;
    for (double x : v) s.add(x);
    return stat == FocalStat::Sum ? s.value() : s.value() / static_cast<double>(v.size());
  }
  double var = 0;
  if (std::any_of(v.begin(), v.end(), [](double x) { return std::isinf(x); })) {
    var = kNaN;
  } else if (scale) {
    u128 s1 = 0;
    U256 s2;
    const FixedPoint fixed(scale->exp, cells);
    FixedPoint::Seen seen;
    for (double x : v) {
      const i128 f = fixed(x, seen);
      s1 += static_cast<u128>(f), s2 += wide::square(f);
    }
    fixed.check(seen);
    const auto n = static_cast<std::uint64_t>(v.size());
    var = exact_variance(static_cast<std::int64_t>(n), static_cast<i128>(s1), s2, scale->exp,
                         wide::Divisor(n * n));
  } else {
    var = two_pass_variance(v);
  }
  return stat == FocalStat::Variance ? var : std::sqrt(var);
}

// ---- Sums (fixed point) --------------------------------------------------------------------------

int is_data(double v) {
  return std::isnan(v) ? 0 : 1;
}

// The words S1 and S2 are kept in (modulo their size): wide, 128 and 256 bits (kSumBits), or narrow, 64
// and 128 bits (kNarrowBits), which most windows fit in: faster. Either gives the same exact sums.
template <bool kWide>
struct Words;
template <>
struct Words<true> {
  using S1 = u128;
  using S2 = U256;
  static S2 square(i128 x) { return wide::square(x); }
  static i128 s1(S1 s) { return static_cast<i128>(s); }
  static const U256& s2(const S2& s) { return s; }
};
template <>
struct Words<false> {
  using S1 = std::uint64_t;
  using S2 = u128;
  static S2 square(i128 x) {
    const auto v = static_cast<std::int64_t>(x);
    return static_cast<u128>(i128{v} * v);
  }
  static i128 s1(S1 s) { return static_cast<std::int64_t>(s); }
  static U256 s2(S2 s) { return {s, 0}; }
};

// The count, sum and sum of squares (kMoments 1: no squares) of every cell of one output row (each
// window's true S1 and S2 fit the words). For span_sums; square_sums finishes each cell as it slides.
template <bool kWide>
struct RowSums {
  std::vector<std::int64_t> n;
  std::vector<typename Words<kWide>::S1> s1;
  std::vector<typename Words<kWide>::S2> s2;
  RowSums(int cols, int moments) : n(cols), s1(cols), s2(moments > 1 ? cols : 0) {}
  void clear() {
    std::fill(n.begin(), n.end(), 0), std::fill(s1.begin(), s1.end(), 0),
        std::fill(s2.begin(), s2.end(), typename Words<kWide>::S2{});
  }
};

// A cell's result from its count n and its sums S1, S2.
class Finish {
 public:
  Finish(FocalStat stat, int exp) : stat_(stat), exp_(exp) {}
  double operator()(std::int64_t n, i128 s1, const U256& s2) {
    if (n == 0) return kNaN;
    if (stat_ == FocalStat::Sum || stat_ == FocalStat::Mean) {
      // Rounded once: the scaling by 2^-exp is exact (results are normal, kMaxExp, or overflow).
      const double sum = wide::to_double(s1, -exp_);
      return stat_ == FocalStat::Sum ? sum : sum / static_cast<double>(n);
    }
    return deviation(n, s1, s2);
  }

 private:
  [[gnu::noinline]] double deviation(std::int64_t n, i128 s1, const U256& s2) {
    const double var = exact_variance(n, s1, s2, exp_, n2_(n));
    return stat_ == FocalStat::Variance ? var : std::sqrt(var);
  }

  FocalStat stat_;
  int exp_;
  SquareDivisor n2_;
};

// Square: column sums over 2r + 1 rows (sliding down), then a window sliding along each row. The rows in
// the column sums are kept in fixed point (a ring: row y in slot y % (2r + 1)), so each value is
// converted once: as it enters; it leaves from the ring.
template <int kMoments, bool kWide>
void square_sums(const Grid& in, const FixedPoint& fixed, int r, Finish& finish, std::span<double> out) {
  using W = Words<kWide>;
  const int cols = in.cols, w = 2 * r + 1, oc = cols - 2 * r, orows = in.rows - 2 * r;
  const auto cw = static_cast<std::size_t>(cols);
  std::vector<std::int64_t> cn(cw);
  std::vector<typename W::S1> c1(cw);
  std::vector<typename W::S2> c2(kMoments > 1 ? cw : 0);
  std::vector<i128> ring(static_cast<std::size_t>(w) * cw);  // zeros: no row yet
  const std::vector<double> none(cw, kNaN);
  // Adds row y to the column sums and takes row y - w (if any) away: it is in y's slot of the ring.
  auto slide = [&](int y) {
    const double* a = in.cells + at(0, y, cols);
    const double* b = y < w ? none.data() : in.cells + at(0, y - w, cols);
    i128* slot = &ring[at(0, y % w, cols)];
    FixedPoint::Seen seen;
    for (std::size_t x = 0; x < cw; ++x) {
      const i128 xa = fixed(a[x], seen), xb = slot[x];
      slot[x] = xa;
      cn[x] += is_data(a[x]) - is_data(b[x]);
      c1[x] += static_cast<typename W::S1>(xa) - static_cast<typename W::S1>(xb);
      if constexpr (kMoments > 1) c2[x] += W::square(xa) - W::square(xb);
    }
    fixed.check(seen);
  };
  for (int oy = 0; oy < orows; ++oy) {
    if (oy == 0)
      for (int y = 0; y < 2 * r; ++y) slide(y);
    slide(oy + 2 * r);
    std::int64_t n = 0;
    typename W::S1 s1 = 0;
    typename W::S2 s2{};
    for (int x = 0; x < 2 * r; ++x) {
      n += cn[x], s1 += c1[x];
      if constexpr (kMoments > 1) s2 += c2[x];
    }
    double* o = &out[at(0, oy, oc)];
    for (int ox = 0; ox < oc; ++ox) {
      const int x = ox + 2 * r;
      n += cn[x], s1 += c1[x];
      if constexpr (kMoments > 1) s2 += c2[x];
      o[ox] = finish(n, W::s1(s1), W::s2(s2));
      n -= cn[ox], s1 -= c1[ox];
      if constexpr (kMoments > 1) s2 -= c2[ox];
    }
  }
}

// Other shapes: per-row prefix sums (a ring of the 2r + 1 rows an output row reads); a span costs O(1).
template <int kMoments, bool kWide>
void span_sums(const Grid& in, const FixedPoint& fixed, const Shape& sh, Finish& finish,
               std::span<double> out) {
  using W = Words<kWide>;
  const int r = sh.r, w = 2 * r + 1, cols = in.cols, oc = cols - 2 * r, orows = in.rows - 2 * r;
  const std::size_t stride = static_cast<std::size_t>(cols) + 1, ring = static_cast<std::size_t>(w) * stride;
  std::vector<std::int64_t> pn(ring);
  std::vector<typename W::S1> p1(ring);
  std::vector<typename W::S2> p2(kMoments > 1 ? ring : 0);
  auto prefix = [&](int y) {
    const std::size_t base = static_cast<std::size_t>(y % w) * stride;
    const double* v = in.cells + at(0, y, cols);
    FixedPoint::Seen seen;
    for (std::size_t x = 0; x + 1 < stride; ++x) {
      const i128 f = fixed(v[x], seen);
      pn[base + x + 1] = pn[base + x] + is_data(v[x]);
      p1[base + x + 1] = p1[base + x] + static_cast<typename W::S1>(f);
      if constexpr (kMoments > 1) p2[base + x + 1] = p2[base + x] + W::square(f);
    }
    fixed.check(seen);
  };
  RowSums<kWide> rs(oc, kMoments);
  for (int oy = 0; oy < orows; ++oy) {
    if (oy == 0)
      for (int y = 0; y < 2 * r; ++y) prefix(y);
    prefix(oy + 2 * r);
    rs.clear();
    for (const Span& s : sh.spans) {
      const std::size_t base = static_cast<std::size_t>((oy + r + s.dy) % w) * stride;
      const std::size_t lo = base + static_cast<std::size_t>(r + s.dx0),
                        hi = lo + static_cast<std::size_t>(s.width());
      for (std::size_t ox = 0; ox < static_cast<std::size_t>(oc); ++ox) {
        rs.n[ox] += pn[hi + ox] - pn[lo + ox];
        rs.s1[ox] += p1[hi + ox] - p1[lo + ox];
        if constexpr (kMoments > 1) rs.s2[ox] += p2[hi + ox] - p2[lo + ox];
      }
    }
    double* o = &out[at(0, oy, oc)];
    for (std::size_t ox = 0; ox < static_cast<std::size_t>(oc); ++ox)
      o[ox] = finish(rs.n[ox], W::s1(rs.s1[ox]), kMoments > 1 ? W::s2(rs.s2[ox]) : U256{});
  }
}

// The largest magnitude of the window's values (NaN skipped; infinity if there is one). Four maxima
// side by side: one would wait for the last at every value.
double largest_magnitude(const Grid& in) {
  const std::size_t n = at(0, in.rows, in.cols);
  double m[4] = {0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (std::size_t k = 0; k < 4; ++k) m[k] = std::max(m[k], std::fabs(in.cells[i + k]));
  for (; i < n; ++i) m[0] = std::max(m[0], std::fabs(in.cells[i]));
  return std::max(std::max(m[0], m[1]), std::max(m[2], m[3]));
}

bool needs_squares(FocalStat stat) {
  return stat == FocalStat::Variance || stat == FocalStat::StandardDeviation;
}

void moments(const Grid& in, const Shape& sh, FocalStat stat, std::optional<SumScale> scale,
             std::span<double> out) {
  const bool squares = needs_squares(stat);
  if (scale && scale->exp > kMaxExp) throw std::invalid_argument("focal statistics: sum scale too fine");
  if (scale && squares && count_bits(sh.cells) > kMaxCountBitsSquares)
    throw std::invalid_argument("focal statistics: no sum scale for sums of squares of this many cells");
  // Infinities have no fixed point: those layers (rare) take the per-cell path, which propagates them.
  const double largest = largest_magnitude(in);
  if (!scale || std::isinf(largest)) {
    per_cell(in, sh, out, [&](std::span<const double> v) { return moment_of(stat, v, scale, sh.cells); });
    return;
  }
  const FixedPoint fixed(scale->exp, sh.cells);
  Finish finish(stat, scale->exp);
  // Narrow words when this window's values allow (a choice per window: both give the same bits).
  if (largest * fixed.pow2 < std::ldexp(1.0, kNarrowBits - count_bits(sh.cells))) {
    if (sh.full)
      squares ? square_sums<2, false>(in, fixed, sh.r, finish, out)
              : square_sums<1, false>(in, fixed, sh.r, finish, out);
    else
      squares ? span_sums<2, false>(in, fixed, sh, finish, out)
              : span_sums<1, false>(in, fixed, sh, finish, out);
  } else {
    if (sh.full)
      squares ? square_sums<2, true>(in, fixed, sh.r, finish, out)
              : square_sums<1, true>(in, fixed, sh.r, finish, out);
    else
      squares ? span_sums<2, true>(in, fixed, sh, finish, out)
              : span_sums<1, true>(in, fixed, sh, finish, out);
  }
}

// ---- The brute force -----------------------------------------------------------------------------

double brute_cell(FocalStat stat, std::span<const double> v, std::optional<SumScale> scale,
                  std::int64_t cells) {
  if (v.empty()) return kNaN;
  switch (stat) {
    case FocalStat::Min:
      return *std::min_element(v.begin(), v.end()) + 0.0;
    case FocalStat::Max:
      return *std::max_element(v.begin(), v.end()) + 0.0;
    case FocalStat::Median:
    case FocalStat::Mode: {
      std::vector<std::int64_t> a(v.size());
      std::transform(v.begin(), v.end(), a.begin(), to_integer);
      std::sort(a.begin(), a.end());
      if (stat == FocalStat::Median)
        return static_cast<double>((static_cast<i128>(a[(a.size() - 1) / 2]) + a[a.size() / 2]) / 2);
      std::size_t best = 0, best_count = 0;
      bool tie = false;
      for (std::size_t i = 0, j = 0; i < a.size(); i = j) {
        while (j < a.size() && a[j] == a[i]) ++j;
        if (j - i == best_count) tie = true;
        if (j - i > best_count) best = i, best_count = j - i, tie = false;
      }
      return tie ? kNaN : static_cast<double>(a[best]);
    }
    default:
      return moment_of(stat, v, scale, cells);
  }
}

}  // namespace

// ---- ScaleProbe ----------------------------------------------------------------------------------

void ScaleProbe::add(double v) {
  if (v == 0 || !std::isfinite(v)) return;
  int e = 0;
  const double m = std::frexp(std::fabs(v), &e);                    // |v| = m 2^e, m in [0.5, 1)
  const auto mant = static_cast<std::uint64_t>(std::ldexp(m, 53));  // |v| = mant 2^(e - 53)
  min_lsb_ = std::min(min_lsb_, e - 53 + std::countr_zero(mant));
  max_msb_ = std::max(max_msb_, e - 1);
}

void ScaleProbe::merge(const ScaleProbe& o) {
  min_lsb_ = std::min(min_lsb_, o.min_lsb_);
  max_msb_ = std::max(max_msb_, o.max_msb_);
}

std::optional<SumScale> ScaleProbe::scale(std::int64_t cells, bool squares) const {
  const int nbits = count_bits(cells);
  if (squares && nbits > kMaxCountBitsSquares) return std::nullopt;  // n^2 must fit 64 bits
  if (min_lsb_ > max_msb_) return SumScale{0};                       // no value: any scale is exact
  // |v 2^exp| < 2^(max_msb + exp + 1) <= 2^(kSumBits - nbits): the FixedPoint limit.
  auto fits = [&](int exp) { return exp <= kMaxExp && max_msb_ + exp + 1 + nbits <= kSumBits; };
  if (const int exp = std::max(0, -min_lsb_); fits(exp)) return SumScale{exp};
  if (min_lsb_ > 0 && fits(-min_lsb_)) return SumScale{-min_lsb_};  // huge integers: drop trailing zeros
  return std::nullopt;
}

void ScaleProbe::serialize(std::vector<std::byte>& out) const {
  const std::int32_t v[2] = {min_lsb_, max_msb_};
  const std::size_t at = out.size();
  out.resize(at + sizeof v);
  std::memcpy(out.data() + at, v, sizeof v);
}

ScaleProbe ScaleProbe::deserialize(std::span<const std::byte> bytes) {
  std::int32_t v[2];
  if (bytes.size() != sizeof v) throw std::invalid_argument("ScaleProbe: wrong encoding size");
  std::memcpy(v, bytes.data(), sizeof v);
  const bool empty = v[0] == kEmptyLsb && v[1] == -kEmptyLsb;
  const bool valid = v[0] >= -1100 && v[1] <= 1100 && v[0] <= v[1];  // binary exponents of doubles
  if (!empty && !valid) throw std::invalid_argument("ScaleProbe: corrupt encoding");
  ScaleProbe p;
  p.min_lsb_ = v[0], p.max_msb_ = v[1];
  return p;
}

// ---- statistics ----------------------------------------------------------------------------------

void statistics(const Grid& in, const Neighbourhood& nb, FocalStat stat, std::optional<SumScale> scale,
                std::span<double> out) {
  check_sizes(in, nb.reach(), out);
  const Shape sh = shape_of(nb);
  if (sh.spans.empty()) {  // e.g. Annulus(2, 1)
    std::fill(out.begin(), out.end(), kNaN);
    return;
  }
  switch (stat) {
    case FocalStat::Min:
      return min_filter(in, sh, out);
    case FocalStat::Max:
      return max_filter(in, sh, out);
    case FocalStat::Median:
      return median_filter(in, sh, out);
    case FocalStat::Mode:
      return mode_filter(in, sh, out);
    default:
      return moments(in, sh, stat, scale, out);
  }
}

void statistics_brute_force(const Grid& in, const Neighbourhood& nb, FocalStat stat, std::span<double> out) {
  const int r = nb.reach();
  check_sizes(in, r, out);
  std::vector<std::pair<int, int>> offsets;  // (dx, dy), row by row
  for (int dy = -r; dy <= r; ++dy)
    for (int dx = -r; dx <= r; ++dx)
      if (nb.includes(dx, dy)) offsets.emplace_back(dx, dy);
  const auto cells = static_cast<std::int64_t>(offsets.size());
  ScaleProbe probe;  // the scale of this window's values (statistics() takes the layer's)
  for (std::size_t i = 0; i < at(0, in.rows, in.cols); ++i) probe.add(in.cells[i]);
  const std::optional<SumScale> scale = probe.scale(cells, needs_squares(stat));
  const int oc = in.cols - 2 * r;
  std::vector<double> v;
  for (int oy = 0; oy < in.rows - 2 * r; ++oy)
    for (int ox = 0; ox < oc; ++ox) {
      v.clear();
      for (const auto& [dx, dy] : offsets)
        if (const double c = in.cells[at(ox + r + dx, oy + r + dy, in.cols)]; !std::isnan(c)) v.push_back(c);
      out[at(ox, oy, oc)] = brute_cell(stat, v, scale, cells);
    }
}

}  // namespace trellis::focal
