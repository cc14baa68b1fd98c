// Focal statistics (src/ops/focal/statistics.hpp): the fast paths against the brute force, bit for bit,
// for every statistic and shape; tile independence; GeoTrellis' hand-checked focal cases
// (../shared/conformance/cases.json); ScaleProbe.
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

#include "ops/focal/statistics.hpp"

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

enum class Data { Integers, SmallIntegers, Float32, Wide, WithInfinities };

// ~20% NaN; the rest drawn by kind (fixed seed).
Raster random_raster(int cols, int rows, Data kind, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Raster r{cols, rows, std::vector<double>(static_cast<std::size_t>(cols) * static_cast<std::size_t>(rows))};
  for (double& c : r.cells) {
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

std::optional<SumScale> scale_of(const Raster& r, const Neighbourhood& n) {
  ScaleProbe p;
  for (double v : r.cells) p.add(v);
  return p.scale(cells_of(n));
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
  const auto scale = scale_of(in, n);
  for (FocalStat s : kAllStats) {
    SCOPED_TRACE(describe(n, s));
    std::vector<double> fast(out_size(in, n)), slow(fast.size());
    statistics(in.grid(), n, s, scale, fast);
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
  ASSERT_TRUE(scale_of(r, square(15)).has_value());
  EXPECT_GT(scale_of(r, square(15))->exp, 0);
  check_all_shapes(Data::Float32, 200);
}

TEST(FocalStatistics, MatchesBruteForceWithoutScale) {
  const Raster r = random_raster(40, 40, Data::Wide, 3);
  EXPECT_FALSE(scale_of(r, square(1)).has_value());
  check_all_shapes(Data::Wide, 300);
}

TEST(FocalStatistics, MatchesBruteForceWithInfinities) {
  check_all_shapes(Data::WithInfinities, 400);
}

// Without a scale on data that has one: Sum and Mean are still exact; variance is a long-double two-pass.
TEST(FocalStatistics, NoScaleFallbackAgrees) {
  const Raster in = random_raster(45, 38, Data::Float32, 11);
  for (const auto& n : {square(2), circle(2.5)})
    for (FocalStat s : kAllStats) {
      SCOPED_TRACE(describe(n, s));
      std::vector<double> exact(out_size(in, n)), fallback(exact.size());
      statistics(in.grid(), n, s, scale_of(in, n), exact);
      statistics(in.grid(), n, s, std::nullopt, fallback);
      const bool sums = s == FocalStat::Variance || s == FocalStat::StandardDeviation;
      for (std::size_t i = 0; i < exact.size(); ++i) {
        if (!sums)
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
  EXPECT_EQ(one(flat, FocalStat::Variance, p.scale(9)), 0.0);  // flat: exactly 0
  EXPECT_EQ(one(flat, FocalStat::StandardDeviation, p.scale(9)), 0.0);
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

// Tiles buffered by r (overlapping by 2r) give exactly the cells of the whole window.
TEST(FocalStatistics, TileIndependent) {
  for (Data kind : {Data::Integers, Data::Float32, Data::Wide})
    for (const auto& n : {square(2), square(4), circle(2.5), nesw(2), wedge(3, 300, 45), annulus(1, 2.5)}) {
      const int r = n.reach();
      const Raster big = random_raster(70, 61, kind, 17);
      const int oc = big.cols - 2 * r, orows = big.rows - 2 * r;
      const auto scale = scale_of(big, n);  // the layer's scale, shared by every tile
      for (FocalStat s : kAllStats) {
        SCOPED_TRACE(describe(n, s));
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
    statistics(in.grid(), *nb, *stat, scale_of(in, *nb), out);
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
  ASSERT_TRUE(empty.scale(9).has_value());
  EXPECT_EQ(empty.scale(9)->exp, 0);
  ScaleProbe ints;
  for (double v : {3.0, -1000.0, 0.0, kNaN, kInf, 12345678.0}) ints.add(v);
  EXPECT_EQ(ints.scale(961)->exp, 0);
  ScaleProbe a, b;
  a.add(0.5);     // lsb 2^-1
  b.add(-0.375);  // 0.011b: lsb 2^-3
  b.add(2048);    // msb 2^11
  ScaleProbe ab = a;
  ab.merge(b);
  EXPECT_EQ(a.scale(9)->exp, 1);
  EXPECT_EQ(ab.scale(9)->exp, 3);
  ScaleProbe ba = b;
  ba.merge(a);
  std::vector<std::byte> x, y;
  ab.serialize(x);
  ba.serialize(y);
  EXPECT_EQ(x, y);  // merge commutes
  const ScaleProbe back = ScaleProbe::deserialize(x);
  EXPECT_EQ(back.scale(100)->exp, ab.scale(100)->exp);
  std::vector<std::byte> e;
  empty.serialize(e);
  EXPECT_EQ(ScaleProbe::deserialize(e).scale(5)->exp, 0);
  EXPECT_THROW(ScaleProbe::deserialize(std::span(x).first(3)), std::invalid_argument);
  std::vector<std::byte> corrupt(8, std::byte{0x7f});
  EXPECT_THROW(ScaleProbe::deserialize(corrupt), std::invalid_argument);
  // Huge integers: a negative exponent (trailing zero bits dropped) keeps the sums exact.
  ScaleProbe huge;
  huge.add(0x1p300);
  huge.add(0x3p298);
  EXPECT_EQ(huge.scale(9)->exp, -298);
  // Too many binary orders of magnitude (or a neighbourhood too large): no scale.
  ScaleProbe wide;
  wide.add(1e-12);
  wide.add(1e12);
  EXPECT_FALSE(wide.scale(9).has_value());
  EXPECT_FALSE(ints.scale(std::int64_t{1} << 40).has_value());
}

TEST(ScaleProbe, TinyValuesSumExactly) {
  std::vector<double> cells = {0x1p-400, 0x1p-399, 0x3p-400, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN}, out(1);
  ScaleProbe p;
  for (double v : cells) p.add(v);
  ASSERT_EQ(p.scale(9)->exp, 400);
  statistics({cells.data(), 3, 3}, square(1), FocalStat::Variance, p.scale(9), out);
  EXPECT_EQ(out[0], std::ldexp(2.0 / 3.0, -800));  // 2^-400 (1, 2, 3)
  statistics({cells.data(), 3, 3}, square(1), FocalStat::Mean, p.scale(9), out);
  EXPECT_EQ(out[0], 0x1p-399);
  // Finer than kMaxExp: the results could be subnormal (rounded twice), so no scale.
  ScaleProbe fine;
  fine.add(0x1p-500);
  EXPECT_FALSE(fine.scale(9).has_value());
}

TEST(ScaleProbe, HugeIntegersSumExactly) {
  std::vector<double> cells = {0x1p300, 0x3p298, kNaN, 0x1p299, kNaN, kNaN, kNaN, kNaN, kNaN}, out(1);
  ScaleProbe p;
  for (double v : cells) p.add(v);
  statistics({cells.data(), 3, 3}, square(1), FocalStat::Sum, p.scale(9), out);
  EXPECT_EQ(out[0], 0x1p300 + 0x3p298 + 0x1p299);
  // 2^298 (4, 3, 2): variance 2/3 2^596, rounded once (scaling by 2^596 is exact).
  statistics({cells.data(), 3, 3}, square(1), FocalStat::Variance, p.scale(9), out);
  EXPECT_EQ(out[0], std::ldexp(2.0 / 3.0, 596));
  std::vector<double> slow(1);
  for (FocalStat s : kAllStats) {
    statistics({cells.data(), 3, 3}, square(1), s, p.scale(9), out);
    statistics_brute_force({cells.data(), 3, 3}, square(1), s, slow);
    EXPECT_TRUE(same_bits(out[0], slow[0])) << enum_name(s);
  }
}

}  // namespace
}  // namespace trellis::focal
