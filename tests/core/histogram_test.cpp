// StreamingHistogram and IntHistogram: the "histogram" cases of cases.json (hard-coded, and re-read
// from $TRELLIS_SHARED when set), GeoTrellis' own test vectors, and brute-force checks against direct
// computations.
#include "core/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace trellis {
namespace {

using nlohmann::json;
using SH = StreamingHistogram;

SH streaming_of(const std::vector<double>& values, int max_buckets = SH::kDefaultMaxBuckets,
                SH::MergeCounts rule = SH::MergeCounts::kGeoTrellis) {
  SH h(max_buckets, rule);
  for (double v : values) h.add(v);
  return h;
}

// The GeoPySpark 4x4 test tiles, row by row (GeoTrellis counts cells in row-major order).
const std::vector<double> kRows1234 = {1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4};
const std::vector<double> kModeTile = {1, 1, 1, 1, 2, 2, 2, 2, 1, 3, 3, 3, 4, 4, 4, 4};
const std::vector<std::int64_t> kBinCountTile = {1, 1, 1, 1, 3, 1, 1, 1, 4, 3, 1, 1, 5, 4, 3, 1};
const std::string kQuantileString =
    "weio gwej ah;iodfbo;dzfb;oaerge4;oi 34ch4oinj;;bjsdon;bsd; jioijo43hi4oiernhow4y734herojniejnibodf[h0"
    "shemjhermjbdfmb j;jgj;gseg43wjtnejinherhoe9980437843t43n8hy8h89huntjhgfjogfdtgj895n34y8nt34tpn";

IntHistogram int_of(const std::map<std::int64_t, std::int64_t>& value_counts) {
  IntHistogram h;
  for (const auto& [v, c] : value_counts) h.add(v, c);
  return h;
}

// GeoTrellis HistogramSpec: each character c counted as c.toByte - 32.
IntHistogram int_of_string(const std::string& s) {
  IntHistogram h;
  for (char c : s) h.add(static_cast<signed char>(c) - 32);
  return h;
}

// ---------------------------------------------------------------------------------------------------
// cases.json, hard-coded

TEST(HistogramCases, GeoPySparkStreamingHistogram) {
  const SH h = streaming_of(kRows1234);
  EXPECT_EQ(h.min(), 1.0);                                             // gps-histogram-min
  EXPECT_EQ(h.max(), 4.0);                                             // gps-histogram-max
  EXPECT_EQ(h.min_max(), (std::pair{1.0, 4.0}));                       // gps-histogram-min-max
  EXPECT_EQ(h.mean(), 2.5);                                            // gps-histogram-mean
  EXPECT_EQ(h.quantile_breaks(4), (std::vector<double>{1, 2, 3, 4}));  // gps-histogram-quantile-breaks
  // gps-histogram-item-count is ambiguous: GeoPySpark v0.2.2 (GeoTrellis 1.2, interpolation normalised
  // by the area under the curve) asserts 5; master (GeoTrellis 2.x) asserts 4. We follow 2.x.
  EXPECT_EQ(h.item_count(3.0), 4);
  // gps-histogram-median: GeoPySpark's Histogram.median() returns the Scala mean() (geopyspark/
  // geotrellis/histogram.py), hence 2.5. GeoTrellis' own median() is percentile(0.5): the cumulative
  // fraction reaches 0.5 exactly at 2, so 2.
  EXPECT_EQ(h.mean(), 2.5);
  EXPECT_EQ(h.median(), 2.0);
  EXPECT_EQ(h.statistics()->median, 2.0);
  // Other GeoPySpark master assertions on the same histogram.
  EXPECT_EQ(h.bucket_count(), 4);
  EXPECT_EQ(h.values(), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(h.cdf(), (std::vector<std::pair<double, double>>{{1, 0.25}, {2, 0.5}, {3, 0.75}, {4, 1.0}}));

  EXPECT_EQ(streaming_of(kModeTile).mode(), 1.0);  // gps-histogram-mode

  // gps-histogram-merge: merged with a 4x4 tile of ones.
  const SH merged = h + streaming_of(std::vector<double>(16, 1.0));
  EXPECT_EQ(merged.values(), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(merged.mean(), 1.75);

  // gps-histogram-dict-methods: to_dict()['maxBucketCount'] == 80 and from_dict keeps min_max.
  const json j = h.to_json();
  EXPECT_EQ(j["maxBucketCount"], 80);
  EXPECT_EQ(SH::from_json(j).min_max(), h.min_max());
}

TEST(HistogramCases, ClassHistogramBinCounts) {  // gps-histogram-bin-counts
  IntHistogram h;
  for (std::int64_t v : kBinCountTile) h.add(v);
  EXPECT_EQ(h.bins(), (std::vector<IntHistogram::Bin>{{1, 10}, {3, 3}, {4, 2}, {5, 1}}));
}

TEST(HistogramCases, ExactIntQuantileBreaks) {
  EXPECT_EQ(int_of({{1, 10}, {2, 1000}, {3, 120}, {4, 100}, {5, 80}, {6, 20}}).quantile_breaks(3),
            (std::vector<std::int64_t>{2, 3, 6}));  // gt-histogram-quantile-extreme
  EXPECT_EQ(int_of_string(kQuantileString).quantile_breaks(6),
            (std::vector<std::int64_t>{23, 67, 71, 73, 78, 90}));  // gt-histogram-quantile-string
  EXPECT_EQ(int_of({{0, 10}, {1, 100}, {2, 1000}, {3, 15}, {4, 10}, {5, 5}}).quantile_breaks(4),
            (std::vector<std::int64_t>{0, 1, 2, 5}));  // gt-histogram-quantile-unbalanced-later
  EXPECT_EQ(int_of({{0, 100}, {1, 1000}, {2, 15}, {3, 10}, {4, 5}, {5, 10}}).quantile_breaks(4),
            (std::vector<std::int64_t>{0, 1, 2, 5}));  // gt-histogram-quantile-unbalanced-start
}

// ---------------------------------------------------------------------------------------------------
// cases.json, read from $TRELLIS_SHARED

json load_cases() {
  const char* shared = std::getenv("TRELLIS_SHARED");
  if (!shared || !*shared) return nullptr;
  std::ifstream in(std::string(shared) + "/conformance/cases.json");
  if (!in) return nullptr;
  return json::parse(in, nullptr, /*allow_exceptions=*/false);
}

std::vector<double> flat_cells(const json& cells) {  // [band][row][col], row-major
  std::vector<double> out;
  for (const auto& band : cells)
    for (const auto& row : band)
      for (const auto& v : row) out.push_back(v.get<double>());
  return out;
}

TEST(HistogramCases, FromCasesJson) {
  const json doc = load_cases();
  if (doc.is_null() || !doc.contains("cases"))
    GTEST_SKIP() << "TRELLIS_SHARED unset or cases.json missing; the cases are hard-coded above";
  int checked = 0;
  for (const auto& c : doc["cases"]) {
    if (c.value("op", "") != "histogram") continue;
    const std::string id = c.value("id", "");
    SCOPED_TRACE(id);
    const json& in = c["inputs"];
    const json& ex = c["expected"];
    ++checked;
    if (id.rfind("gt-histogram-quantile-", 0) == 0) {
      IntHistogram h;
      if (in.contains("string")) {
        h = int_of_string(in["string"].get<std::string>());
      } else {
        for (const auto& [k, v] : in["value_counts"].items()) h.add(std::stoll(k), v.get<std::int64_t>());
      }
      EXPECT_EQ(json(h.quantile_breaks(c["params"]["n"].get<int>())), ex.begin().value());
      continue;
    }
    const std::vector<double> cells = flat_cells(in["cells"]);
    if (id == "gps-histogram-bin-counts") {
      IntHistogram h;
      for (double v : cells) h.add(static_cast<std::int64_t>(v));
      json bins = json::array();
      for (const auto& b : h.bins()) bins.push_back({b.value, b.count});
      EXPECT_EQ(bins, ex["value"]);
      continue;
    }
    const SH h = streaming_of(cells);
    if (id == "gps-histogram-min") {
      EXPECT_EQ(json(*h.min()), ex["value"]);
    } else if (id == "gps-histogram-max") {
      EXPECT_EQ(json(*h.max()), ex["value"]);
    } else if (id == "gps-histogram-min-max") {
      EXPECT_EQ(json({h.min_max()->first, h.min_max()->second}), ex["value"]);
    } else if (id == "gps-histogram-mean" || id == "gps-histogram-mode") {
      EXPECT_EQ(json(id == "gps-histogram-mean" ? *h.mean() : *h.mode()), ex["value"]);
    } else if (id == "gps-histogram-median") {
      EXPECT_EQ(json(*h.mean()), ex["value"]);  // GeoPySpark's median() is the Scala mean()
      EXPECT_EQ(*h.median(), 2.0);              // GeoTrellis median()
    } else if (id == "gps-histogram-quantile-breaks") {
      EXPECT_EQ(json(h.quantile_breaks(static_cast<int>(ex["value"].size()))), ex["value"]);
    } else if (id == "gps-histogram-item-count") {
      EXPECT_EQ(json(h.item_count(3.0)), ex["master"]);  // GeoTrellis 2.x; v0.2.2 (1.2) says 5
    } else if (id == "gps-histogram-merge") {
      const SH merged = h + streaming_of(std::vector<double>(16, 1.0));
      EXPECT_EQ(json(merged.values()), ex["values()"]);
      EXPECT_EQ(json(*merged.mean()), ex["mean()"]);
    } else if (id == "gps-histogram-dict-methods") {
      EXPECT_EQ(h.to_json()["maxBucketCount"], ex["value"]);
    } else {
      ADD_FAILURE() << "histogram case not handled: " << id;
    }
  }
  EXPECT_EQ(checked, 15);
}

// ---------------------------------------------------------------------------------------------------
// GeoTrellis' test vectors (StreamingHistogramSpec, HistogramSpec, FastMapHistogramSpec, PR #2590)

const std::vector<double> kList1 = {1, 2,  3,  3,  4,  5,  6,  6,  6,  7,  8,  9,  9,  9,
                                    9, 10, 11, 12, 12, 13, 14, 14, 15, 16, 17, 17, 18, 19};
const std::vector<double> kList2 = {1,    32,   243,   243,   1024,  3125,  7776,
                                    7776, 7776, 16807, 32768, 59049, 59049, 59049};
const std::vector<std::int64_t> kList3 = {
    1,      32,     243,    243,     1024,    1024,    7776,    7776,    7776,      16807,
    32768,  59049,  59049,  59049,   59049,   100000,  161051,  248832,  248832,    371293,
    537824, 537824, 759375, 1048576, 1419857, 1419857, 1889568, 2476099, 2147483647};

std::vector<double> repeat(const std::vector<double>& v, int times) {
  std::vector<double> out;
  for (int i = 0; i < times; ++i) out.insert(out.end(), v.begin(), v.end());
  return out;
}

TEST(StreamingHistogram, GeoTrellisSpecVectors) {
  for (const SH& h : {streaming_of(kList1), streaming_of(repeat(kList1, 10000))}) {
    EXPECT_EQ(h.median(), 8.75);
    EXPECT_EQ(h.statistics()->median, 8.75);
  }
  const SH h2 = streaming_of(repeat(kList2, 10000));
  EXPECT_NEAR(*h2.mean(), 18194.14285714286, 1e-7);
  SH h3;
  for (std::int64_t v : kList3) h3.add(static_cast<double>(v));
  EXPECT_EQ(h3.mode(), 59049.0);
  EXPECT_EQ(h3.statistics()->mode, 59049.0);

  // quantileBreaks: one value; one value merged with an empty histogram; two values; more breaks
  // than buckets.
  const SH ones = streaming_of(std::vector<double>(20000, 1.0));
  EXPECT_EQ(ones.quantile_breaks(5), std::vector<double>(5, 1.0));
  EXPECT_EQ((ones + SH()).quantile_breaks(5), std::vector<double>(5, 1.0));
  const std::vector<double> two = streaming_of({1.0, 2.0}).quantile_breaks(100);
  ASSERT_EQ(two.size(), 100u);
  EXPECT_EQ(two.front(), 1.0);
  EXPECT_EQ(two.back(), 2.0);
  for (std::size_t i = 1; i + 1 < two.size(); ++i) EXPECT_TRUE(two[i] > 1.0 && two[i] < 2.0) << i;
  std::vector<double> v123;
  for (int i = 0; i < 10000; ++i) v123.push_back(1 + i % 3);
  const std::vector<double> b50 = streaming_of(v123).quantile_breaks(50);
  ASSERT_EQ(b50.size(), 50u);
  EXPECT_GT(*std::max_element(b50.begin(), b50.end()), 2.9);
  EXPECT_LT(*std::min_element(b50.begin(), b50.end()), 1.1);

  // GeoTrellis PR #2590 (buckets merged: pins the merge rule and the weighted mean).
  const SH small = streaming_of({52, 54, 61, 32, 52, 50, 11, 21, 18}, 3);
  EXPECT_EQ(small.buckets(), (std::vector<SH::Bucket>{{16.666666666666668, 3}, {32.0, 1}, {53.8, 5}}));
  EXPECT_EQ(small.median(), 34.18);
  EXPECT_GT(small.item_count(16.7), 0);
}

TEST(IntHistogram, GeoTrellisSpecVectors) {
  // HistogramSpec: any number of quantiles.
  const IntHistogram five = int_of({{1, 10}, {2, 10}, {3, 10}, {4, 10}, {5, 10}});
  const std::vector<std::vector<std::int64_t>> expected = {
      {5}, {2, 5}, {2, 3, 5}, {1, 2, 4, 5}, {1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}};
  for (int n = 1; n <= 7; ++n) EXPECT_EQ(five.quantile_breaks(n), expected[n - 1]) << n;
  EXPECT_EQ(five.quantile_breaks(10), (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(int_of({{1, 20}, {2, 60}, {3, 10000}, {4, 10}, {5, 10000}, {6, 70}, {7, 50}}).quantile_breaks(5),
            (std::vector<std::int64_t>{2, 3, 5, 6, 7}));

  // HistogramSpec: statistics where some values have zero counts (zero counts are not values).
  IntHistogram z;
  const std::int64_t counts[] = {0, 0, 10, 15, 0, 18, 9, 2, 0, 0};
  for (int v = 0; v < 10; ++v) z.add(v, counts[v]);
  const HistogramStatistics s = *z.statistics();
  EXPECT_NEAR(s.mean, 4.130, 5e-4);
  EXPECT_EQ(s.median, 5);
  EXPECT_EQ(s.mode, 5);
  EXPECT_NEAR(s.stddev, 1.528, 5e-4);
  EXPECT_EQ(s.zmin, 2);
  EXPECT_EQ(s.zmax, 7);

  // FastMapHistogramSpec.
  IntHistogram l1, l3;
  for (double v : kList1) l1.add(static_cast<std::int64_t>(v));
  EXPECT_EQ(l1.median(), 9);
  std::vector<std::int64_t> big = kList3;
  big[5] = 3125;  // FastMapHistogramSpec's mean list differs from its mode list in one value
  for (std::int64_t v : big) l3.add(v);
  EXPECT_EQ(l3.mean(), 7.444884144827585E7);
  IntHistogram l3m;
  for (std::int64_t v : kList3) l3m.add(v);
  EXPECT_EQ(l3m.mode(), 59049);
  IntHistogram large;
  large.add(10, std::int64_t{1} << 40);
  EXPECT_EQ(large.item_count(10), std::int64_t{1} << 40);
  EXPECT_EQ(IntHistogram().mode(), std::nullopt);
  IntHistogram self = int_of({{1, 2}, {4, 3}});
  self.merge(self);
  EXPECT_EQ(self, int_of({{1, 4}, {4, 6}}));
}

// ---------------------------------------------------------------------------------------------------
// Merge rule details

TEST(StreamingHistogram, MergesTheClosestLeftmostPair) {
  // Equal distances: the leftmost pair goes first.
  EXPECT_EQ(streaming_of({0, 1, 2}, 2).buckets(), (std::vector<SH::Bucket>{{0.5, 2}, {2, 1}}));
  EXPECT_EQ(streaming_of({2, 1, 0}, 2).buckets(), (std::vector<SH::Bucket>{{0.5, 2}, {2, 1}}));
  // -0.0 and 0.0 are distinct buckets (Java's Double order), merged first (distance 0).
  const SH z = streaming_of({-0.0, 0.0, 5.0});
  ASSERT_EQ(z.bucket_count(), 3);
  EXPECT_TRUE(std::signbit(z.values()[0]));
}

TEST(StreamingHistogram, GeoTrellisMergeUsesCountsRecordedWhenAdjacent) {
  // 1 and 2 become neighbours with counts 1 and 1; three more 1s go to bucket 1; 10 forces a merge.
  const std::vector<double> v = {1, 2, 1, 1, 1, 10};
  const SH gt = streaming_of(v, 2, SH::MergeCounts::kGeoTrellis);
  EXPECT_EQ(gt.buckets(), (std::vector<SH::Bucket>{{1.5, 2}, {10, 1}}));  // 3 counts lost, as GeoTrellis
  const SH cur = streaming_of(v, 2, SH::MergeCounts::kCurrent);
  EXPECT_EQ(cur.buckets(), (std::vector<SH::Bucket>{{1.2, 5}, {10, 1}}));
  EXPECT_EQ(cur.total_count(), 6);
  // Many repeated values: kCurrent keeps the total exact, kGeoTrellis loses counts.
  std::mt19937_64 rng(7);
  std::vector<double> rep;
  for (int i = 0; i < 20000; ++i) rep.push_back(static_cast<double>(rng() % 300));
  EXPECT_EQ(streaming_of(rep, 80, SH::MergeCounts::kCurrent).total_count(), 20000);
  EXPECT_LT(streaming_of(rep, 80, SH::MergeCounts::kGeoTrellis).total_count(), 20000);
}

TEST(StreamingHistogram, ItemCountGeoTrellis2) {
  const SH h = streaming_of({1, 1, 3, 3, 3, 3});  // buckets 1:2, 3:4
  EXPECT_EQ(h.item_count(1), 2);
  EXPECT_EQ(h.item_count(2), 3);    // (0.5 * 2 + 0.5 * 4)
  EXPECT_EQ(h.item_count(2.9), 3);  // 3.8 truncated
  EXPECT_EQ(h.item_count(-5), 2);   // beyond the ends: the end bucket's count
  EXPECT_EQ(h.item_count(99), 4);
  const SH one = streaming_of({5, 5, 5, 5});
  EXPECT_EQ(one.item_count(5), 4);
  EXPECT_EQ(one.item_count(5.1), 2);  // 4 / (int)exp(0.7) = 4 / 2
  EXPECT_EQ(SH().item_count(1), 0);
}

// ---------------------------------------------------------------------------------------------------
// Brute force

TEST(IntHistogram, MatchesDirectComputation) {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 200; ++trial) {
    const auto range = static_cast<std::int64_t>(1 + rng() % 50);
    const auto heavy = static_cast<std::int64_t>(rng() % 60) - 30;
    const int n = 1 + static_cast<int>(rng() % 500);
    std::vector<std::int64_t> data;
    IntHistogram h;
    for (int i = 0; i < n; ++i) {
      // Skewed: one value is much more frequent, so quantile breaks meet extreme values.
      const std::int64_t v = rng() % 3 == 0 ? heavy : static_cast<std::int64_t>(rng() % range) - range / 2;
      data.push_back(v);
      h.add(v);
    }
    std::sort(data.begin(), data.end());
    std::map<std::int64_t, std::int64_t> counts;
    for (auto v : data) ++counts[v];
    ASSERT_EQ(h.total_count(), n);
    ASSERT_EQ(h.bucket_count(), static_cast<std::int64_t>(counts.size()));
    for (const auto& [v, c] : counts) ASSERT_EQ(h.item_count(v), c);
    EXPECT_EQ(h.min(), data.front());
    EXPECT_EQ(h.max(), data.back());
    double sum = 0;
    for (auto v : data) sum += static_cast<double>(v);
    const double mean = sum / n;
    EXPECT_NEAR(*h.mean(), mean, 1e-9 * (1 + std::abs(mean)));
    double ss = 0;
    for (auto v : data) ss += (static_cast<double>(v) - mean) * (static_cast<double>(v) - mean);
    EXPECT_NEAR(*h.stddev(), std::sqrt(ss / n), 1e-9 * (1 + std::sqrt(ss / n)));
    EXPECT_EQ(h.median(), data[static_cast<std::size_t>(n / 2)]);  // the upper median
    std::int64_t mode = 0, best = 0;
    for (const auto& [v, c] : counts)
      if (c > best) best = c, mode = v;
    EXPECT_EQ(h.mode(), mode);

    // Quantile breaks: the documented rule, computed from the counts directly.
    for (int nb = 1; nb <= 12; ++nb) {
      std::map<std::int64_t, std::int64_t> w = counts;
      const auto cutoff = static_cast<std::int64_t>((1.0 / nb) * n);
      std::int64_t n_extreme = 0, extreme_total = 0;
      for (const auto& [v, c] : w)
        if (c > cutoff) ++n_extreme, extreme_total += c;
      for (auto& [v, c] : w)
        if (c > cutoff)
          c = n_extreme == static_cast<std::int64_t>(w.size()) ? 1 : (n - extreme_total) / (nb - n_extreme);
      std::int64_t wt = 0;
      for (const auto& [v, c] : w) wt += c;
      std::vector<std::int64_t> breaks;
      std::int64_t run = 0, prev = 0;
      bool have_prev = false;
      for (const auto& [v, c] : w) {
        if (static_cast<int>(breaks.size()) == nb) break;
        const double target = static_cast<double>(breaks.size() + 1) / nb * static_cast<double>(wt);
        if (c > 0 && static_cast<double>(run + c) > target) {
          const bool nearer = std::abs(target - run) > std::abs(target - static_cast<double>(run + c));
          breaks.push_back(nearer || !have_prev || (!breaks.empty() && breaks.back() == prev) ? v : prev);
        }
        run += c, prev = v, have_prev = true;
      }
      if (static_cast<int>(breaks.size()) < nb && (breaks.empty() || breaks.back() < data.back()))
        breaks.push_back(data.back());
      const std::vector<std::int64_t> got = h.quantile_breaks(nb);
      EXPECT_EQ(got, breaks) << "trial " << trial << " n " << nb;
      EXPECT_LE(static_cast<int>(got.size()), nb);
      EXPECT_EQ(got.back(), data.back());
      for (std::size_t i = 1; i < got.size(); ++i) EXPECT_LT(got[i - 1], got[i]);
      for (auto b : got) EXPECT_TRUE(counts.contains(b));
    }
  }
}

// The percentile rule, from the points (min, 0), (v_k, cumulative fraction up to v_k).
double reference_percentile(const std::map<double, std::int64_t>& counts, double q) {
  std::int64_t total = 0;
  for (const auto& kv : counts) total += kv.second;
  std::vector<double> d{counts.begin()->first}, p{0.0};
  for (const auto& [v, c] : counts) d.push_back(v), p.push_back(p.back() + static_cast<double>(c) / total);
  if (counts.size() == 1) return d[1];
  if (q < p[1]) return d[0];
  if (q == 1.0) return counts.rbegin()->first;
  std::size_t k = 1;
  while (k + 1 < d.size() - 1 && p[k + 1] <= q) ++k;
  const double t = (q - p[k]) / (p[k + 1] - p[k]);
  return (1 - t) * d[k] + t * d[k + 1];
}

TEST(StreamingHistogram, ExactWithFewerDistinctValuesThanBuckets) {
  std::mt19937_64 rng(1);
  for (int trial = 0; trial < 100; ++trial) {
    const int distinct = 1 + static_cast<int>(rng() % 79);
    std::vector<double> pool;
    for (int i = 0; i < distinct; ++i)
      pool.push_back(std::ldexp(static_cast<double>(rng() % 100000), -7) - 300);
    std::map<double, std::int64_t> counts;
    SH h;
    const int n = 1 + static_cast<int>(rng() % 3000);
    for (int i = 0; i < n; ++i) {
      const double v = pool[rng() % pool.size()];
      ++counts[v];
      h.add(v);
    }
    std::vector<SH::Bucket> expected;
    double sum = 0, best_v = 0;
    std::int64_t best_c = 0;
    for (const auto& [v, c] : counts) {
      expected.push_back({v, c});
      sum += v * static_cast<double>(c);
      if (c >= best_c) best_c = c, best_v = v;  // ties: the largest value
    }
    ASSERT_EQ(h.buckets(), expected);
    EXPECT_EQ(h.total_count(), n);
    EXPECT_EQ(h.min(), counts.begin()->first);
    EXPECT_EQ(h.max(), counts.rbegin()->first);
    EXPECT_EQ(h.mean(), sum / n);
    EXPECT_EQ(h.mode(), best_v);
    for (const auto& [v, c] : counts) EXPECT_EQ(h.item_count(v), c);
    for (double q = 0.0; q <= 1.0; q += 1.0 / 64)
      EXPECT_EQ(h.percentile(q), reference_percentile(counts, q)) << q;
    EXPECT_EQ(h.median(), reference_percentile(counts, 0.5));
    const std::vector<double> qb = h.quantile_breaks(10);
    ASSERT_EQ(qb.size(), 10u);
    EXPECT_EQ(qb.back(), counts.rbegin()->first);
    for (std::size_t i = 1; i < qb.size(); ++i) EXPECT_LE(qb[i - 1], qb[i]);
    EXPECT_GE(qb.front(), counts.begin()->first);
  }
}

// The fraction of `sorted` at or below x.
double rank(const std::vector<double>& sorted, double x) {
  return static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), x) - sorted.begin()) /
         static_cast<double>(sorted.size());
}

// With more distinct values than buckets the answers are approximate, and GeoTrellis' scheme gives no
// fixed bound: merging the closest buckets piles dense regions into heavy buckets, and a quantile is
// only located to within a bucket (a q below the first bucket's fraction even answers min()). Bound
// checked: the rank error |F(percentile(q)) - q| <= 1.5 x (heaviest bucket count / total count), for
// q = 0.05 .. 0.95, on 100,000-value uniform, normal and exponential samples counted one by one or as
// 256-value tiles merged in order. Observed: <= 1.0 x the heaviest share, i.e. rank errors up to 0.008
// (uniform), 0.03 (normal) and 0.10 (exponential: a heavy first bucket) with 80 buckets.
TEST(StreamingHistogram, ApproximateQuantilesWithinDocumentedBound) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> uni(-5, 5);
  std::normal_distribution<double> normal(10, 3);
  std::exponential_distribution<double> expo(0.5);
  for (int dist = 0; dist < 3; ++dist) {
    std::vector<double> data;
    for (int i = 0; i < 100000; ++i)
      data.push_back(dist == 0 ? uni(rng) : dist == 1 ? normal(rng) : expo(rng));
    SH one_by_one = streaming_of(data);
    SH tiled;
    for (std::size_t t = 0; t < data.size(); t += 256)
      tiled.merge(
          streaming_of(std::vector<double>(data.begin() + t, data.begin() + std::min(t + 256, data.size()))));
    std::vector<double> sorted = data;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(one_by_one.min_max(), (std::pair{sorted.front(), sorted.back()}));
    // GeoTrellis' merge keeps only the left histogram's min/max: the other's extremes count only as
    // far as they are bucket values.
    EXPECT_GE(*tiled.min(), sorted.front());
    EXPECT_LE(*tiled.max(), sorted.back());
    for (const SH* h : {&one_by_one, &tiled}) {
      EXPECT_EQ(h->total_count(), 100000);
      std::int64_t heaviest = 0;
      for (std::int64_t c : h->counts()) heaviest = std::max(heaviest, c);
      const double bound = 1.5 * static_cast<double>(heaviest) / static_cast<double>(h->total_count());
      for (int i = 1; i <= 19; ++i) {
        const double q = i / 20.0;
        EXPECT_NEAR(rank(sorted, h->percentile(q)), q, bound) << "dist " << dist << " q " << q;
      }
      EXPECT_NEAR(rank(sorted, *h->median()), 0.5, bound);
      if (dist < 2) {
        EXPECT_LT(bound, 0.1);  // uniform and normal: buckets of at most ~6% of the data
      }
    }
  }
}

