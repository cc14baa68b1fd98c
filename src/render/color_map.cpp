#include "render/color_map.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace trellis::render {

namespace {

std::string number(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

}  // namespace

ColorMap::ColorMap(std::vector<double> breaks, std::vector<Rgba> colors, ColorMapOptions o)
    : breaks_(std::move(breaks)), colors_(std::move(colors)), options_(o) {
  if (breaks_.size() != colors_.size())
    throw std::invalid_argument("colour map: " + std::to_string(breaks_.size()) + " breaks but " +
                                std::to_string(colors_.size()) + " colours");
  if (breaks_.empty()) throw std::invalid_argument("colour map: no breaks");
  // Equal breaks are steps, meaningful only where a value is placed between two breaks.
  const bool steps = o.interpolation != Interpolation::Discrete;
  for (std::size_t i = 0; i < breaks_.size(); ++i) {
    if (!std::isfinite(breaks_[i]))
      throw std::invalid_argument("colour map: break " + std::to_string(i) + " is not finite");
    if (i > 0 && (steps ? breaks_[i] < breaks_[i - 1] : breaks_[i] <= breaks_[i - 1]))
      throw std::invalid_argument("colour map: the breaks must be " +
                                  std::string(steps ? "non-decreasing" : "strictly increasing") + " (break " +
                                  std::to_string(i) + ", " + number(breaks_[i]) + ", follows " +
                                  number(breaks_[i - 1]) + ")");
  }
  if (!(o.linear_round_offset >= 0.0 && o.linear_round_offset < 1.0))
    throw std::invalid_argument("colour map: linear_round_offset must be in [0, 1)");
}

ColorMap ColorMap::from_ramp(std::span<const Rgba> ramp, std::vector<double> breaks, ColorMapOptions o) {
  if (breaks.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw std::invalid_argument("colour map: too many breaks");
  std::vector<Rgba> colors = ramp_stops(ramp, static_cast<int>(breaks.size()));
  return ColorMap(std::move(breaks), std::move(colors), o);
}

void ColorMap::unmapped(double v) const {
  throw std::domain_error("colour map: value " + number(v) + " has no colour (strict colour map)");
}

Rgba ColorMap::discrete(double v) const {
  const auto b = breaks_.begin(), e = breaks_.end();
  // Index of the class's break, or n / -1 (as ptrdiff_t) for none: GeoTrellis' BreakMap searches a
  // balanced tree with these predicates, which amounts to these bounds on sorted, unique breaks.
  std::ptrdiff_t i = -1;
  switch (options_.boundary) {
    case ClassBoundary::LessThan:
      i = std::upper_bound(b, e, v) - b;
      break;
    case ClassBoundary::LessThanOrEqualTo:
      i = std::lower_bound(b, e, v) - b;
      break;
    case ClassBoundary::Exact: {
      const auto it = std::lower_bound(b, e, v);
      i = it != e && *it == v ? it - b : -1;
      break;
    }
    case ClassBoundary::GreaterThanOrEqualTo:
      i = (std::upper_bound(b, e, v) - b) - 1;
      break;
    case ClassBoundary::GreaterThan:
      i = (std::lower_bound(b, e, v) - b) - 1;
      break;
  }
  if (i >= 0 && i < static_cast<std::ptrdiff_t>(breaks_.size())) return colors_[static_cast<std::size_t>(i)];
  if (options_.strict) unmapped(v);
  return options_.fallback;
}

std::variant<std::size_t, Rgba> ColorMap::bracket(double v) const {
  const std::size_t n = breaks_.size();
  const auto i =
      static_cast<std::size_t>(std::lower_bound(breaks_.begin(), breaks_.end(), v) - breaks_.begin());
  if (i == 0) {
    if (options_.strict && v < breaks_[0]) unmapped(v);
    return colors_[0];
  }
  if (i == n) {
    if (options_.strict) unmapped(v);
    return colors_[n - 1];
  }
  if (breaks_[i] == v) return colors_[i];
  return i;
}

// gdaldem's GDALColorReliefGetRGBA (interpolating mode) on breaks that may hold steps: i is the first
// break at or above v, so a value on a step takes the step's first colour.
Rgba ColorMap::linear(double v) const {
  const auto b = bracket(v);
  if (const Rgba* c = std::get_if<Rgba>(&b)) return *c;
  return between(std::get<std::size_t>(b), v);
}

Rgba ColorMap::between(std::size_t i, double v) const {
  const double t = (v - breaks_[i - 1]) / (breaks_[i] - breaks_[i - 1]);
  const Rgba c0 = colors_[i - 1], c1 = colors_[i];
  const double offset = options_.linear_round_offset;
  // Same operations in the same order as gdaldem: (offset + c0) + t (c1 - c0), truncated.
  auto channel = [&](int a, int b) { return std::clamp(static_cast<int>(offset + a + t * (b - a)), 0, 255); };
  return rgba(channel(red(c0), red(c1)), channel(green(c0), green(c1)), channel(blue(c0), blue(c1)),
              channel(alpha(c0), alpha(c1)));
}

// gdaldem's -nearest_color_entry: at equal distance the upper break wins (its test is a strict <).
Rgba ColorMap::nearest(double v) const {
  const auto b = bracket(v);
  if (const Rgba* c = std::get_if<Rgba>(&b)) return *c;
  const std::size_t i = std::get<std::size_t>(b);
  return v - breaks_[i - 1] < breaks_[i] - v ? colors_[i - 1] : colors_[i];
}

Rgba ColorMap::map(double v) const {
  if (options_.float32_values) v = static_cast<float>(v);
  if (std::isnan(v)) return options_.no_data;
  switch (options_.interpolation) {
    case Interpolation::Discrete:
      return discrete(v);
    case Interpolation::Linear:
      return linear(v);
    case Interpolation::Nearest:
      return nearest(v);
  }
  return options_.fallback;  // not reached: every interpolation is handled above
}

void ColorMap::map_row(std::span<const double> values, std::span<const std::uint8_t> is_data,
                       std::uint8_t* rgba_out) const {
  if (!is_data.empty() && is_data.size() != values.size())
    throw std::invalid_argument("colour map: " + std::to_string(is_data.size()) + " data flags for " +
                                std::to_string(values.size()) + " values");
  // One loop per interpolation, so the per-cell work is the search alone.
  auto run = [&](auto one) {
    const bool all_data = is_data.empty(), f32 = options_.float32_values;
    for (std::size_t k = 0; k < values.size(); ++k) {
      double v = values[k];
      if (f32) v = static_cast<float>(v);
      const Rgba c = (!all_data && is_data[k] == 0) || std::isnan(v) ? options_.no_data : one(v);
      std::uint8_t* px = rgba_out + 4 * k;
      px[0] = static_cast<std::uint8_t>(c >> 24);
      px[1] = static_cast<std::uint8_t>(c >> 16);
      px[2] = static_cast<std::uint8_t>(c >> 8);
      px[3] = static_cast<std::uint8_t>(c);
    }
  };
  switch (options_.interpolation) {
    case Interpolation::Discrete: {
      if (options_.boundary == ClassBoundary::Exact) {
        run([this](double v) { return discrete(v); });
        break;
      }
      // The class of v depends only on j, the count of breaks below v (`upper`: at or below v), which
      // stays the same between two breaks: a cell whose value keeps the last cell's j keeps its colour.
      const bool upper = options_.boundary == ClassBoundary::LessThan ||
                         options_.boundary == ClassBoundary::GreaterThanOrEqualTo;
      const auto n = static_cast<std::ptrdiff_t>(breaks_.size());
      std::ptrdiff_t j = -1;  // none yet
      Rgba colour = 0;
      run([&](double v) {
        const bool same = j >= 0 && (upper ? (j == 0 || breaks_[j - 1] <= v) && (j == n || v < breaks_[j])
                                           : (j == 0 || breaks_[j - 1] < v) && (j == n || v <= breaks_[j]));
        if (same) return colour;
        colour = discrete(v);  // may throw (strict): then nothing is kept
        j = (upper ? std::upper_bound(breaks_.begin(), breaks_.end(), v)
                   : std::lower_bound(breaks_.begin(), breaks_.end(), v)) -
            breaks_.begin();
        return colour;
      });
      break;
    }
    case Interpolation::Linear: {
      // Neighbouring cells of a map mostly fall between the same two breaks: when v is strictly between
      // the last cell's, the search would give the same i (the first break at or above v).
      std::size_t last = 0;  // 0: none yet
      run([this, &last](double v) {
        if (last != 0 && breaks_[last - 1] < v && v < breaks_[last]) return between(last, v);
        const auto b = bracket(v);
        if (const Rgba* c = std::get_if<Rgba>(&b)) return *c;
        last = std::get<std::size_t>(b);
        return between(last, v);
      });
      break;
    }
    case Interpolation::Nearest:
      run([this](double v) { return nearest(v); });
      break;
  }
}

}  // namespace trellis::render
