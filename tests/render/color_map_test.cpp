// ColorMap against GeoTrellis' ColorMap / BreakMap semantics (raster/src/main/scala/geotrellis/raster/render/
// ColorMap.scala and BreakMap.scala), and trellis' Linear and Nearest interpolations.
#include "render/color_map.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace trellis::render {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr Rgba kA = 0xFF0000FF, kB = 0x00FF00FF, kC = 0x0000FFFF;
constexpr Rgba kFallback = 0x12345678, kNoData = 0x9ABCDEF0;

ColorMap three(ClassBoundary b, bool strict = false) {
  ColorMapOptions o;
  o.boundary = b;
  o.fallback = kFallback;
  o.no_data = kNoData;
  o.strict = strict;
  return ColorMap({10, 20, 30}, {kA, kB, kC}, o);
}

// Each boundary on breaks 10, 20, 30: below the first (5), on each break, between (15, 25) and above the
// last (35). The expected colours follow BreakMap's tree predicates: e.g. GreaterThan at 20 descends left
// from the root 20 (z <= v) to 10, where z > 10 with no right child gives 10's colour.
TEST(ColorMap, ClassBoundaries) {
  const double v[] = {5, 10, 15, 20, 25, 30, 35};
  const Rgba F = kFallback;
  struct Case {
    ClassBoundary b;
    Rgba expected[7];
  };
  const Case cases[] = {
      {ClassBoundary::LessThanOrEqualTo, {kA, kA, kB, kB, kC, kC, F}},
      {ClassBoundary::LessThan, {kA, kB, kB, kC, kC, F, F}},
      {ClassBoundary::Exact, {F, kA, F, kB, F, kC, F}},
      {ClassBoundary::GreaterThanOrEqualTo, {F, kA, kA, kB, kB, kC, kC}},
      {ClassBoundary::GreaterThan, {F, F, kA, kA, kB, kB, kC}},
  };
  for (const Case& c : cases) {
    const ColorMap m = three(c.b);
    for (int i = 0; i < 7; ++i)
      EXPECT_EQ(m.map(v[i]), c.expected[i]) << "boundary " << static_cast<int>(c.b) << " value " << v[i];
    EXPECT_EQ(m.map(kNaN), kNoData);
  }
}

TEST(ColorMap, DefaultsAreGeoTrellis) {
  const ColorMapOptions o;
  EXPECT_EQ(o.boundary, ClassBoundary::LessThanOrEqualTo);
  EXPECT_EQ(o.interpolation, Interpolation::Discrete);
  EXPECT_EQ(o.no_data, 0x00000000u);
  EXPECT_EQ(o.fallback, 0x00000000u);
  EXPECT_FALSE(o.strict);
  const ColorMap m({1.0}, {kA});
  EXPECT_EQ(m.map(0.5), kA);
  EXPECT_EQ(m.map(1.5), 0x00000000u);
}

TEST(ColorMap, InfinitiesAndSignedZero) {
  EXPECT_EQ(three(ClassBoundary::LessThanOrEqualTo).map(-INFINITY), kA);
  EXPECT_EQ(three(ClassBoundary::LessThanOrEqualTo).map(INFINITY), kFallback);
  EXPECT_EQ(three(ClassBoundary::GreaterThan).map(INFINITY), kC);
  const ColorMap exact({0.0}, {kB}, {.boundary = ClassBoundary::Exact});
  EXPECT_EQ(exact.map(-0.0), kB);
}

TEST(ColorMap, StrictThrowsWhereTheFallbackWouldApply) {
  const ColorMap le = three(ClassBoundary::LessThanOrEqualTo, true);
  EXPECT_EQ(le.map(30), kC);
  EXPECT_EQ(le.map(kNaN), kNoData);  // NoData is checked before the classes, as in BreakMap
  EXPECT_THROW(le.map(30.5), std::domain_error);
  const ColorMap ex = three(ClassBoundary::Exact, true);
  EXPECT_EQ(ex.map(20), kB);
  EXPECT_THROW(ex.map(20.5), std::domain_error);
  const ColorMap gt = three(ClassBoundary::GreaterThan, true);
  EXPECT_THROW(gt.map(10), std::domain_error);
  EXPECT_EQ(gt.map(10.5), kA);
  const ColorMap lin({0, 10}, {kA, kB}, {.interpolation = Interpolation::Linear, .strict = true});
  EXPECT_EQ(lin.map(0), kA);
  EXPECT_EQ(lin.map(10), kB);
  EXPECT_THROW(lin.map(-0.5), std::domain_error);
  EXPECT_THROW(lin.map(10.5), std::domain_error);
  std::vector<std::uint8_t> px(8);
  EXPECT_THROW(le.map_row(std::vector<double>{1, 99}, {}, px.data()), std::domain_error);
}

