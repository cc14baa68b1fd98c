#pragma once
// Histograms of layer values, with GeoTrellis' algorithms (geotrellis.raster.histogram as in GeoTrellis
// 2.x/3.x, the backend of GeoPySpark master):
//   StreamingHistogram  approximate, for double layers: Ben-Haim & Tom-Tov buckets (value, count), at
//                       most max_bucket_count() of them (default 80), as GeoTrellis' StreamingHistogram.
//   IntHistogram        exact counts, for integer layers, as GeoTrellis' FastMapHistogram.
// Pure code (no MPI, no I/O). Both are copyable values with the reduction interface of mpi/reduce.hpp
// (serialize(out), static deserialize, in-place merge); the result of merge is a pure function of the
// two histograms, so merging per-tile histograms in a fixed order gives the same bits on every run.
#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <utility>
#include <vector>

namespace trellis {

// GeoTrellis' summary.Statistics of a histogram (JSON keys: dataCells, mean, median, mode, stddev, zmin,
// zmax). For an IntHistogram median, mode, zmin and zmax are integers.
struct HistogramStatistics {
  std::int64_t data_cells = 0;  // the total count
  double mean = 0, median = 0, mode = 0;
  double stddev = 0;  // population standard deviation
  double zmin = 0, zmax = 0;
  bool operator==(const HistogramStatistics&) const = default;
};

// GeoTrellis' StreamingHistogram. Counting a value that is a bucket's value adds to that bucket; any
// other value becomes a new bucket, and when there are then more than max_bucket_count() buckets, the
// two adjacent buckets whose values are closest (ties: the leftmost pair) become one bucket at their
// count-weighted mean value. The order in which values are counted therefore shapes the buckets, as in
// GeoTrellis. min()/max() are the extreme values ever counted, not bucket values.
// Values are finite doubles (the caller skips NoData); counts are positive.
class StreamingHistogram {
 public:
  static constexpr int kDefaultMaxBuckets = 80;

  // Which counts a merge of two buckets adds and weighs.
  enum class MergeCounts : std::uint8_t {
    // GeoTrellis (all versions read, 1.2 to 3.x): the counts the two buckets had when they became
    // neighbours. Counts later added to an existing bucket are lost when it is merged, so total_count()
    // can fall below the number of values counted (only when some value is counted twice and buckets
    // are merged). Reproduces GeoTrellis' buckets bit for bit.
    kGeoTrellis = 0,
    // The buckets' current counts (Ben-Haim & Tom-Tov): total_count() is exact.
    kCurrent = 1,
  };

  struct Bucket {
    double value;
    std::int64_t count;
    bool operator==(const Bucket&) const = default;
  };

  // An empty histogram. Throws std::invalid_argument when max_buckets < 1.
  explicit StreamingHistogram(int max_buckets = kDefaultMaxBuckets,
                              MergeCounts merge_counts = MergeCounts::kGeoTrellis);

  // Counts `value` `count` times (GeoTrellis countItem). A count of 0 does nothing. Throws
  // std::invalid_argument when value is not finite or count < 0.
  void add(double value, std::int64_t count = 1);

  // Becomes GeoTrellis' `this merge other` (= `this + other`): this histogram's buckets, then the
  // other's, counted into a fresh histogram with this one's max_bucket_count, merge rule, min and max.
  // The other's min/max are not carried over (only its bucket values count, as in GeoTrellis). A pure
  // function of the two histograms; not commutative nor associative once buckets are merged.
  void merge(const StreamingHistogram& other);
  friend StreamingHistogram operator+(StreamingHistogram a, const StreamingHistogram& b) {
    a.merge(b);
    return a;
  }

  // GeoTrellis 2.x itemCount: the count of the bucket whose value is `value`; between two buckets the
  // linear interpolation of their counts (truncated); beyond the first/last bucket that bucket's count;
  // with one bucket, its count / (int)exp(|7 (bucket - value)|). 0 when empty or value is NaN.
  // (GeoTrellis 1.2 also divided by the area under the curve and multiplied by the total count.)
  std::int64_t item_count(double value) const;
  std::int64_t total_count() const;
  int bucket_count() const { return static_cast<int>(buckets_.size()); }
  int max_bucket_count() const { return max_buckets_; }
  MergeCounts merge_counts() const { return merge_counts_; }
  // The smallest / largest value counted; nullopt before the first.
  std::optional<double> min() const;
  std::optional<double> max() const;
  std::optional<std::pair<double, double>> min_max() const;