TEST(StreamingHistogram, MergeEqualsCountingEverythingWhenFewDistinctValues) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 100; ++trial) {
    std::vector<double> pool;
    for (int i = 0; i < 79; ++i) pool.push_back(static_cast<double>(rng() % 1000) / 8);
    std::vector<double> a, b;
    for (int i = 0, n = static_cast<int>(rng() % 500); i < n; ++i) a.push_back(pool[rng() % 40]);
    for (int i = 0, n = static_cast<int>(rng() % 500); i < n; ++i) b.push_back(pool[20 + rng() % 59]);
    std::vector<double> all = a;
    all.insert(all.end(), b.begin(), b.end());
    const SH ha = streaming_of(a), hb = streaming_of(b), hall = streaming_of(all);
    const SH merged = ha + hb;
    EXPECT_EQ(merged.buckets(), hall.buckets());
    EXPECT_EQ(merged.min_max(), hall.min_max());
    EXPECT_EQ(merged.statistics(), hall.statistics());
    EXPECT_EQ(merged.quantile_breaks(7), hall.quantile_breaks(7));
    EXPECT_EQ((hb + ha).buckets(), hall.buckets());
  }
}

TEST(StreamingHistogram, MergeIsAPureFunctionOfItsInputs) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal(0, 1);
  for (auto rule : {SH::MergeCounts::kGeoTrellis, SH::MergeCounts::kCurrent}) {
    std::vector<SH> tiles;
    for (int t = 0; t < 20; ++t) {
      SH h(80, rule);
      for (int i = 0; i < 300; ++i) h.add(std::round(normal(rng) * 40) / 4);  // repeats and merges
      tiles.push_back(h);
    }
    SH a(80, rule), b(80, rule);
    for (const SH& t : tiles) a.merge(t);
    for (const SH& t : tiles) b.merge(SH::deserialize(t.serialize()));
    EXPECT_EQ(a, b);
    EXPECT_EQ(a.serialize(), b.serialize());
    // The operand's merge history does not matter (from_json rebuilds the same buckets another way).
    SH c(80, rule);
    for (const SH& t : tiles) c.merge(SH::from_json(t.to_json(), rule));
    EXPECT_EQ(a, c);
  }
}