// Linear: c = int(offset + c0 + t (c1 - c0)), clamped; worked by hand for c0 = (0, 100, 255, 0),
// c1 = (255, 0, 0, 255) on breaks 0 and 100.
TEST(ColorMap, LinearInterpolation) {
  const Rgba c0 = rgba(0, 100, 255, 0), c1 = rgba(255, 0, 0, 255);
  const ColorMap m({0, 100}, {c0, c1}, {.interpolation = Interpolation::Linear});
  // t = 0.5: 0.5 + 127.5 = 128; 100.5 - 50 = 50.5 -> 50; 255.5 - 127.5 = 128; 128.
  EXPECT_EQ(m.map(50), rgba(128, 50, 128, 128));
  // t = 0.25: 64.25 -> 64; 100.5 - 25 = 75.5 -> 75; 255.5 - 63.75 = 191.75 -> 191; 0.5 + 63.75 -> 64.
  EXPECT_EQ(m.map(25), rgba(64, 75, 191, 64));
  EXPECT_EQ(m.map(0), c0);
  EXPECT_EQ(m.map(100), c1);
  EXPECT_EQ(m.map(-5), c0);  // the end colours beyond the ends
  EXPECT_EQ(m.map(1e9), c1);
  EXPECT_EQ(m.map(kNaN), 0x00000000u);
  // gdaldem's 0.45: t = 0.5 gives 127.95 -> 127 where 0.5 gives 128.
  const ColorMap g({0, 100}, {c0, c1}, {.interpolation = Interpolation::Linear, .linear_round_offset = 0.45});
  EXPECT_EQ(g.map(50), rgba(127, 50, 127, 127));
}

// Equal breaks make a step: on the break the first colour, below it a blend toward the first, above it a
// blend from the second.
TEST(ColorMap, LinearSteps) {
  const Rgba a = rgba(0, 0, 0, 255), b1 = rgba(100, 0, 0, 255), b2 = rgba(0, 200, 0, 255),
             c = rgba(0, 0, 0, 255);
  const ColorMap m({0, 10, 10, 20}, {a, b1, b2, c}, {.interpolation = Interpolation::Linear});
  EXPECT_EQ(m.map(10), b1);
  EXPECT_EQ(m.map(5), rgba(50, 0, 0, 255));                                 // 0.5 + 50
  EXPECT_EQ(m.map(15), rgba(0, 100, 0, 255));                               // 0.5 + 200 - 100
  EXPECT_THROW(ColorMap({0, 10, 10}, {a, b1, b2}), std::invalid_argument);  // not under Discrete
}

// Nearest: the nearer break, the upper one at equal distance (gdaldem's strict '<').
TEST(ColorMap, NearestBreak) {
  const ColorMap m({0, 10, 20}, {kA, kB, kC}, {.interpolation = Interpolation::Nearest});
  EXPECT_EQ(m.map(-1), kA);
  EXPECT_EQ(m.map(0), kA);
  EXPECT_EQ(m.map(4.9), kA);
  EXPECT_EQ(m.map(5), kB);
  EXPECT_EQ(m.map(10), kB);
  EXPECT_EQ(m.map(14.9), kB);
  EXPECT_EQ(m.map(15), kC);
  EXPECT_EQ(m.map(21), kC);
}

TEST(ColorMap, Float32Values) {
  const double tenth = static_cast<float>(0.1);  // 0.100000001490116...
  const ColorMap plain({tenth}, {kA}, {.boundary = ClassBoundary::Exact, .fallback = kFallback});
  EXPECT_EQ(plain.map(0.1), kFallback);
  const ColorMap f32({tenth}, {kA},
                     {.boundary = ClassBoundary::Exact, .fallback = kFallback, .float32_values = true});
  EXPECT_EQ(f32.map(0.1), kA);
}

TEST(ColorMap, ConstructorChecks) {
  EXPECT_THROW(ColorMap({1, 2}, {kA}), std::invalid_argument);
  EXPECT_THROW(ColorMap({}, {}), std::invalid_argument);
  EXPECT_THROW(ColorMap({1, kNaN}, {kA, kB}), std::invalid_argument);
  EXPECT_THROW(ColorMap({1, INFINITY}, {kA, kB}), std::invalid_argument);
  EXPECT_THROW(ColorMap({2, 1}, {kA, kB}), std::invalid_argument);
  EXPECT_THROW(ColorMap({1, 1}, {kA, kB}), std::invalid_argument);
  EXPECT_THROW(ColorMap({2, 1}, {kA, kB}, {.interpolation = Interpolation::Linear}), std::invalid_argument);
  EXPECT_NO_THROW(ColorMap({1, 1}, {kA, kB}, {.interpolation = Interpolation::Nearest}));
  EXPECT_THROW(ColorMap({1}, {kA}, {.linear_round_offset = 1.0}), std::invalid_argument);
  EXPECT_THROW(ColorMap({1}, {kA}, {.linear_round_offset = -0.1}), std::invalid_argument);
}

