// Order statistics of focal neighbourhoods (statistics.hpp): min and max by van Herk / Gil-Werman
// (separable for a full square, one 1D pass per span width otherwise), median and mode by a sliding
// histogram over the window's values ranked densely (Huang). Every path streams over the rows.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "ops/focal/spans.hpp"
#include "ops/focal/wide_int.hpp"

namespace trellis::focal::detail {

namespace {

using wide::i128;

// ---- Min, Max: van Herk / Gil-Werman -------------------------------------------------------------
// NoData reads as the identity (kEmpty), so the sliding passes need no NaN tests; a result equal to
// kEmpty means "no data", unless a data value equals kEmpty (then the per-cell path runs instead).

struct MinOp {
  static constexpr double kEmpty = kInf;
  static double pick(double a, double b) { return b < a ? b : a; }
};
struct MaxOp {
  static constexpr double kEmpty = -kInf;
  static double pick(double a, double b) { return b > a ? b : a; }
};

template <class Op>
double clean(double v) {
  return std::isnan(v) ? Op::kEmpty : v;
}

// out[i] = pick of a[i .. i + w) for i <= n - w: prefix (g) and suffix (h) extremes within blocks of w.
template <class Op>
void sliding_1d(const double* a, int n, int w, double* out, std::vector<double>& g, std::vector<double>& h) {
  if (w == 1) {
    std::copy(a, a + n, out);
    return;
  }
  g.resize(static_cast<std::size_t>(n)), h.resize(static_cast<std::size_t>(n));
  for (int b = 0; b < n; b += w) {
    const int e = std::min(b + w, n);
    g[b] = a[b];
    for (int i = b + 1; i < e; ++i) g[i] = Op::pick(g[i - 1], a[i]);
    h[e - 1] = a[e - 1];
    for (int i = e - 2; i >= b; --i) h[i] = Op::pick(a[i], h[i + 1]);
  }
  for (int i = 0; i + w <= n; ++i) out[i] = Op::pick(h[i], g[i + w - 1]);
}

// Square: van Herk down the columns (whole rows at a time, block by block), then along each row.
// Output row oy in block k (rows kw .. kw + w - 1) = suffix of block k from oy, prefix of block k + 1
// up to oy + w - 1.
template <class Op>
void square_extremes(const Grid& in, int r, std::span<double> out) {
  const int cols = in.cols, rows = in.rows, w = 2 * r + 1, oc = cols - 2 * r, orows = rows - 2 * r;
  const auto cw = static_cast<std::size_t>(cols);
  std::vector<double> h(static_cast<std::size_t>(w) * cw), g(h.size()), vrow(cw), g1, h1;
  for (int b0 = 0; b0 < orows; b0 += w) {
    const int b1 = std::min(b0 + w, rows), e1 = std::min(b1 + w, rows);
    for (int y = b1 - 1; y >= b0; --y) {
      double* hy = &h[at(0, y - b0, cols)];
      const double* cy = in.cells + at(0, y, cols);
      if (y == b1 - 1)
        std::transform(cy, cy + cw, hy, clean<Op>);
      else
        for (std::size_t x = 0; x < cw; ++x) hy[x] = Op::pick(clean<Op>(cy[x]), hy[x + cw]);
    }
    for (int y = b1; y < e1; ++y) {
      double* gy = &g[at(0, y - b1, cols)];
      const double* cy = in.cells + at(0, y, cols);
      if (y == b1)
        std::transform(cy, cy + cw, gy, clean<Op>);
      else
        for (std::size_t x = 0; x < cw; ++x) gy[x] = Op::pick(gy[x - cw], clean<Op>(cy[x]));
    }
    for (int oy = b0; oy < std::min(b1, orows); ++oy) {
      const double* hy = &h[at(0, oy - b0, cols)];
      if (oy == b0) {
        std::copy(hy, hy + cw, vrow.begin());
      } else {
        const double* gy = &g[at(0, oy + w - 1 - b1, cols)];
        for (std::size_t x = 0; x < cw; ++x) vrow[x] = Op::pick(hy[x], gy[x]);
      }
      sliding_1d<Op>(vrow.data(), cols, w, &out[at(0, oy, oc)], g1, h1);
    }
  }
}

// Other shapes: each input row's sliding extreme for each distinct span width is computed once and
// folded into the output rows whose spans read it (a ring of the 2r + 1 output rows still open).
template <class Op>
void span_extremes(const Grid& in, const Shape& sh, std::span<double> out) {
  const int r = sh.r, w = 2 * r + 1, cols = in.cols, oc = cols - 2 * r, orows = in.rows - 2 * r;
  std::vector<Span> spans = sh.spans;
  std::stable_sort(spans.begin(), spans.end(),
                   [](const Span& a, const Span& b) { return a.width() < b.width(); });
  std::vector<double> acc(static_cast<std::size_t>(w) * static_cast<std::size_t>(oc), Op::kEmpty);
  std::vector<double> row(static_cast<std::size_t>(cols)), ext(row.size()), g, h;
  for (int y = 0; y < in.rows; ++y) {
    std::transform(in.cells + at(0, y, cols), in.cells + at(0, y + 1, cols), row.begin(), clean<Op>);
    for (std::size_t i = 0; i < spans.size(); ++i) {
      if (i == 0 || spans[i].width() != spans[i - 1].width())
        sliding_1d<Op>(row.data(), cols, spans[i].width(), ext.data(), g, h);
      const int oy = y - r - spans[i].dy;
      if (oy < 0 || oy >= orows) continue;
      double* o = &acc[at(0, oy % w, oc)];
      const double* src = ext.data() + r + spans[i].dx0;
      for (int ox = 0; ox < oc; ++ox) o[ox] = Op::pick(o[ox], src[ox]);
    }
    if (const int done = y - 2 * r; done >= 0 && done < orows) {  // its last input row was y
      double* o = &acc[at(0, done % w, oc)];
      std::copy(o, o + oc, &out[at(0, done, oc)]);
      std::fill(o, o + oc, Op::kEmpty);
    }
  }
}

template <class Op>
void extremes(const Grid& in, const Shape& sh, std::span<double> out) {
  if (std::any_of(in.cells, in.cells + at(0, in.rows, in.cols), [](double v) { return v == Op::kEmpty; })) {
    per_cell(in, sh, out, [](std::span<const double> v) {
      return v.empty() ? kNaN : std::accumulate(v.begin(), v.end(), v[0], Op::pick) + 0.0;
    });
    return;
  }
  if (sh.full)
    square_extremes<Op>(in, sh.r, out);
  else
    span_extremes<Op>(in, sh, out);
  for (double& o : out) o = o == Op::kEmpty ? kNaN : o + 0.0;  // + 0.0: -0 reads as 0, in any order
}

// ---- Median, Mode: a sliding histogram over dense ranks (Huang) ----------------------------------

// Ranks of the window's integers: value - min when the range is small (no sort), else the index among
// the sorted distinct values.
class RankTable {
 public:
  explicit RankTable(const Grid& in) {
    const std::size_t n = at(0, in.rows, in.cols);
    std::int64_t hi = 0;
    bool any = false;
    for (std::size_t i = 0; i < n; ++i)
      if (!std::isnan(in.cells[i])) {
        const std::int64_t v = to_integer(in.cells[i]);
        min_ = any ? std::min(min_, v) : v, hi = any ? std::max(hi, v) : v, any = true;
      }
    const auto range = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(min_);
    size_ = any ? range + 1 : 0;
    if (range < std::max<std::uint64_t>(1 << 16, n)) return;
    for (std::size_t i = 0; i < n; ++i)
      if (!std::isnan(in.cells[i])) sorted_.push_back(to_integer(in.cells[i]));
    std::sort(sorted_.begin(), sorted_.end());
    sorted_.erase(std::unique(sorted_.begin(), sorted_.end()), sorted_.end());
    size_ = sorted_.size();
  }
  std::size_t size() const { return size_; }
  std::int32_t rank(double v) const {  // -1 for NoData
    if (std::isnan(v)) return -1;
    const std::int64_t i = to_integer(v);
    if (sorted_.empty()) return static_cast<std::int32_t>(i - min_);
    return static_cast<std::int32_t>(std::lower_bound(sorted_.begin(), sorted_.end(), i) - sorted_.begin());
  }
  std::int64_t value(int rank) const { return sorted_.empty() ? min_ + rank : sorted_[rank]; }

