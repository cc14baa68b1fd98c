// Focal statistics (src/ops/focal/statistics.hpp): the fast paths against the brute force, bit for bit,
// for every statistic and shape; tile independence; GeoTrellis' hand-checked focal cases
// (../shared/conformance/cases.json); ScaleProbe; the wide integers of the sums (wide_int.hpp).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>

#include "core/exact_sum.hpp"
#include "ops/focal/statistics.hpp"
#include "ops/focal/wide_int.hpp"

namespace trellis::focal {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Raster {
  int cols = 0, rows = 0;
  std::vector<double> cells;
  Grid grid() const { return {cells.data(), cols, rows}; }
};

Neighbourhood square(int e) {
  return {NeighbourhoodShape::Square, e};
}
Neighbourhood nesw(int e) {
  return {NeighbourhoodShape::Nesw, e};
}
Neighbourhood circle(double r) {
  return {NeighbourhoodShape::Circle, 0, r};
}
Neighbourhood wedge(double r, double start, double end) {
  Neighbourhood n{NeighbourhoodShape::Wedge, 0, r};
  n.start_angle = start, n.end_angle = end;
  return n;
}
Neighbourhood annulus(double inner, double outer) {
  Neighbourhood n{NeighbourhoodShape::Annulus};
  n.inner = inner, n.outer = outer;
  return n;
}

std::vector<Neighbourhood> shapes() {
  return {square(1), square(2),         square(15),        circle(1),       circle(2.5),  circle(7),
          nesw(2),   wedge(3, 30, 120), wedge(3, 300, 45), annulus(1, 2.5), annulus(2, 1)};
}

constexpr FocalStat kAllStats[] = {FocalStat::Sum,
                                   FocalStat::Min,
                                   FocalStat::Max,
                                   FocalStat::Mean,
                                   FocalStat::Median,
                                   FocalStat::Mode,
                                   FocalStat::StandardDeviation,
                                   FocalStat::Variance};

std::string describe(const Neighbourhood& n, FocalStat s) {
  std::ostringstream o;
  o << enum_name(s) << " " << enum_name(n.shape) << " extent " << n.extent << " radius " << n.radius
    << " angles " << n.start_angle << ".." << n.end_angle << " annulus " << n.inner << ".." << n.outer;
  return o.str();
}

enum class Data { Integers, SmallIntegers, Float32, Tiny, Coast, Wide, WithInfinities };

// ~20% NaN; the rest drawn by kind (fixed seed).
Raster random_raster(int cols, int rows, Data kind, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Raster r{cols, rows, std::vector<double>(static_cast<std::size_t>(cols) * static_cast<std::size_t>(rows))};
  for (std::size_t i = 0; i < r.cells.size(); ++i) {
    double& c = r.cells[i];
    if (u(rng) < 0.2) {
      c = kNaN;
      continue;
    }
    switch (kind) {
      case Data::Integers:
        c = std::floor(u(rng) * 2001) - 1000;
        break;
      case Data::SmallIntegers:  // many repeats: modes and even-count medians with equal halves
        c = std::floor(u(rng) * 6) - 2;
        break;
      case Data::Float32:  // DEM-like float32 values, some negative, with fractions
        c = static_cast<double>(static_cast<float>(u(rng) * 3100 - 100));
        break;
      case Data::Tiny:  // Float32 with ~5% tiny positives (bits down to 2^-56: 67 bits in all), as
                        // near the coast of a resampled DEM
        c = static_cast<double>(
            static_cast<float>(u(rng) < 0.05 ? 2.58e-10 * (0.5 + u(rng)) : u(rng) * 1126 - 100));
        break;
      case Data::Coast:  // Tiny's values, only tiny ones in the western third: windows there fit 64 bits
        c = static_cast<double>(static_cast<float>(static_cast<int>(i % cols) < cols / 3 || u(rng) < 0.05
                                                       ? 2.58e-10 * (0.5 + u(rng))
                                                       : u(rng) * 1126 - 100));
        break;
      case Data::Wide:  // 24 decimal orders of magnitude: no scale
        c = (u(rng) < 0.5 ? -1 : 1) * std::pow(10.0, u(rng) * 24 - 12);
        break;
      case Data::WithInfinities:
        c = u(rng) < 0.03 ? (u(rng) < 0.5 ? kInf : -kInf)
                          : static_cast<double>(static_cast<float>(u(rng) * 100 - 50));
        break;
    }
  }
  return r;
}

std::int64_t cells_of(const Neighbourhood& n) {
  std::int64_t c = 0;
  for (auto m : n.mask()) c += m;
  return c;
}

bool needs_squares(FocalStat s) {
  return s == FocalStat::Variance || s == FocalStat::StandardDeviation;
}

std::optional<SumScale> scale_of(const Raster& r, const Neighbourhood& n, bool squares) {
  ScaleProbe p;
  for (double v : r.cells) p.add(v);
  return p.scale(cells_of(n), squares);
}

bool same_bits(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) ||
         std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

std::size_t out_size(const Raster& in, const Neighbourhood& n) {
  const int r = n.reach();
  return static_cast<std::size_t>(in.cols - 2 * r) * static_cast<std::size_t>(in.rows - 2 * r);
}

// Compares statistics() with the brute force for every statistic and shape; returns the cells compared.
std::size_t expect_matches_brute_force(const Raster& in, const Neighbourhood& n) {
  std::size_t compared = 0;
  for (FocalStat s : kAllStats) {
    SCOPED_TRACE(describe(n, s));
    std::vector<double> fast(out_size(in, n)), slow(fast.size());
    statistics(in.grid(), n, s, scale_of(in, n, needs_squares(s)), fast);
    statistics_brute_force(in.grid(), n, s, slow);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < fast.size(); ++i)
      if (!same_bits(fast[i], slow[i]) && bad++ < 3)
        ADD_FAILURE() << "cell " << i << ": fast " << fast[i] << " brute force " << slow[i];
    EXPECT_EQ(bad, 0u);
    compared += fast.size();
  }
  return compared;
}

