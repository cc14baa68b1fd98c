// The histogram ops on in-memory layers: the layer-level histogram cases of
// ../shared/conformance/cases.json through the ops (tests/core/histogram_test.cpp checks every case on
// the histograms themselves), and the ops against direct counts on multi-tile layers with NoData and
// padding.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "layers.hpp"
#include "op_runner.hpp"

namespace trellis::test {
namespace {

using nlohmann::json;

json result(const std::string& op, const TiledLayer& l, const json& p = json::object()) {
  return std::get<job::Result>(run_op(op, l, params(p))).data;
}

// GeoPySpark's test layer: one 4x4 float32ud-1.0 tile, rows of 1, 2, 3 and 4.
TiledLayer rows_1234(bool mode_case = false) {
  std::vector<double> cells;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) cells.push_back(r + 1);
  if (mode_case) cells[8] = 1;  // hist2: (1 3 3 3) in the third row
  return single_tile_layer(CellType::parse("float32ud-1.0"), 4, 4, cells);
}

TEST(Histogram, GeoPySparkLayerCases) {
  const json h = result("get_histogram", rows_1234());
  EXPECT_EQ(h["type"], "streaming");
  EXPECT_EQ(h["maxBucketCount"], 80);       // gps-histogram-dict-methods
  EXPECT_EQ(h["statistics"]["zmax"], 4.0);  // gps-histogram-max
  EXPECT_EQ(h["statistics"]["zmin"], 1.0);  // gps-histogram-min, -min-max
  EXPECT_EQ(h["statistics"]["mean"], 2.5);  // gps-histogram-mean (GeoPySpark's "median" too)
  EXPECT_EQ(h["statistics"]["dataCells"], 16);
  EXPECT_EQ(h["buckets"],
            json::parse("[[1.0, 4.0], [2.0, 4.0], [3.0, 4.0], [4.0, 4.0]]"));      // item_count(3) = 4
  EXPECT_EQ(result("get_histogram", rows_1234(true))["statistics"]["mode"], 1.0);  // gps-histogram-mode
  EXPECT_EQ(result("get_quantile_breaks", rows_1234(), {{"num_breaks", 4}}),
            json::parse("[1.0, 2.0, 3.0, 4.0]"));
  // gps-histogram-bin-counts: int32ud-500 cells, the class histogram.
  const TiledLayer ints = single_tile_layer(CellType::parse("int32ud-500"), 4, 4,
                                            {1, 1, 1, 1, 3, 1, 1, 1, 4, 3, 1, 1, 5, 4, 3, 1});
  EXPECT_EQ(result("get_class_histogram", ints), json::parse("[[1, 10], [3, 3], [4, 2], [5, 1]]"));
  EXPECT_EQ(result("get_histogram", ints)["type"], "exact_int");
  EXPECT_THROW(result("get_histogram", ints, {{"band", 1}}), JobError) << "a band the layer lacks";
}

// A multi-tile int16 layer with NoData, 50x37 cells on 16x16 tiles (padding in the edge tiles).
TiledLayer random_ints(std::vector<std::int64_t>& data) {
  std::mt19937 rng(11);
  std::geometric_distribution<int> g(0.05);
  const int W = 50, H = 37, T = 16;
  const long n = (W + T - 1) / T, m = (H + T - 1) / T;
  std::vector<double> cells(static_cast<std::size_t>(n * T * m * T), NAN);
  for (int r = 0; r < H; ++r)
    for (int c = 0; c < W; ++c) {
      if (rng() % 13 == 0) continue;  // NoData
      const int v = g(rng) - 7;
      cells[static_cast<std::size_t>(r * n * T + c)] = v;
      data.push_back(v);
    }
  TiledLayer l = grid_layer(CellType::parse("int16"), {0, 0, n * T * 1.0, m * T * 1.0}, {n, m, T, T}, cells);
  l.md.extent = {0, m * T - H * 1.0, W * 1.0, m * T * 1.0};  // the padding is outside the data
  return l;
}

TEST(Histogram, ExactCountsAndBreaksEqualDirectCounts) {
  std::vector<std::int64_t> data;
  const TiledLayer l = random_ints(data);
  std::map<std::int64_t, std::int64_t> counts;
  for (auto v : data) ++counts[v];
  json want = json::array();
  for (const auto& [v, c] : counts) want.push_back({v, c});
  EXPECT_EQ(result("get_class_histogram", l), want);
  const json h = result("get_histogram", l);
  EXPECT_EQ(h["statistics"]["dataCells"], static_cast<std::int64_t>(data.size()));
  std::sort(data.begin(), data.end());
  EXPECT_EQ(h["statistics"]["zmin"], static_cast<double>(data.front()));
  EXPECT_EQ(h["statistics"]["zmax"], static_cast<double>(data.back()));
  // The last break is the maximum; breaks increase strictly.
  for (int n : {1, 2, 5, 10}) {
    const json b = result("get_quantile_breaks_exact_int", l, {{"num_breaks", n}});
    ASSERT_FALSE(b.empty());
    EXPECT_EQ(b.back(), data.back());
    for (std::size_t i = 1; i < b.size(); ++i) EXPECT_LT(b[i - 1], b[i]);
  }
}

TEST(Histogram, StreamingQuantilesWithinTheDocumentedError) {
  // 40x40 float64 cells from a normal distribution on 7x7 tiles; ranks of the breaks against the data.
  std::mt19937 rng(5);
  std::normal_distribution<double> nd(10, 3);
  const long n = 6, T = 7;
  std::vector<double> cells(static_cast<std::size_t>(n * T * n * T), NAN), data;
  for (long r = 0; r < 40; ++r)
    for (long c = 0; c < 40; ++c) data.push_back(cells[static_cast<std::size_t>(r * n * T + c)] = nd(rng));
  TiledLayer l = grid_layer(CellType::parse("float64"), {0, 0, 42, 42}, {n, n, T, T}, cells);
  l.md.extent = {0, 2, 40, 42};
  const json h = result("get_histogram", l);
  EXPECT_EQ(h["statistics"]["dataCells"], 1600);
  std::sort(data.begin(), data.end());
  EXPECT_EQ(h["minimum"], data.front());
  EXPECT_EQ(h["maximum"], data.back());
  const json b = result("get_quantile_breaks", l, {{"num_breaks", 10}});
  ASSERT_EQ(b.size(), 10u);
  for (std::size_t i = 0; i + 1 < b.size(); ++i) {
    const double rank =
        static_cast<double>(std::lower_bound(data.begin(), data.end(), b[i].get<double>()) - data.begin()) /
        1600.0;
    EXPECT_NEAR(rank, (i + 1) / 10.0, 0.04) << "break " << i;
  }
}

}  // namespace
}  // namespace trellis::test