  // The buckets by increasing value (GeoPySpark bin_counts); values() and counts() are its columns.
  std::vector<Bucket> buckets() const;
  std::vector<double> values() const;
  std::vector<std::int64_t> counts() const;
  // (bucket value, cumulative fraction of the total count up to and including it), GeoTrellis cdf().
  std::vector<std::pair<double, double>> cdf() const;

  // Count-weighted mean of the bucket values; nullopt when empty.
  std::optional<double> mean() const;
  // percentile(0.5) (GeoTrellis median(); note that GeoPySpark's Histogram.median() returns mean()).
  std::optional<double> median() const;
  // Value of the bucket with the largest count; ties go to the largest value. nullopt when empty.
  std::optional<double> mode() const;
  // GeoTrellis percentile(q), q in [0, 1]: linear interpolation on the points (bucket value, cumulative
  // fraction), starting at (min, 0); q below the first bucket's fraction gives min(), q = 1 gives max().
  // A single bucket gives its value. Throws std::invalid_argument when q is outside [0, 1] and
  // std::domain_error when the histogram is empty.
  double percentile(double q) const;
  // GeoTrellis percentileBreaks(qs) for increasing qs in [0, 1] (only the first q may give min() by the
  // rule above). Empty when the histogram or qs is. Throws std::invalid_argument when a q is outside
  // [0, 1].
  std::vector<double> percentile_breaks(std::span<const double> qs) const;
  // percentile_breaks of i / n for i = 1..n: n breaks, the last being max(); a single-bucket histogram
  // gives its value n times; empty when the histogram is. Throws std::invalid_argument when n < 1.
  std::vector<double> quantile_breaks(int n) const;
  // GeoTrellis statistics(): mean, median, mode as above, stddev = sqrt(E[x^2] - mean^2) over the
  // buckets (NaN when rounding makes that negative, as in GeoTrellis), zmin/zmax = min()/max().
  // nullopt when empty.
  std::optional<HistogramStatistics> statistics() const;

  // GeoTrellis' JSON encoding of a Histogram[Double] plus the statistics:
  //   {"buckets": [[value, count], ...], "maxBucketCount": n, "minimum": min, "maximum": max,
  //    "statistics": {"dataCells": .., "mean": .., "median": .., "mode": .., "stddev": .., "zmin": ..,
  //    "zmax": ..} or null}
  // (counts written as doubles, as GeoTrellis does; no minimum/maximum when nothing was counted).
  nlohmann::json to_json() const;
  // Reads GeoTrellis' encoding (as GeoTrellis: without both minimum and maximum, the buckets are
  // ignored; bucket counts are truncated to integers). The bucket merge history is not in JSON, so
  // later merges may differ from the original's under kGeoTrellis. Throws std::invalid_argument when
  // malformed.
  static StreamingHistogram from_json(const nlohmann::json& j,
                                      MergeCounts merge_counts = MergeCounts::kGeoTrellis);

  // Exact binary encoding (little endian, includes the merge history): deserialize(serialize()) == *this.
  void serialize(std::vector<std::byte>& out) const;  // appends
  std::vector<std::byte> serialize() const;
  // The span must hold exactly one histogram. Throws std::invalid_argument when malformed.
  static StreamingHistogram deserialize(std::span<const std::byte> bytes);

  bool operator==(const StreamingHistogram&) const = default;

 private:
  // Java's Double.compareTo order on finite values: -0.0 sorts before 0.0 (distinct buckets).
  struct ValueLess {
    bool operator()(double a, double b) const;
  };
  // Two adjacent buckets, with the counts they had when they became adjacent (GeoTrellis' Delta).
  struct Gap {
    double distance, left, right;
    std::int64_t left_count, right_count;
    bool operator==(const Gap&) const = default;
  };
  // GeoTrellis' DeltaCompare: by distance, then by left value.
  struct GapLess {
    bool operator()(const Gap& a, const Gap& b) const;
  };