void check_all_shapes(Data kind, unsigned seed) {
  for (const auto& n : shapes()) {
    const int w = 2 * n.reach() + 1;
    // A window exactly 2r + 1 (one output cell), a narrow one, and a larger one.
    const std::pair<int, int> sizes[] = {{w, w}, {w + 1, w + 6}, {w + 23, w + 17}};
    for (const auto& [c, r] : sizes) {
      SCOPED_TRACE(std::to_string(c) + "x" + std::to_string(r));
      expect_matches_brute_force(random_raster(c, r, kind, seed++), n);
    }
  }
}

TEST(FocalStatistics, MatchesBruteForceOnIntegers) {
  check_all_shapes(Data::Integers, 1);
  check_all_shapes(Data::SmallIntegers, 100);
}

TEST(FocalStatistics, MatchesBruteForceOnFloat32) {
  const Raster r = random_raster(50, 40, Data::Float32, 7);
  ASSERT_TRUE(scale_of(r, square(15), true).has_value());
  EXPECT_GT(scale_of(r, square(15), true)->exp, 0);
  check_all_shapes(Data::Float32, 200);
}

// Tiny positives among 0..1026 span 67 bits: more than 64-bit sums hold, well within the 128- and 256-bit
// ones. Every shape and statistic takes the fast path (a scale for sums and squares).
TEST(FocalStatistics, MatchesBruteForceOnTinyValues) {
  for (unsigned seed = 500; seed < 533; ++seed) {
    const Raster r = random_raster(40, 38, Data::Tiny, seed);
    for (const auto& n : shapes())
      for (bool squares : {false, true}) {
        const auto scale = scale_of(r, n, squares);
        ASSERT_TRUE(scale.has_value()) << describe(n, FocalStat::Sum) << " squares " << squares;
        EXPECT_GE(scale->exp, 55);
      }
  }
  check_all_shapes(Data::Tiny, 500);
}

TEST(FocalStatistics, MatchesBruteForceWithoutScale) {
  const Raster r = random_raster(40, 40, Data::Wide, 3);
  EXPECT_FALSE(scale_of(r, square(1), false).has_value());
  EXPECT_FALSE(scale_of(r, square(1), true).has_value());
  check_all_shapes(Data::Wide, 300);
}

TEST(FocalStatistics, MatchesBruteForceWithInfinities) {
  check_all_shapes(Data::WithInfinities, 400);
}

// Without a scale on data that has one: Sum and Mean are still exact (an ExactSum per cell: the same bits
// by another way); variance is a long-double two-pass.
TEST(FocalStatistics, NoScaleFallbackAgrees) {
  for (Data kind : {Data::Float32, Data::Tiny})
    for (const auto& n : {square(2), circle(2.5), square(15)})
      for (FocalStat s : kAllStats) {
        const Raster in = random_raster(45, 38, kind, 11);
        SCOPED_TRACE(describe(n, s));
        std::vector<double> exact(out_size(in, n)), fallback(exact.size());
        statistics(in.grid(), n, s, scale_of(in, n, needs_squares(s)), exact);
        statistics(in.grid(), n, s, std::nullopt, fallback);
        for (std::size_t i = 0; i < exact.size(); ++i) {
          if (!needs_squares(s))
            ASSERT_TRUE(same_bits(exact[i], fallback[i])) << i << ": " << exact[i] << " vs " << fallback[i];
          else
            ASSERT_NEAR(exact[i], fallback[i], 1e-12 * std::abs(exact[i]) + 1e-300) << i;
        }
      }
}