// GeoTrellis' ColorRamp.toColorMap(breaks): the ramp's stops(breaks.size) colours.
TEST(ColorMap, FromRamp) {
  const std::vector<Rgba> ramp = {0x2586ABFF, 0x4EA3C8FF, 0x7FB8D4FF, 0xADD8EAFF, 0xC8E1E7FF, 0xEDECEAFF,
                                  0xF0E7BBFF, 0xF5CF7DFF, 0xF9B737FF, 0xE68F2DFF, 0xD76B27FF};
  const ColorMap m = ColorMap::from_ramp(ramp, {1, 2, 3, 4});
  EXPECT_EQ(m.breaks(), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(m.colors(), (std::vector<Rgba>{0x2586ABFF, 0xADD8EAFF, 0xF5CF7DFF, 0xD76B27FF}));
  EXPECT_EQ(m.map(2.5), 0xF5CF7DFFu);
  EXPECT_THROW(ColorMap::from_ramp({}, {1, 2}), std::invalid_argument);
}

// map_row equals map, cell by cell, for every interpolation and boundary, with NoData flags and NaN.
TEST(ColorMap, MapRowEqualsMap) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(-5, 45);
  std::vector<double> values(4000);
  std::vector<std::uint8_t> is_data(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = i % 7 == 0 ? 10.0 * static_cast<double>(i % 5) : u(rng);  // some values on breaks
    if (i % 97 == 0) values[i] = kNaN;
    is_data[i] = i % 13 != 0;
  }
  std::vector<ColorMapOptions> opts;
  for (auto b : {ClassBoundary::LessThan, ClassBoundary::LessThanOrEqualTo, ClassBoundary::Exact,
                 ClassBoundary::GreaterThanOrEqualTo, ClassBoundary::GreaterThan})
    opts.push_back({.boundary = b, .no_data = kNoData, .fallback = kFallback});
  opts.push_back({.interpolation = Interpolation::Linear, .no_data = kNoData});
  opts.push_back({.interpolation = Interpolation::Nearest, .no_data = kNoData});
  for (const auto& o : opts) {
    const ColorMap m({0, 10, 20, 30, 40}, {kA, kB, kC, 0x11223344, 0x55667788}, o);
    std::vector<std::uint8_t> px(values.size() * 4), all(values.size() * 4);
    m.map_row(values, is_data, px.data());
    m.map_row(values, {}, all.data());
    for (std::size_t i = 0; i < values.size(); ++i) {
      const Rgba expected = is_data[i] ? m.map(values[i]) : kNoData;
      EXPECT_EQ(rgba(px[4 * i], px[4 * i + 1], px[4 * i + 2], px[4 * i + 3]), expected) << i;
      const Rgba every = m.map(values[i]);
      EXPECT_EQ(rgba(all[4 * i], all[4 * i + 1], all[4 * i + 2], all[4 * i + 3]), every) << i;
    }
  }
  // Linear over a step (two breaks at 10), with runs of values between the same breaks, then on a break,
  // then across it: map_row's reuse of the last cell's breaks gives map's colours.
  const ColorMap steps({0, 10, 10, 20}, {kA, kB, kC, 0x55667788},
                       {.interpolation = Interpolation::Linear, .no_data = kNoData});
  std::vector<double> sweep;
  for (int i = -50; i <= 2050; ++i) sweep.push_back(i * 0.01);
  for (double v : {9.99, 10.0, 9.99, 10.01, 10.0, 10.01, 0.0, 20.0, 19.99, 20.0, 25.0, 19.0, -1.0, 0.5})
    sweep.push_back(v);
  std::vector<std::uint8_t> out(sweep.size() * 4);
  steps.map_row(sweep, {}, out.data());
  for (std::size_t i = 0; i < sweep.size(); ++i)
    EXPECT_EQ(rgba(out[4 * i], out[4 * i + 1], out[4 * i + 2], out[4 * i + 3]), steps.map(sweep[i]))
        << sweep[i];
  const ColorMap m({0}, {kA});
  std::vector<std::uint8_t> px(8);
  EXPECT_THROW(m.map_row(std::vector<double>{1, 2}, std::vector<std::uint8_t>{1}, px.data()),
               std::invalid_argument);
}

}  // namespace
}  // namespace trellis::render