 private:
  std::int64_t min_ = 0;
  std::size_t size_ = 0;
  std::vector<std::int64_t> sorted_;
};

// Counts per rank and per block of 64 ranks, and a running position m with the count below it: the
// k-th value is found by walking m (whole blocks at a time when they can be skipped).
class MedianHistogram {
 public:
  MedianHistogram(std::size_t ranks, std::int64_t) : count_(ranks + 1), block_(ranks / 64 + 2) {}
  void add(int q) { ++count_[q], ++block_[q >> 6], ++n_, below_ += q < m_; }
  void remove(int q) { --count_[q], --block_[q >> 6], --n_, below_ -= q < m_; }
  double result(const RankTable& table) {
    if (n_ == 0) return kNaN;
    const std::int64_t lo = table.value(kth((n_ - 1) / 2)), hi = n_ % 2 ? lo : table.value(kth(n_ / 2));
    return static_cast<double>((static_cast<i128>(lo) + hi) / 2);  // truncating, as Scala's Int
  }

 private:
  int kth(std::int64_t k) {
    while (below_ > k) {
      if (m_ % 64 == 0 && below_ - block_[m_ / 64 - 1] > k)
        below_ -= block_[m_ / 64 - 1], m_ -= 64;
      else
        below_ -= count_[--m_];
    }
    while (below_ + count_[m_] <= k) {
      if (m_ % 64 == 0 && below_ + block_[m_ / 64] <= k)
        below_ += block_[m_ / 64], m_ += 64;
      else
        below_ += count_[m_++];
    }
    return m_;
  }
  std::vector<std::int32_t> count_, block_;
  std::int64_t n_ = 0, below_ = 0;
  int m_ = 0;
};

// Counts per rank and the number of ranks per count (the top count, and whether one rank has it, in
// O(1)), a rank known to have the top count when one is (kept through most updates), and per block of
// 64 ranks an upper bound of its counts, so that finding the top rank after losing it skips most blocks.
class ModeHistogram {
 public:
  ModeHistogram(std::size_t ranks, std::int64_t cells)
      : count_(ranks), block_max_(ranks / 64 + 1), ranks_with_(static_cast<std::size_t>(cells) + 2) {}
  void add(int q) {
    const int c = ++count_[q];
    --ranks_with_[c - 1], ++ranks_with_[c];
    block_max_[q >> 6] = std::max(block_max_[q >> 6], c);
    if (c >= top_) top_ = c, top_rank_ = q;
  }
  void remove(int q) {
    const int c = count_[q]--;
    --ranks_with_[c], ++ranks_with_[c - 1];
    if (c != top_) return;
    if (ranks_with_[c] == 0)
      --top_, top_rank_ = q;  // q leads the next count down
    else if (q == top_rank_)
      top_rank_ = -1;
  }
  double result(const RankTable& table) {
    if (top_ == 0 || ranks_with_[top_] != 1) return kNaN;  // no data, or a tie
    if (top_rank_ < 0) find_top();
    return static_cast<double>(table.value(top_rank_));
  }