TEST(Histogram, SerializeRoundTrips) {
  std::mt19937_64 rng(9);
  std::normal_distribution<double> normal(0, 1);
  for (int trial = 0; trial < 50; ++trial) {
    const auto rule = trial % 2 ? SH::MergeCounts::kCurrent : SH::MergeCounts::kGeoTrellis;
    SH h(1 + static_cast<int>(rng() % 100), rule);
    IntHistogram ih;
    for (int i = 0, n = static_cast<int>(rng() % 2000); i < n; ++i) {
      const double v = std::round(normal(rng) * 30) / 8;
      h.add(v, 1 + static_cast<std::int64_t>(rng() % 3));
      ih.add(static_cast<std::int64_t>(std::round(v * 8)) - 1000000000000LL,
             1 + static_cast<std::int64_t>(rng() % 3));
    }
    SH h2 = SH::deserialize(h.serialize());
    ASSERT_EQ(h2, h);
    EXPECT_EQ(h2.serialize(), h.serialize());
    for (int i = 0; i < 500; ++i) {  // the merge history travels too: continuing gives the same buckets
      const double v = std::round(normal(rng) * 30) / 8;
      h.add(v);
      h2.add(v);
    }
    EXPECT_EQ(h2, h);
    const IntHistogram ih2 = IntHistogram::deserialize(ih.serialize());
    EXPECT_EQ(ih2, ih);
    EXPECT_EQ(ih2.serialize(), ih.serialize());
    std::vector<std::byte> appended = {std::byte{7}};
    ih.serialize(appended);
    EXPECT_EQ(IntHistogram::deserialize(std::span(appended).subspan(1)), ih);
  }
  EXPECT_EQ(SH::deserialize(SH().serialize()), SH());
  EXPECT_EQ(IntHistogram::deserialize(IntHistogram().serialize()), IntHistogram());

  std::vector<std::byte> bytes = streaming_of({1, 2, 3}).serialize();
  EXPECT_THROW(SH::deserialize(std::span(bytes).first(bytes.size() - 1)), std::invalid_argument);
  bytes.push_back(std::byte{0});
  EXPECT_THROW(SH::deserialize(bytes), std::invalid_argument);
  EXPECT_THROW(IntHistogram::deserialize(bytes), std::invalid_argument);  // wrong magic
  std::vector<std::byte> ib = int_of({{1, 2}}).serialize();
  ib[ib.size() - 1] = std::byte{0x80};  // negative count
  EXPECT_THROW(IntHistogram::deserialize(ib), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------------
// JSON, empty histograms, errors

TEST(Histogram, Json) {
  const json j = streaming_of({1, 1, 2}).to_json();
  EXPECT_EQ(j["buckets"], json::parse("[[1.0, 2.0], [2.0, 1.0]]"));
  EXPECT_EQ(j["minimum"], 1.0);
  EXPECT_EQ(j["maximum"], 2.0);
  EXPECT_EQ(j["statistics"]["dataCells"], 3);
  EXPECT_EQ(j["statistics"]["mode"], 1.0);
  // GeoTrellis' own encoding reads back (as GeoPySpark's from_dict).
  const SH g = SH::from_json(
      json::parse(R"({"buckets":[[1.0,4.0],[2.0,4.0]],"maxBucketCount":80,"minimum":0.5,"maximum":2.0})"));
  EXPECT_EQ(g.buckets(), (std::vector<SH::Bucket>{{1, 4}, {2, 4}}));
  EXPECT_EQ(g.min(), 0.5);
  EXPECT_EQ(SH::from_json(json::parse(R"({"maxBucketCount": 12})")), SH(12));
  EXPECT_THROW(SH::from_json(json::parse("[]")), std::invalid_argument);
  EXPECT_EQ(SH().to_json(), json::parse(R"({"buckets":[],"maxBucketCount":80,"statistics":null})"));

  const IntHistogram ih = int_of({{3, 2}, {-1, 1}});
  const json ij = ih.to_json();
  EXPECT_EQ(ij["bins"], json::parse("[[-1, 1], [3, 2]]"));
  EXPECT_EQ(ij["maxBucketCount"], 536870912);
  EXPECT_EQ(ij["statistics"]["median"], 3);
  EXPECT_EQ(IntHistogram::from_json(ij), ih);
  EXPECT_EQ(IntHistogram::from_json(ij["bins"]), ih);  // GeoTrellis' bare array
  EXPECT_THROW(IntHistogram::from_json(json::parse("[[1.5, 2]]")), std::invalid_argument);
}

TEST(Histogram, EmptyAndErrors) {
  const SH e;
  EXPECT_EQ(e.mean(), std::nullopt);
  EXPECT_EQ(e.median(), std::nullopt);
  EXPECT_EQ(e.mode(), std::nullopt);
  EXPECT_EQ(e.min_max(), std::nullopt);
  EXPECT_EQ(e.statistics(), std::nullopt);
  EXPECT_TRUE(e.quantile_breaks(3).empty());
  EXPECT_THROW(e.percentile(0.5), std::domain_error);
  SH h;
  EXPECT_THROW(h.add(std::nan("")), std::invalid_argument);
  EXPECT_THROW(h.add(HUGE_VAL), std::invalid_argument);
  EXPECT_THROW(h.add(1.0, -1), std::invalid_argument);
  h.add(1.0, 0);
  EXPECT_EQ(h.bucket_count(), 0);
  EXPECT_THROW(SH(0), std::invalid_argument);
  EXPECT_THROW(h.quantile_breaks(0), std::invalid_argument);
  h.add(1.0);
  EXPECT_THROW(h.percentile(1.5), std::invalid_argument);

  const IntHistogram ie;
  EXPECT_EQ(ie.statistics(), std::nullopt);
  EXPECT_EQ(ie.median(), std::nullopt);
  EXPECT_TRUE(ie.quantile_breaks(4).empty());
  IntHistogram ih;
  EXPECT_THROW(ih.add(1, -2), std::invalid_argument);
  EXPECT_THROW(ih.quantile_breaks(0), std::invalid_argument);
}

}  // namespace
}  // namespace trellis