  void count_bucket(double value, std::int64_t count);
  void merge_closest();
  void erase_gap(double left, double right);

  int max_buckets_;
  MergeCounts merge_counts_;
  double min_, max_;
  std::map<double, std::int64_t, ValueLess> buckets_;
  std::set<Gap, GapLess> gaps_;
};

// GeoTrellis' FastMapHistogram: an exact count per integer value.
class IntHistogram {
 public:
  // GeoTrellis' FastMapHistogram.maxBucketCount (1 << 29), reported for compatibility only.
  static constexpr std::int64_t kMaxBucketCount = std::int64_t{1} << 29;

  struct Bin {
    std::int64_t value;
    std::int64_t count;
    bool operator==(const Bin&) const = default;
  };

  // Counts `value` `count` times. A count of 0 does nothing. Throws std::invalid_argument when count < 0.
  void add(std::int64_t value, std::int64_t count = 1);
  // Adds the other's counts (exact: commutative and associative).
  void merge(const IntHistogram& other);
  friend IntHistogram operator+(IntHistogram a, const IntHistogram& b) {
    a.merge(b);
    return a;
  }

  // The count of `value` (0 when never counted).
  std::int64_t item_count(std::int64_t value) const;
  std::int64_t total_count() const { return total_; }
  // The number of distinct values.
  std::int64_t bucket_count() const { return static_cast<std::int64_t>(counts_.size()); }
  std::int64_t max_bucket_count() const { return kMaxBucketCount; }
  std::optional<std::int64_t> min() const;
  std::optional<std::int64_t> max() const;
  std::optional<std::pair<std::int64_t, std::int64_t>> min_max() const;
  // (value, count) by increasing value (GeoPySpark get_class_histogram().bin_counts()).
  std::vector<Bin> bins() const;
  std::vector<std::int64_t> values() const;
  std::vector<std::int64_t> counts() const;

  // The statistics below are nullopt when empty.
  // Incremental count-weighted mean over increasing values (GeoTrellis' formula and order of
  // statistics(); GeoTrellis' mean() runs in hash order and may differ in the last bits).
  std::optional<double> mean() const;
  // The upper median: the first value whose cumulative count exceeds total / 2 (integer division).
  std::optional<std::int64_t> median() const;
  // The value with the largest count; ties go to the smallest value.
  std::optional<std::int64_t> mode() const;
  // Population standard deviation, GeoTrellis' incremental formula.
  std::optional<double> stddev() const;
  std::optional<HistogramStatistics> statistics() const;

  // GeoTrellis MutableIntHistogram.quantileBreaks(n): at most n increasing breaks. Values whose count
  // exceeds total / n first get the count (total of the others) / (n - their number) (all get 1 when
  // every value does); then the i-th break is the value where the running count crosses i/n of the
  // total (the nearer of the two values around the crossing, the later one if the earlier one is the
  // previous break); the maximum closes the list when it is above the last break. Empty when the
  // histogram is. Throws std::invalid_argument when n < 1.
  std::vector<std::int64_t> quantile_breaks(int n) const;

  // {"bins": [[value, count], ...], "maxBucketCount": 536870912, "statistics": {...} or null}
  // (GeoTrellis encodes a Histogram[Int] as the bare "bins" array).
  nlohmann::json to_json() const;
  // Reads to_json()'s object or GeoTrellis' bare array of [value, count]. Throws std::invalid_argument
  // when malformed.
  static IntHistogram from_json(const nlohmann::json& j);

  // Exact binary encoding (little endian).
  void serialize(std::vector<std::byte>& out) const;  // appends
  std::vector<std::byte> serialize() const;
  // The span must hold exactly one histogram. Throws std::invalid_argument when malformed.
  static IntHistogram deserialize(std::span<const std::byte> bytes);

  bool operator==(const IntHistogram&) const = default;

 private:
  std::map<std::int64_t, std::int64_t> counts_;
  std::int64_t total_ = 0;
};

}  // namespace trellis