TEST(FocalStatistics, ExactHandCases) {
  // 3x3 window, square(1): one output cell.
  auto one = [](std::vector<double> cells, FocalStat s, std::optional<SumScale> scale = SumScale{0}) {
    std::vector<double> out(1);
    statistics({cells.data(), 3, 3}, square(1), s, scale, out);
    return out[0];
  };
  const std::vector<double> flat(9, 0.1);
  ScaleProbe p;
  p.add(0.1);
  EXPECT_EQ(one(flat, FocalStat::Variance, p.scale(9, true)), 0.0);  // flat: exactly 0
  EXPECT_EQ(one(flat, FocalStat::StandardDeviation, p.scale(9, true)), 0.0);
  std::vector<double> v = {1, 2, kNaN, 4, kNaN, kNaN, kNaN, kNaN, 3};
  EXPECT_EQ(one(v, FocalStat::Variance), 1.25);
  EXPECT_EQ(one(v, FocalStat::Mean), 2.5);
  EXPECT_EQ(one(v, FocalStat::Median), 2.0);         // (2 + 3) / 2 truncated
  EXPECT_TRUE(std::isnan(one(v, FocalStat::Mode)));  // all distinct: a tie
  v = {-3.7, -2.2, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  EXPECT_EQ(one(v, FocalStat::Median), -2.0);  // (-3 + -2) / 2 = -2 (truncating), as Scala Int
  // Variance of {1, 1, 1, 2}: (4*7 - 25) / 16 = 0.1875; of {0, 1, 1}: 2/9, rounded once.
  v = {1, 1, 1, 2, kNaN, kNaN, kNaN, kNaN, kNaN};
  EXPECT_EQ(one(v, FocalStat::Variance), 0.1875);
  v = {0, 1, 1, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  EXPECT_EQ(one(v, FocalStat::Variance), 2.0 / 9.0);
  // Infinities propagate through sums; a window with both signs or any variance gives NaN.
  v = {1, kInf, 2, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  EXPECT_EQ(one(v, FocalStat::Sum), kInf);
  EXPECT_EQ(one(v, FocalStat::Max), kInf);
  EXPECT_EQ(one(v, FocalStat::Min), 1.0);
  EXPECT_TRUE(std::isnan(one(v, FocalStat::Variance)));
  v[3] = -kInf;
  EXPECT_TRUE(std::isnan(one(v, FocalStat::Sum)));
  // Only infinities (and NoData): min of +inf is +inf, not "no data".
  v = {kInf, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  EXPECT_EQ(one(v, FocalStat::Min), kInf);
  // The sum of a large and small value is rounded once (a double sum would lose the 1).
  v = {0x1p53, 1, 1, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  EXPECT_EQ(one(v, FocalStat::Sum), 0x1p53 + 2);
  EXPECT_NE(0x1p53 + 1 + 1, 0x1p53 + 2);
  v = {2.9, 1, 2, 3.5, -7, kNaN, kNaN, kNaN, kNaN};
  EXPECT_EQ(one(v, FocalStat::Mode), 2.0);  // 2.9 and 2 read as 2: unique most frequent
  // The sign of a zero minimum or maximum is not kept, whatever the order of the cells.
  v = {-0.0, 0.0, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  EXPECT_FALSE(std::signbit(one(v, FocalStat::Min)));
  EXPECT_FALSE(std::signbit(one(v, FocalStat::Max)));
  // All NoData: NaN for every statistic.
  for (FocalStat s : kAllStats) EXPECT_TRUE(std::isnan(one(std::vector<double>(9, kNaN), s)));
}

// Variance = (n S2 - S1^2) / n^2 rounded once (to nearest, ties to even), checked with integers
// independently of the implementation: d = M 2^E is correct iff |num - d n^2| <= n^2 2^E / 2, with
// equality only for an even M.
TEST(FocalStatistics, VarianceIsCorrectlyRounded) {
  using i128 = __int128;
  const Raster in = random_raster(240, 200, Data::Integers, 23);  // ~1 in 2048 cells tests a tie
  int inexact = 0;
  // n^2 beyond 2^10: with fewer cells no fraction k / n^2 has the 10 zero bits a rounding tie needs.
  for (const auto& n : {square(1), circle(7), square(15)}) {
    const int r = n.reach(), oc = in.cols - 2 * r;
    std::vector<double> out(out_size(in, n));
    statistics(in.grid(), n, FocalStat::Variance, SumScale{0}, out);
    const auto mask = n.mask();
    for (int oy = 0; oy < in.rows - 2 * r; ++oy)
      for (int ox = 0; ox < oc; ++ox) {
        i128 cnt = 0, s1 = 0, s2 = 0;
        for (int dy = -r; dy <= r; ++dy)
          for (int dx = -r; dx <= r; ++dx) {
            const double v = in.cells[static_cast<std::size_t>(oy + r + dy) * in.cols + ox + r + dx];
            if (!mask[static_cast<std::size_t>(dy + r) * (2 * r + 1) + dx + r] || std::isnan(v)) continue;
            ++cnt, s1 += static_cast<i128>(v), s2 += static_cast<i128>(v) * static_cast<i128>(v);
          }
        const double d = out[static_cast<std::size_t>(oy) * oc + ox];
        if (cnt == 0) {
          EXPECT_TRUE(std::isnan(d));
          continue;
        }
        const i128 num = cnt * s2 - s1 * s1, den = cnt * cnt;
        if (num == 0) {
          EXPECT_EQ(d, 0.0);
          continue;
        }
        int e = 0;
        const auto m = static_cast<i128>(std::ldexp(std::frexp(d, &e), 53));  // d = m 2^(e - 53)
        const int shift = 53 - e;  // variance < 2^20 here, so shift > 0 and num 2^(shift+1) fits
        ASSERT_GT(shift, 0);
        const i128 lhs = (num << (shift + 1)) - 2 * m * den, bound = den;  // 2^(shift+1) (num - d den)
        ASSERT_LE(lhs < 0 ? -lhs : lhs, bound) << "cell " << ox << "," << oy << " = " << d;
        if (lhs == bound || lhs == -bound) {
          EXPECT_EQ(m % 2, 0);
        }
        inexact += (num << (shift + 1)) % den != 0;
      }
  }
  EXPECT_GT(inexact, 50000);
}

TEST(FocalStatistics, RejectsBadArguments) {
  std::vector<double> cells(9, 1.5), out(1);
  const Grid g{cells.data(), 3, 3};
  EXPECT_THROW(statistics({cells.data(), 2, 3}, square(1), FocalStat::Sum, SumScale{1}, out),
               std::invalid_argument);
  std::vector<double> wrong(2);
  EXPECT_THROW(statistics(g, square(1), FocalStat::Sum, SumScale{1}, wrong), std::invalid_argument);
  EXPECT_THROW(statistics_brute_force(g, square(1), FocalStat::Sum, wrong), std::invalid_argument);
  // 1.5 is not an integer at scale 0: the scale is not this layer's.
  EXPECT_THROW(statistics(g, square(1), FocalStat::Sum, SumScale{0}, out), std::invalid_argument);
  statistics(g, square(1), FocalStat::Sum, SumScale{1}, out);
  EXPECT_EQ(out[0], 13.5);
}

// Tiles buffered by r (overlapping by 2r) give exactly the cells of the whole window. (Coast: tiles in
// its western third sum in 64 and 128 bits, the whole window in 128 and 256.)
TEST(FocalStatistics, TileIndependent) {
  for (Data kind : {Data::Integers, Data::Float32, Data::Tiny, Data::Coast, Data::Wide})
    for (const auto& n : {square(2), square(4), circle(2.5), nesw(2), wedge(3, 300, 45), annulus(1, 2.5)}) {
      const int r = n.reach();
      const Raster big = random_raster(70, 61, kind, 17);
      const int oc = big.cols - 2 * r, orows = big.rows - 2 * r;
      for (FocalStat s : kAllStats) {
        SCOPED_TRACE(describe(n, s));
        const auto scale = scale_of(big, n, needs_squares(s));  // the layer's, shared by every tile
        std::vector<double> whole(out_size(big, n));
        statistics(big.grid(), n, s, scale, whole);
        for (int ty = 0; ty < orows; ty += 13)
          for (int tx = 0; tx < oc; tx += 16) {
            const int tc = std::min(16, oc - tx), tr = std::min(13, orows - ty);
            Raster tile{tc + 2 * r, tr + 2 * r, {}};
            for (int y = 0; y < tile.rows; ++y)
              for (int x = 0; x < tile.cols; ++x)
                tile.cells.push_back(big.cells[static_cast<std::size_t>(ty + y) * big.cols + tx + x]);
            std::vector<double> part(static_cast<std::size_t>(tc) * tr);
            statistics(tile.grid(), n, s, scale, part);
            for (int y = 0; y < tr; ++y)
              for (int x = 0; x < tc; ++x)
                ASSERT_TRUE(same_bits(part[static_cast<std::size_t>(y) * tc + x],
                                      whole[static_cast<std::size_t>(ty + y) * oc + tx + x]))
                    << "tile " << tx << "," << ty << " cell " << x << "," << y;
          }
      }
    }
}

std::filesystem::path shared_dir() {
  if (const char* s = std::getenv("TRELLIS_SHARED")) return s;
  return std::filesystem::path(__FILE__).parent_path() / ".." / ".." / ".." / "shared";
}

std::optional<FocalStat> stat_named(const std::string& op) {
  static const std::pair<const char*, FocalStat> names[] = {
      {"Sum", FocalStat::Sum},
      {"Min", FocalStat::Min},
      {"Max", FocalStat::Max},
      {"Mean", FocalStat::Mean},
      {"Median", FocalStat::Median},
      {"Mode", FocalStat::Mode},
      {"StandardDeviation", FocalStat::StandardDeviation},
      {"Variance", FocalStat::Variance}};
  for (const auto& [name, s] : names)
    if (op == name) return s;
  return std::nullopt;
}

// A plain {type, extent | radius} neighbourhood, or nullopt.
std::optional<Neighbourhood> neighbourhood_of(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("type")) return std::nullopt;
  const std::string type = j["type"];
  if ((type == "Square" || type == "Nesw") && j.contains("extent"))
    return Neighbourhood{type == "Square" ? NeighbourhoodShape::Square : NeighbourhoodShape::Nesw,
                         j["extent"].get<int>()};
  if (type == "Circle" && j.contains("radius")) return circle(j["radius"].get<double>());
  return std::nullopt;
}

// GeoTrellis' focal specs (TargetCell.All): the raster padded with r NoData cells (outside = NoData).
TEST(FocalStatistics, GeoTrellisCases) {
  const auto path = shared_dir() / "conformance" / "cases.json";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path << " (set TRELLIS_SHARED)";
  std::ifstream f(path);
  const auto doc = nlohmann::json::parse(f);
  int checked = 0;
  for (const auto& c : doc["cases"]) {
    const std::string id = c.value("id", "");
    if (id.rfind("gt-focal-", 0) != 0) continue;
    const auto& p = c["params"];
    if (!c["inputs"].contains("cells") || !c["expected"].contains("cells") || p.contains("bounds")) continue;
    if (p.contains("target") && p["target"].get<std::string>().find("All") == std::string::npos) continue;
    const auto nb = neighbourhood_of(p.value("neighborhood", nlohmann::json()));
    const auto stat = stat_named(p.value("operation", ""));
    if (!nb || !stat) continue;
    SCOPED_TRACE(id);
    const auto& rows = c["inputs"]["cells"];
    const int r = nb->reach(), h = static_cast<int>(rows.size()), w = static_cast<int>(rows[0].size());
    Raster in{w + 2 * r, h + 2 * r,
              std::vector<double>(static_cast<std::size_t>(w + 2 * r) * (h + 2 * r), kNaN)};
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        if (!rows[y][x].is_null()) in.cells[static_cast<std::size_t>(y + r) * in.cols + x + r] = rows[y][x];
    std::vector<double> out(static_cast<std::size_t>(w) * h);
    statistics(in.grid(), *nb, *stat, scale_of(in, *nb, needs_squares(*stat)), out);
    const double tol = p.value("tolerance", 0.0);
    const auto& want = c["expected"]["cells"];
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const double got = out[static_cast<std::size_t>(y) * w + x];
        if (want[y][x].is_null())
          EXPECT_TRUE(std::isnan(got)) << "(" << x << "," << y << ") = " << got;
        else
          EXPECT_NEAR(got, want[y][x].get<double>(), tol) << "(" << x << "," << y << ")";
      }
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

TEST(ScaleProbe, ScalesAndRoundTrip) {
  ScaleProbe empty;
  ASSERT_TRUE(empty.scale(9, true).has_value());
  EXPECT_EQ(empty.scale(9, true)->exp, 0);
  ScaleProbe ints;
  for (double v : {3.0, -1000.0, 0.0, kNaN, kInf, 12345678.0}) ints.add(v);
  EXPECT_EQ(ints.scale(961, false)->exp, 0);
  EXPECT_EQ(ints.scale(961, true)->exp, 0);
  ScaleProbe a, b;
  a.add(0.5);     // lsb 2^-1
  b.add(-0.375);  // 0.011b: lsb 2^-3
  b.add(2048);    // msb 2^11
  ScaleProbe ab = a;
  ab.merge(b);
  EXPECT_EQ(a.scale(9, false)->exp, 1);
  EXPECT_EQ(ab.scale(9, true)->exp, 3);
  ScaleProbe ba = b;
  ba.merge(a);
  std::vector<std::byte> x, y;
  ab.serialize(x);
  ba.serialize(y);
  EXPECT_EQ(x, y);  // merge commutes
  const ScaleProbe back = ScaleProbe::deserialize(x);
  EXPECT_EQ(back.scale(100, true)->exp, ab.scale(100, true)->exp);
  std::vector<std::byte> e;
  empty.serialize(e);
  EXPECT_EQ(ScaleProbe::deserialize(e).scale(5, false)->exp, 0);
  EXPECT_THROW(ScaleProbe::deserialize(std::span(x).first(3)), std::invalid_argument);
  std::vector<std::byte> corrupt(8, std::byte{0x7f});
  EXPECT_THROW(ScaleProbe::deserialize(corrupt), std::invalid_argument);
  // Huge integers: a negative exponent (trailing zero bits dropped) keeps the sums exact.
  ScaleProbe huge;
  huge.add(0x1p300);
  huge.add(0x3p298);
  EXPECT_EQ(huge.scale(9, true)->exp, -298);
  // Too many binary orders of magnitude: no scale.
  ScaleProbe spread;
  spread.add(1e-12);
  spread.add(1e12);
  EXPECT_FALSE(spread.scale(9, false).has_value());
  EXPECT_FALSE(spread.scale(9, true).has_value());
}

// The sums of squares need n^2 < 2^64 (the divisor of the variance): neighbourhoods of fewer than 2^32
// cells. The sums alone only need their 126 bits.
TEST(ScaleProbe, SquaresNeedFewerCells) {
  ScaleProbe ints;
  for (double v : {3.0, -1000.0, 12345678.0}) ints.add(v);  // 24 bits
  const std::int64_t most = (std::int64_t{1} << 32) - 1;
  EXPECT_EQ(ints.scale(most, true)->exp, 0);
  EXPECT_FALSE(ints.scale(most + 1, true).has_value());
  EXPECT_EQ(ints.scale(most + 1, false)->exp, 0);
  EXPECT_EQ(ints.scale(std::int64_t{1} << 40, false)->exp, 0);
  EXPECT_FALSE(ints.scale(std::int64_t{1} << 40, true).has_value());
  ScaleProbe none;  // no value: any scale is exact, but not for squares of too many cells
  EXPECT_TRUE(none.scale(std::int64_t{1} << 40, false).has_value());
  EXPECT_FALSE(none.scale(std::int64_t{1} << 40, true).has_value());
  EXPECT_EQ(ints.scale((std::int64_t{1} << 62) - 1, false)->exp, 0);  // 24 + 62 bits <= 126
}

// A value's span: from the largest magnitude's top bit to the lowest set bit of any value, plus the
// bits of the cell count, may take up to 126 bits. A float32 DEM's tiny values near the coast
// (2.58e-10: bits down to 2^-55) among heights up to 1026 span 66 bits: far inside.
TEST(ScaleProbe, SpanLimit) {
  for (bool squares : {false, true}) {
    ScaleProbe dem;
    dem.add(std::nextafter(2.58e-10f, 1.0f));  // 0x1.1bac8dp-32: bits down to 2^-55
    dem.add(1026.0f);
    ASSERT_TRUE(dem.scale(961, squares).has_value());
    EXPECT_EQ(dem.scale(961, squares)->exp, 55);
    // 2^-61 .. 2^61 - 2^8 (msb 60): 122 bits, and 9 cells take 4: 126.
    ScaleProbe edge;
    edge.add(0x1p-61);
    edge.add(-0x1.fffffffffffffp60);
    EXPECT_EQ(edge.scale(9, squares)->exp, 61);
    EXPECT_EQ(edge.scale(15, squares)->exp, 61);
    EXPECT_FALSE(edge.scale(16, squares).has_value());  // 5 bits of cells: 127
    edge.add(0x1p-62);
    EXPECT_FALSE(edge.scale(9, squares).has_value());
    // Huge integers at the edge: 2^199 .. 2^321 - 2^268 (trailing zeros dropped, exp -199).
    ScaleProbe huge;
    huge.add(0x1p199);
    huge.add(0x1.fffffffffffffp320);
    EXPECT_EQ(huge.scale(9, squares)->exp, -199);
    EXPECT_FALSE(huge.scale(16, squares).has_value());
  }
}

TEST(ScaleProbe, TinyValuesSumExactly) {
  std::vector<double> cells = {0x1p-400, 0x1p-399, 0x3p-400, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN}, out(1);
  ScaleProbe p;
  for (double v : cells) p.add(v);
  ASSERT_EQ(p.scale(9, true)->exp, 400);
  statistics({cells.data(), 3, 3}, square(1), FocalStat::Variance, p.scale(9, true), out);
  EXPECT_EQ(out[0], std::ldexp(2.0 / 3.0, -800));  // 2^-400 (1, 2, 3)
  statistics({cells.data(), 3, 3}, square(1), FocalStat::Mean, p.scale(9, false), out);
  EXPECT_EQ(out[0], 0x1p-399);
  // Finer than kMaxExp: the results could be subnormal (rounded twice), so no scale.
  ScaleProbe fine;
  fine.add(0x1p-500);
  EXPECT_FALSE(fine.scale(9, false).has_value());
  EXPECT_FALSE(fine.scale(9, true).has_value());
}

TEST(ScaleProbe, HugeIntegersSumExactly) {
  std::vector<double> cells = {0x1p300, 0x3p298, kNaN, 0x1p299, kNaN, kNaN, kNaN, kNaN, kNaN}, out(1);
  ScaleProbe p;
  for (double v : cells) p.add(v);
  statistics({cells.data(), 3, 3}, square(1), FocalStat::Sum, p.scale(9, false), out);
  EXPECT_EQ(out[0], 0x1p300 + 0x3p298 + 0x1p299);
  // 2^298 (4, 3, 2): variance 2/3 2^596, rounded once (scaling by 2^596 is exact).
  statistics({cells.data(), 3, 3}, square(1), FocalStat::Variance, p.scale(9, true), out);
  EXPECT_EQ(out[0], std::ldexp(2.0 / 3.0, 596));
  std::vector<double> slow(1);
  for (FocalStat s : kAllStats) {
    statistics({cells.data(), 3, 3}, square(1), s, p.scale(9, needs_squares(s)), out);
    statistics_brute_force({cells.data(), 3, 3}, square(1), s, slow);
    EXPECT_TRUE(same_bits(out[0], slow[0])) << enum_name(s);
  }
}

// ---- Wide integers (wide_int.hpp) ---------------------------------------------------------------
// Against a schoolbook reference on four 64-bit limbs, __int128 and the compiler's conversions.

using wide::i128;
using wide::u128;
using wide::U256;
using Limbs = std::array<std::uint64_t, 4>;

Limbs limbs(const U256& a) {
  return {static_cast<std::uint64_t>(a.lo), static_cast<std::uint64_t>(a.lo >> 64),
          static_cast<std::uint64_t>(a.hi), static_cast<std::uint64_t>(a.hi >> 64)};
}
U256 from_limbs(const Limbs& l) {
  return {l[0] | u128{l[1]} << 64, l[2] | u128{l[3]} << 64};
}
Limbs ref_add(const Limbs& a, const Limbs& b) {
  Limbs r{};
  std::uint64_t carry = 0;
  for (int i = 0; i < 4; ++i) {
    const u128 t = u128{a[i]} + b[i] + carry;
    r[i] = static_cast<std::uint64_t>(t), carry = static_cast<std::uint64_t>(t >> 64);
  }
  return r;
}
Limbs ref_neg(Limbs a) {  // two's complement
  for (auto& l : a) l = ~l;
  return ref_add(a, {1, 0, 0, 0});
}
Limbs ref_mul(const Limbs& a, const Limbs& b) {  // modulo 2^256
  Limbs r{};
  for (int i = 0; i < 4; ++i) {
    std::uint64_t carry = 0;
    for (int j = 0; i + j < 4; ++j) {
      const u128 t = u128{a[i]} * b[j] + r[i + j] + carry;
      r[i + j] = static_cast<std::uint64_t>(t), carry = static_cast<std::uint64_t>(t >> 64);
    }
  }
  return r;
}
Limbs ref_shl(const Limbs& a, int s) {
  Limbs r{};
  for (int bit = 0; bit < 256; ++bit)
    if (bit >= s && (a[(bit - s) / 64] >> ((bit - s) % 64) & 1))
      r[bit / 64] |= std::uint64_t{1} << (bit % 64);
  return r;
}
Limbs ref_shr(const Limbs& a, int s) {
  Limbs r{};
  for (int bit = 0; bit + s < 256; ++bit)
    if (a[(bit + s) / 64] >> ((bit + s) % 64) & 1) r[bit / 64] |= std::uint64_t{1} << (bit % 64);
  return r;
}
// a < b, for a, b < 2^255.
bool less(const U256& a, const U256& b) {
  return ((a - b).hi >> 127) != 0;
}

// Random words with random bit lengths (so that carries, zero limbs and top bits all occur).
struct WideRng {
  std::mt19937_64 rng;
  explicit WideRng(unsigned seed) : rng(seed) {}
  std::uint64_t u64() { return rng(); }
  U256 u256(int bits) {
    U256 a = from_limbs({rng(), rng(), rng(), rng()});
    return bits >= 256 ? a : wide::shr(a, 256 - bits);
  }
  U256 u256() { return u256(1 + static_cast<int>(rng() % 256)); }
  u128 u128_bits(int bits) { return u256(bits).lo; }
};

TEST(WideInt, ArithmeticMatchesSchoolbook) {
  WideRng g(1);
  for (int i = 0; i < 20000; ++i) {
    const U256 a = g.u256(), b = g.u256();
    const std::uint64_t n = g.u64() >> (g.u64() % 64);
    ASSERT_EQ(limbs(a + b), ref_add(limbs(a), limbs(b)));
    ASSERT_EQ(limbs(a - b), ref_add(limbs(a), ref_neg(limbs(b))));
    ASSERT_EQ(limbs(a * n), ref_mul(limbs(a), {n, 0, 0, 0}));
    U256 c = a;
    c += b, c -= b;
    ASSERT_EQ(c, a);
    const u128 x = g.u128_bits(1 + static_cast<int>(g.u64() % 128));
    const Limbs lx = limbs({x, 0});
    ASSERT_EQ(limbs(wide::square(x)), ref_mul(lx, lx));
    const auto sx = static_cast<i128>(x);  // negative when bit 127 is set
    ASSERT_EQ(wide::square(sx), wide::square(sx < 0 ? -static_cast<u128>(sx) : x));
    const int sh = static_cast<int>(g.u64() % 256);
    ASSERT_EQ(limbs(wide::shl(a, sh)), ref_shl(limbs(a), sh));
    ASSERT_EQ(limbs(wide::shr(a, sh)), ref_shr(limbs(a), sh));
    int width = 256;
    while (width > 0 && !(limbs(a)[(width - 1) / 64] >> ((width - 1) % 64) & 1)) --width;
    ASSERT_EQ(wide::bit_width(a), width);
  }
  // Extremes: (2^128 - 1)^2 = 2^256 - 2^129 + 1; 2^127 squared; wrap-around.
  const u128 ones = ~u128{0};
  EXPECT_EQ(wide::square(ones), (U256{1, ones - 1}));
  EXPECT_EQ(wide::square(ones), from_limbs(ref_mul(limbs({ones, 0}), limbs({ones, 0}))));
  EXPECT_EQ(wide::square(static_cast<i128>(u128{1} << 127)), (U256{0, u128{1} << 126}));  // the most negative
  EXPECT_EQ((U256{} - U256{1, 0}), (U256{ones, ones}));
  EXPECT_EQ((U256{ones, ones} + U256{1, 0}), U256{});
}

TEST(WideInt, ConvertsDoublesExactly) {
  std::mt19937_64 rng(2);
  for (int i = 0; i < 200000; ++i) {
    // An integer of up to 125 bits, or a value with a fraction.
    const int e = static_cast<int>(rng() % 180) - 60;
    const double x = std::ldexp(static_cast<double>(rng() >> 11), e - 53) * (rng() % 2 ? -1 : 1);
    if (!(std::fabs(x) < 0x1p126)) continue;
    double fraction = -1;
    const i128 f = wide::to_i128(x, fraction);
    ASSERT_EQ(f, static_cast<i128>(x)) << x;  // the compiler's conversion truncates too
    ASSERT_EQ(fraction, std::fabs(x - std::trunc(x))) << x;
  }
  double fraction = -1;
  EXPECT_EQ(wide::to_i128(-0x1.fffffffffffffp125, fraction), -static_cast<i128>(0x1.fffffffffffffp125));
  EXPECT_EQ(fraction, 0);
  EXPECT_EQ(wide::to_i128(-0.0, fraction), 0);
  EXPECT_EQ(wide::to_i128(0x1p-1074, fraction), 0);
  EXPECT_EQ(fraction, 0x1p-1074);
}

TEST(WideInt, RoundsToDoubleOnce) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200000; ++i) {
    const int bits = 1 + static_cast<int>(rng() % 125);
    u128 m = (u128{rng()} << 64 | rng()) >> (128 - bits);
    if (bits > 54 && rng() % 4 == 0) {  // at or next to a tie: the bits below the top 53 are 10...0 (+-1)
      const int low = bits - 53;
      m = (m >> low << low | u128{1} << (low - 1)) + static_cast<u128>(rng() % 3) - 1;
    }
    const i128 v = rng() % 2 ? -static_cast<i128>(m) : static_cast<i128>(m);
    const int e = static_cast<int>(rng() % 400) - 200;
    // The compiler's conversion rounds to nearest, ties to even; ldexp is exact here.
    ASSERT_EQ(wide::to_double(v, e), std::ldexp(static_cast<double>(v), e)) << static_cast<double>(v);
  }
  // Exact ties: 2^53 + 1 and 2^53 + 3 times 2^k between two doubles, with and without a sticky bit.
  for (int k = 1; k < 70; ++k) {
    const i128 tie_down = (static_cast<i128>(1) << 53 | 1) << k, tie_up = (static_cast<i128>(1) << 53 | 3)
                                                                          << k;
    EXPECT_EQ(wide::to_double(tie_down, 0), std::ldexp(0x1p53, k));
    EXPECT_EQ(wide::to_double(tie_up, 0), std::ldexp(0x1p53 + 4, k));
    EXPECT_EQ(wide::to_double(tie_down + 1, 0), std::ldexp(0x1p53 + 2, k));
    EXPECT_EQ(wide::to_double(-tie_down - 1, 0), -std::ldexp(0x1p53 + 2, k));
  }
}

TEST(WideInt, DividesByInvariantDivisors) {
  std::mt19937_64 rng(4);
  std::vector<std::uint64_t> dens = {1,
                                     2,
                                     3,
                                     4,
                                     81,
                                     923521,
                                     ~std::uint64_t{0},
                                     std::uint64_t{1} << 63,
                                     (std::uint64_t{1} << 63) + 1,
                                     (std::uint64_t{1} << 62) - 1};
  for (int i = 0; i < 200; ++i) dens.push_back(rng() >> (rng() % 64) | 1);
  for (std::uint64_t den : dens) {
    const wide::Divisor dv(den);
    const std::uint64_t d = den << dv.shift;
    for (int i = 0; i < 1000; ++i) {
      u128 u = (u128{rng()} << 64 | rng()) >> (rng() % 128);
      u %= u128{d} << 64;  // below d 2^64
      if (i < 4) u = (u128{d} << 64) - 1 - static_cast<u128>(i);
      bool inexact = false;
      const std::uint64_t q = wide::divide(u, dv, inexact);
      ASSERT_EQ(q, static_cast<std::uint64_t>(u / d)) << den;
      ASSERT_EQ(inexact, u % d != 0) << den;
    }
  }
}

// Whether d is num / (den 2^2exp) rounded to nearest, ties to even (num > 0, den < 2^64, d normal):
// with d = m 2^E, |num 2^(1-E) - m den 2^(2exp+1)| <= den 2^(2exp), equality (a tie) only for an even m.
// Integers only (no rounding in the check): all three scaled by the same power of two. 1: correct, and a
// tie; 0: correct; -1: not.
int rounding_of(const U256& num, std::uint64_t den, int exp, double d) {
  int e = 0;
  const auto m = static_cast<std::uint64_t>(std::ldexp(std::frexp(d, &e), 53));  // d = m 2^(e - 53)
  const int E = e - 53, base = std::min(1 - E, 2 * exp);
  const U256 a = wide::shl(num, 1 - E - base);
  const U256 b = wide::shl(U256{u128{m} * den, 0}, 2 * exp + 1 - base);
  const U256 bound = wide::shl(U256{den, 0}, 2 * exp - base);
  const U256 diff = less(a, b) ? b - a : a - b;
  if (less(bound, diff)) return -1;
  if (diff == bound) return m % 2 == 0 ? 1 : -1;
  return 0;
}

::testing::AssertionResult correctly_rounded(const U256& num, std::uint64_t den, int exp, double d) {
  if (rounding_of(num, den, exp, d) >= 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << d << " is not the quotient rounded to nearest, ties to even";
}

TEST(WideInt, RoundsQuotientsOnce) {
  WideRng g(5);
  int ties = 0;
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t n = 1 + (g.u64() >> (32 + g.u64() % 32)), den = n * n;
    U256 num = g.u256(1 + static_cast<int>(g.u64() % 252));
    if (i % 3 == 0) {  // a quotient of 54 bits or fewer (a tie, or exact) 2^j, or next to one
      num = wide::shl(U256{(u128{g.u64() >> 10} | 1) * den, 0}, static_cast<int>(g.u64() % 120));
      if (i % 6 == 0) num = num + U256{g.u64() % 3, 0} - U256{1, 0};
    }
    if (num == U256{}) continue;
    const int exp = static_cast<int>(g.u64() % 200) - 100;
    const double d = wide::round_quotient(num, wide::Divisor(den), -2 * exp);
    const int rounding = rounding_of(num, den, exp, d);
    ASSERT_GE(rounding, 0) << d << ": num bits " << wide::bit_width(num) << " n " << n;
    ties += rounding;
  }
  EXPECT_GT(ties, 5000);
}

// Variance of data whose fixed point takes more than 64 bits (Tiny: 67; and values at the edge of what
// fits), rounded once: checked against exact sums computed here with the compiler's conversions.
TEST(FocalStatistics, WideVarianceIsCorrectlyRounded) {
  Raster edge{40, 36, {}};  // values of up to 56 bits between 2^-58 and 2^58 - 2^5: 116 bits, 31 x 31
  std::mt19937_64 rng(8);
  for (int i = 0; i < edge.cols * edge.rows; ++i) {
    const double big = 0x1.fffffffffffffp57, small = 0x1p-58;
    const int pick = static_cast<int>(rng() % 8);
    double v = pick == 0 ? big : pick == 1 ? small : pick == 2 ? kNaN : 0;
    if (pick >= 3) v = std::ldexp(static_cast<double>(rng() >> 11), static_cast<int>(rng() % 64) - 58);
    edge.cells.push_back(rng() % 2 ? -v : v);
  }
  for (const Raster& in : {random_raster(60, 50, Data::Tiny, 21), edge})
    for (const auto& n : {square(1), circle(7), square(15)}) {
      SCOPED_TRACE(describe(n, FocalStat::Variance));
      const auto scale = scale_of(in, n, true);
      ASSERT_TRUE(scale.has_value());
      const int r = n.reach(), oc = in.cols - 2 * r;
      std::vector<double> out(out_size(in, n));
      statistics(in.grid(), n, FocalStat::Variance, scale, out);
      const auto mask = n.mask();
      for (int oy = 0; oy < in.rows - 2 * r; ++oy)
        for (int ox = 0; ox < oc; ++ox) {
          std::uint64_t cnt = 0;
          i128 s1 = 0;
          U256 s2;
          ExactSum sum;
          for (int dy = -r; dy <= r; ++dy)
            for (int dx = -r; dx <= r; ++dx) {
              const double v = in.cells[static_cast<std::size_t>(oy + r + dy) * in.cols + ox + r + dx];
              if (!mask[static_cast<std::size_t>(dy + r) * (2 * r + 1) + dx + r] || std::isnan(v)) continue;
              const auto x = static_cast<i128>(std::ldexp(v, scale->exp));
              ++cnt, s1 += x, s2 += wide::square(x), sum.add(v);
            }
          const double d = out[static_cast<std::size_t>(oy) * oc + ox];
          if (cnt == 0) {
            ASSERT_TRUE(std::isnan(d));
            continue;
          }
          const U256 num = s2 * cnt - wide::square(s1);
          if (num == U256{})
            ASSERT_EQ(d, 0.0);
          else
            ASSERT_TRUE(correctly_rounded(num, cnt * cnt, scale->exp, d)) << ox << "," << oy;
        }
      // Sum and Mean: the exact sum rounded once, as an ExactSum gives it.
      std::vector<double> sums(out.size()), brute(out.size());
      statistics(in.grid(), n, FocalStat::Sum, scale_of(in, n, false), sums);
      statistics(in.grid(), n, FocalStat::Sum, std::nullopt, brute);  // ExactSum per cell
      for (std::size_t i = 0; i < sums.size(); ++i) ASSERT_TRUE(same_bits(sums[i], brute[i])) << i;
    }
  // Every statistic at the edge, against the brute force.
  for (const auto& n : shapes()) expect_matches_brute_force(edge, n);
}

// A scale that does not fit the values (not their ScaleProbe's) throws rather than return wrong bits.
TEST(FocalStatistics, RejectsScalesThatDoNotFit) {
  std::vector<double> out(1);
  auto run = [&](std::vector<double> cells, FocalStat s, int exp) {
    statistics({cells.data(), 3, 3}, square(1), s, SumScale{exp}, out);
  };
  const std::vector<double> ok = {1.5, 2, kNaN, 0, 0, 0, 0, 0, 0};
  for (FocalStat s : {FocalStat::Sum, FocalStat::Mean, FocalStat::Variance, FocalStat::StandardDeviation}) {
    EXPECT_NO_THROW(run(ok, s, 1));
    EXPECT_THROW(run(ok, s, 0), std::invalid_argument);                                 // 1.5: a fraction
    EXPECT_THROW(run({0x1p122, 0, 0, 0, 0, 0, 0, 0, 0}, s, 0), std::invalid_argument);  // 123 + 4 bits
    EXPECT_NO_THROW(run({0x1p121, 0, 0, 0, 0, 0, 0, 0, 0}, s, 0));
    EXPECT_THROW(run({0x1p-1000, 0, 0, 0, 0, 0, 0, 0, 0}, s, -100), std::invalid_argument);  // underflow
    EXPECT_THROW(run({3, 0, 0, 0, 0, 0, 0, 0, 0}, s, -1), std::invalid_argument);
    EXPECT_NO_THROW(run({4, 0, 0, 0, 0, 0, 0, 0, 0}, s, -1));
  }
}

}  // namespace
}  // namespace trellis::focal