 private:
  void find_top() {
    for (std::size_t b = 0; b < block_max_.size(); ++b) {
      if (block_max_[b] < top_) continue;
      const std::size_t end = std::min(count_.size(), 64 * b + 64);
      block_max_[b] = *std::max_element(count_.begin() + 64 * b, count_.begin() + end);  // tighten
      for (std::size_t q = 64 * b; q < end; ++q)
        if (count_[q] == top_) {
          top_rank_ = static_cast<int>(q);
          return;
        }
    }
  }
  std::vector<std::int32_t> count_, block_max_, ranks_with_;
  int top_ = 0, top_rank_ = -1;
};

// Along each output row: fill the histogram at the row's first cell, then step right (each span loses
// its leftmost cell and gains one on the right), then empty it again (cheaper than clearing all ranks).
// The ranks of the 2r + 1 input rows an output row reads are kept in a ring.
template <class Hist>
void sliding_histogram(const Grid& in, const Shape& sh, std::span<double> out) {
  const RankTable table(in);
  Hist hist(table.size(), sh.cells);
  const int r = sh.r, w = 2 * r + 1, cols = in.cols, oc = cols - 2 * r, orows = in.rows - 2 * r;
  std::vector<std::int32_t> ring(static_cast<std::size_t>(w) * static_cast<std::size_t>(cols));
  auto load = [&](int y) {
    const double* v = in.cells + at(0, y, cols);
    std::transform(v, v + cols, &ring[at(0, y % w, cols)], [&](double c) { return table.rank(c); });
  };
  std::vector<const std::int32_t*> rows(sh.spans.size());
  auto fill = [&](int x, bool add) {
    for (std::size_t i = 0; i < sh.spans.size(); ++i)
      for (int dx = sh.spans[i].dx0; dx <= sh.spans[i].dx1; ++dx)
        if (const int q = rows[i][x + dx]; q >= 0) add ? hist.add(q) : hist.remove(q);
  };
  for (int oy = 0; oy < orows; ++oy) {
    if (oy == 0)
      for (int y = 0; y < 2 * r; ++y) load(y);
    load(oy + 2 * r);
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = &ring[at(0, (oy + r + sh.spans[i].dy) % w, cols)];
    double* o = &out[at(0, oy, oc)];
    fill(r, true);
    o[0] = hist.result(table);
    for (int x = r + 1; x < oc + r; ++x) {
      for (std::size_t i = 0; i < rows.size(); ++i) {
        if (const int q = rows[i][x - 1 + sh.spans[i].dx0]; q >= 0) hist.remove(q);
        if (const int q = rows[i][x + sh.spans[i].dx1]; q >= 0) hist.add(q);
      }
      o[x - r] = hist.result(table);
    }
    fill(oc - 1 + r, false);
  }
}

}  // namespace

void min_filter(const Grid& in, const Shape& sh, std::span<double> out) {
  extremes<MinOp>(in, sh, out);
}
void max_filter(const Grid& in, const Shape& sh, std::span<double> out) {
  extremes<MaxOp>(in, sh, out);
}
void median_filter(const Grid& in, const Shape& sh, std::span<double> out) {
  sliding_histogram<MedianHistogram>(in, sh, out);
}
void mode_filter(const Grid& in, const Shape& sh, std::span<double> out) {
  sliding_histogram<ModeHistogram>(in, sh, out);
}

}  // namespace trellis::focal::detail
