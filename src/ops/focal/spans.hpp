#pragma once
// What the focal statistics share (statistics.cpp: sums and the brute force; order_statistics.cpp: min,
// max, median and mode): the neighbourhood as row spans, window indexing, and the per-cell path. Internal
// to ops/focal.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <vector>

#include "ops/focal/statistics.hpp"

namespace trellis::focal::detail {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

inline std::size_t at(int x, int y, int cols) {
  return static_cast<std::size_t>(y) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(x);
}

// ---- The neighbourhood as row spans --------------------------------------------------------------

struct Span {
  int dy, dx0, dx1;  // included cells (dx0..dx1, dy), inclusive
  int width() const { return dx1 - dx0 + 1; }
};

struct Shape {
  int r = 0;
  std::int64_t cells = 0;
  bool full = false;  // every cell of the (2r + 1)^2 square takes part
  std::vector<Span> spans;
};

inline Shape shape_of(const Neighbourhood& nb) {
  Shape s;
  s.r = nb.reach();
  const auto mask = nb.mask();
  const int w = 2 * s.r + 1;
  for (int y = 0; y < w; ++y)
    for (int x = 0; x < w; ++x) {
      if (!mask[at(x, y, w)]) continue;
      ++s.cells;
      if (x > 0 && mask[at(x - 1, y, w)])
        ++s.spans.back().dx1;
      else
        s.spans.push_back({y - s.r, x - s.r, x - s.r});
    }
  s.full = s.cells == static_cast<std::int64_t>(w) * w;
  return s;
}

inline void check_sizes(const Grid& in, int r, std::span<double> out) {
  if (r < 0) throw std::invalid_argument("focal statistics: negative neighbourhood reach");
  if (in.cols < 2 * r + 1 || in.rows < 2 * r + 1)
    throw std::invalid_argument("focal statistics: window smaller than the neighbourhood");
  if (out.size() != at(0, in.rows - 2 * r, in.cols - 2 * r))
    throw std::invalid_argument("focal statistics: output of the wrong size");
}

// Median and Mode read integers (GeoTrellis' get), truncated toward zero; clamped to +-2^62 so that
// (lower + upper) never overflows and infinities read as large integers.
inline std::int64_t to_integer(double v) {
  constexpr double kLimit = 0x1p62;
  return static_cast<std::int64_t>(std::clamp(std::trunc(v), -kLimit, kLimit));
}

// ---- Per-cell evaluation (no scale; or infinities) -----------------------------------------------

template <class F>
void per_cell(const Grid& in, const Shape& sh, std::span<double> out, F&& f) {
  const int r = sh.r, oc = in.cols - 2 * r, orows = in.rows - 2 * r;
  std::vector<double> vals;
  for (int oy = 0; oy < orows; ++oy)
    for (int ox = 0; ox < oc; ++ox) {
      vals.clear();
      for (const Span& s : sh.spans)
        for (int dx = s.dx0; dx <= s.dx1; ++dx)
          if (const double v = in.cells[at(ox + r + dx, oy + r + s.dy, in.cols)]; !std::isnan(v))
            vals.push_back(v);
      out[at(ox, oy, oc)] = f(std::span<const double>(vals));
    }
}

// The order statistics over the spans of `sh` (order_statistics.cpp), as statistics() defines them.
// Deterministic, not collective, thread-safe.
void min_filter(const Grid& in, const Shape& sh, std::span<double> out);
void max_filter(const Grid& in, const Shape& sh, std::span<double> out);
void median_filter(const Grid& in, const Shape& sh, std::span<double> out);
void mode_filter(const Grid& in, const Shape& sh, std::span<double> out);

}  // namespace trellis::focal::detail
