#include "core/histogram.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>

namespace trellis {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Scala's Double.toInt: truncation, saturating at the Int range, NaN -> 0.
std::int32_t scala_to_int(double d) {
  if (std::isnan(d)) return 0;
  if (d >= 2147483647.0) return std::numeric_limits<std::int32_t>::max();
  if (d <= -2147483648.0) return std::numeric_limits<std::int32_t>::min();
  return static_cast<std::int32_t>(d);
}

// Scala's Double.toLong (the same, on the Long range).
std::int64_t scala_to_long(double d) {
  if (std::isnan(d)) return 0;
  if (d >= 9223372036854775807.0) return std::numeric_limits<std::int64_t>::max();
  if (d <= -9223372036854775808.0) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(d);
}

void put_u64(std::vector<std::byte>& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xff));
}
void put_f64(std::vector<std::byte>& out, double d) {
  put_u64(out, std::bit_cast<std::uint64_t>(d));
}

class Reader {
 public:
  explicit Reader(std::span<const std::byte> b) : b_(b) {}
  std::uint64_t u64() {
    need(8);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= std::to_integer<std::uint64_t>(b_[pos_ + i]) << (8 * i);
    pos_ += 8;
    return v;
  }
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  double f64() { return std::bit_cast<double>(u64()); }
  void magic(const char* m) {
    need(4);
    if (std::memcmp(b_.data() + pos_, m, 4) != 0) fail("bad magic");
    pos_ += 4;
  }
  void end() const {
    if (pos_ != b_.size()) fail("trailing bytes");
  }
  [[noreturn]] static void fail(const std::string& why) {
    throw std::invalid_argument("histogram deserialize: " + why);
  }

 private:
  void need(std::size_t n) const {
    if (b_.size() - pos_ < n) fail("truncated");
  }
  std::span<const std::byte> b_;
  std::size_t pos_ = 0;
};

void put_magic(std::vector<std::byte>& out, const char* m) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::byte>(m[i]));
}

nlohmann::json stats_json(const std::optional<HistogramStatistics>& s, bool integral) {
  if (!s) return nullptr;
  auto v = [&](double d) -> nlohmann::json {
    if (integral) return static_cast<std::int64_t>(d);
    return d;
  };
  return {{"dataCells", s->data_cells}, {"mean", s->mean},    {"median", v(s->median)}, {"mode", v(s->mode)},
          {"stddev", s->stddev},        {"zmin", v(s->zmin)}, {"zmax", v(s->zmax)}};
}

[[noreturn]] void bad_json(const std::string& why) {
  throw std::invalid_argument("histogram JSON: " + why);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// StreamingHistogram

bool StreamingHistogram::ValueLess::operator()(double a, double b) const {
  return a < b || (a == b && std::signbit(a) && !std::signbit(b));
}

bool StreamingHistogram::GapLess::operator()(const Gap& a, const Gap& b) const {
  if (a.distance != b.distance) return a.distance < b.distance;
  return a.left < b.left;
}

StreamingHistogram::StreamingHistogram(int max_buckets, MergeCounts merge_counts)
    : max_buckets_(max_buckets), merge_counts_(merge_counts), min_(kInf), max_(-kInf) {
  if (max_buckets < 1) throw std::invalid_argument("StreamingHistogram: max_buckets must be >= 1");
  if (merge_counts != MergeCounts::kGeoTrellis && merge_counts != MergeCounts::kCurrent)
    throw std::invalid_argument("StreamingHistogram: unknown merge rule");
}

void StreamingHistogram::add(double value, std::int64_t count) {
  if (!std::isfinite(value)) throw std::invalid_argument("StreamingHistogram::add: value is not finite");
  if (count < 0) throw std::invalid_argument("StreamingHistogram::add: negative count");
  if (count == 0) return;
  count_bucket(value, count);
}

void StreamingHistogram::erase_gap(double left, double right) {
  gaps_.erase(Gap{right - left, left, right, 0, 0});
}

// GeoTrellis countItem(Bucket).
void StreamingHistogram::count_bucket(double value, std::int64_t count) {
  if (value < min_ && count != 0) min_ = value;
  if (value > max_ && count != 0) max_ = value;
  if (auto it = buckets_.find(value); it != buckets_.end()) {
    it->second += count;  // the gaps keep the count they recorded (GeoTrellis)
    return;
  }
  const auto larger = buckets_.upper_bound(value);
  const bool has_larger = larger != buckets_.end();
  const bool has_smaller = larger != buckets_.begin();
  if (has_smaller && has_larger) erase_gap(std::prev(larger)->first, larger->first);
  if (has_larger) gaps_.insert(Gap{larger->first - value, value, larger->first, count, larger->second});
  if (has_smaller) {
    const auto smaller = std::prev(larger);
    gaps_.insert(Gap{value - smaller->first, smaller->first, value, smaller->second, count});
  }
  buckets_.emplace(value, count);
  if (static_cast<int>(buckets_.size()) > max_buckets_) merge_closest();
}

// GeoTrellis combine(): the closest pair becomes one bucket at its count-weighted mean.
void StreamingHistogram::merge_closest() {
  const Gap g = *gaps_.begin();
  std::int64_t c1 = g.left_count, c2 = g.right_count;
  if (merge_counts_ == MergeCounts::kCurrent) {
    if (auto it = buckets_.find(g.left); it != buckets_.end()) c1 = it->second;
    if (auto it = buckets_.find(g.right); it != buckets_.end()) c2 = it->second;
  }
  double mid_value = 0.0;
  std::int64_t mid_count = c1 + c2;
  if (mid_count != 0) {
    mid_value = (g.left * static_cast<double>(c1) + g.right * static_cast<double>(c2)) /
                static_cast<double>(mid_count);
  } else if (c1 == 0) {
    mid_value = g.left;
  } else if (c2 == 0) {
    mid_value = g.right;
  }
  // The buckets below and above the pair (Java's lowerEntry / higherEntry).
  const auto l = buckets_.lower_bound(g.left);
  const auto r = buckets_.upper_bound(g.right);
  const bool has_left = l != buckets_.begin();
  const bool has_right = r != buckets_.end();
  Bucket left{0, 0}, right{0, 0};
  if (has_left) left = {std::prev(l)->first, std::prev(l)->second};
  if (has_right) right = {r->first, r->second};

  buckets_.erase(g.left);
  buckets_.erase(g.right);
  gaps_.erase(gaps_.begin());
  if (has_left) erase_gap(left.value, g.left);
  if (has_right) erase_gap(g.right, right.value);
  if (has_left && has_right)
    gaps_.insert(Gap{right.value - left.value, left.value, right.value, left.count, right.count});
  count_bucket(mid_value, mid_count);
}

void StreamingHistogram::merge(const StreamingHistogram& other) {
  StreamingHistogram sum(max_buckets_, merge_counts_);
  sum.min_ = min_;
  sum.max_ = max_;
  for (const auto& [v, c] : buckets_) sum.count_bucket(v, c);
  for (const auto& [v, c] : other.buckets_) sum.count_bucket(v, c);
  *this = std::move(sum);
}

std::int64_t StreamingHistogram::item_count(double value) const {
  if (buckets_.empty() || std::isnan(value)) return 0;
  if (buckets_.size() == 1) {
    const auto& [v, c] = *buckets_.begin();
    const std::int32_t divisor = scala_to_int(std::exp(std::abs(7 * (v - value))));
    return divisor == 0 ? 0 : c / divisor;
  }
  if (auto it = buckets_.find(value); it != buckets_.end()) return it->second;
  const auto hi = buckets_.upper_bound(value);
  if (hi == buckets_.begin()) return hi->second;
  const auto lo = std::prev(hi);
  if (hi == buckets_.end()) return lo->second;
  const double x = (value - lo->first) / (hi->first - lo->first);
  return scala_to_long((1.0 - x) * static_cast<double>(lo->second) + x * static_cast<double>(hi->second));
}

std::int64_t StreamingHistogram::total_count() const {
  std::int64_t n = 0;
  for (const auto& b : buckets_) n += b.second;
  return n;
}

std::optional<double> StreamingHistogram::min() const {
  return min_ == kInf ? std::nullopt : std::optional<double>(min_);
}
std::optional<double> StreamingHistogram::max() const {
  return max_ == -kInf ? std::nullopt : std::optional<double>(max_);
}
std::optional<std::pair<double, double>> StreamingHistogram::min_max() const {
  if (!min() || !max()) return std::nullopt;
  return std::pair{min_, max_};
}

std::vector<StreamingHistogram::Bucket> StreamingHistogram::buckets() const {
  std::vector<Bucket> out;
  out.reserve(buckets_.size());
  for (const auto& [v, c] : buckets_) out.push_back({v, c});
  return out;
}
std::vector<double> StreamingHistogram::values() const {
  std::vector<double> out;
  for (const auto& b : buckets_) out.push_back(b.first);
  return out;
}
std::vector<std::int64_t> StreamingHistogram::counts() const {
  std::vector<std::int64_t> out;
  for (const auto& b : buckets_) out.push_back(b.second);
  return out;
}

std::vector<std::pair<double, double>> StreamingHistogram::cdf() const {
  const double n = static_cast<double>(total_count());
  std::vector<std::pair<double, double>> out;
  double acc = 0.0;
  for (const auto& [v, c] : buckets_) {
    acc += static_cast<double>(c) / n;
    out.emplace_back(v, acc);
  }
  return out;
}

std::optional<double> StreamingHistogram::mean() const {
  const std::int64_t n = total_count();
  if (n <= 0) return std::nullopt;
  double sum = 0.0;
  for (const auto& [v, c] : buckets_) sum += v * static_cast<double>(c);
  return sum / static_cast<double>(n);
}

std::optional<double> StreamingHistogram::median() const {
  if (total_count() <= 0) return std::nullopt;
  return percentile(0.5);
}

std::optional<double> StreamingHistogram::mode() const {
  if (total_count() <= 0) return std::nullopt;
  auto best = buckets_.begin();
  for (auto it = std::next(best); it != buckets_.end(); ++it)
    if (!(best->second > it->second)) best = it;
  return best->first;
}

double StreamingHistogram::percentile(double q) const {
  const double qs[] = {q};
  const std::vector<double> r = percentile_breaks(qs);
  if (r.empty()) throw std::domain_error("StreamingHistogram::percentile: empty histogram");
  return r.front();
}

// GeoTrellis percentileBreaks: walks the segments between the points (d_k, p_k), where d_0 = min seen,
// p_0 = 0, and d_k, p_k are the k-th bucket value and cumulative fraction.
std::vector<double> StreamingHistogram::percentile_breaks(std::span<const double> qs) const {
  for (double q : qs)
    if (!(q >= 0.0 && q <= 1.0))
      throw std::invalid_argument("StreamingHistogram::percentile_breaks: q must be in [0, 1]");
  if (buckets_.size() == 1) return std::vector<double>(qs.size(), buckets_.begin()->first);
  if (buckets_.empty() || qs.empty()) return {};
  const double n = static_cast<double>(total_count());
  std::vector<double> d{min_}, p{0.0};
  for (const auto& [v, c] : buckets_) {
    d.push_back(v);
    p.push_back(p.back() + static_cast<double>(c) / n);
  }
  const std::size_t segments = buckets_.size();
  struct Segment {
    double d1, p1, d2, p2;
  };
  auto segment = [&](std::size_t k) { return Segment{d[k], p[k], d[k + 1], p[k + 1]}; };
  Segment cur = segment(0);
  std::size_t next = 1;
  std::vector<double> out;
  std::size_t first = 0;
  if (qs[0] < cur.p2) {
    // The first quantile falls in the first bucket: GeoTrellis answers the minimum, and drops the
    // first bucket when the minimum is its value.
    out.push_back(cur.d1);
    if (cur.d1 == cur.d2) {
      const Segment s = segment(next++);
      cur = {cur.d1, cur.p1, s.d2, s.p2};
    }
    first = 1;
  }
  for (std::size_t i = first; i < qs.size(); ++i) {
    const double q = qs[i];
    if (q == 0.0) {
      out.push_back(min_);
    } else if (q == 1.0) {
      out.push_back(max_);
    } else {
      while (next < segments && cur.p2 <= q) cur = segment(next++);
      const double t = (q - cur.p1) / (cur.p2 - cur.p1);
      out.push_back((1 - t) * cur.d1 + t * cur.d2);
    }
  }
  return out;
}

std::vector<double> StreamingHistogram::quantile_breaks(int n) const {
  if (n < 1) throw std::invalid_argument("StreamingHistogram::quantile_breaks: n must be >= 1");
  std::vector<double> qs;
  qs.reserve(static_cast<std::size_t>(n));
  for (int i = 1; i <= n; ++i) qs.push_back(static_cast<double>(i) / static_cast<double>(n));
  return percentile_breaks(qs);
}

std::optional<HistogramStatistics> StreamingHistogram::statistics() const {
  const std::int64_t n = total_count();
  if (!min_max() || n <= 0) return std::nullopt;
  HistogramStatistics s;
  s.data_cells = n;
  s.mean = *mean();
  s.median = *median();
  s.mode = *mode();
  double ex2 = 0.0;
  for (const auto& [v, c] : buckets_) ex2 += v * v * static_cast<double>(c);
  ex2 /= static_cast<double>(n);
  s.stddev = std::sqrt(ex2 - s.mean * s.mean);
  s.zmin = min_;
  s.zmax = max_;
  return s;
}

nlohmann::json StreamingHistogram::to_json() const {
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& [v, c] : buckets_) pairs.push_back({v, static_cast<double>(c)});
  nlohmann::json j = {{"buckets", pairs}, {"maxBucketCount", max_buckets_}};
  if (min_max()) {
    j["minimum"] = min_;
    j["maximum"] = max_;
  }
  j["statistics"] = stats_json(statistics(), false);
  return j;
}

StreamingHistogram StreamingHistogram::from_json(const nlohmann::json& j, MergeCounts merge_counts) {
  if (!j.is_object() || !j.contains("maxBucketCount") || !j["maxBucketCount"].is_number_integer())
    bad_json("expected an object with an integer maxBucketCount");
  const std::int64_t size = j["maxBucketCount"].get<std::int64_t>();
  if (size < 1 || size > std::numeric_limits<int>::max()) bad_json("maxBucketCount out of range");
  StreamingHistogram h(static_cast<int>(size), merge_counts);
  const auto number = [&](const char* key) { return j.contains(key) && j[key].is_number(); };
  if (!number("minimum") || !number("maximum")) return h;  // GeoTrellis: an empty histogram
  h.min_ = j["minimum"].get<double>();
  h.max_ = j["maximum"].get<double>();
  if (!std::isfinite(h.min_) || !std::isfinite(h.max_)) bad_json("minimum/maximum not finite");
  if (!j.contains("buckets")) return h;
  if (!j["buckets"].is_array()) bad_json("buckets must be an array");
  for (const auto& b : j["buckets"]) {
    if (!b.is_array() || b.size() != 2 || !b[0].is_number() || !b[1].is_number())
      bad_json("expected [value, count] pairs");
    const double v = b[0].get<double>();
    const std::int64_t c = scala_to_long(b[1].get<double>());
    if (!std::isfinite(v) || c < 0) bad_json("bucket value not finite or count negative");
    if (c > 0) h.count_bucket(v, c);
  }
  return h;
}

// Layout: "TSH1", u64 merge rule, u64 max buckets, f64 min, f64 max, u64 n, n x (f64 value, i64
// count), u64 g, g x (f64 left, f64 right, i64 left count, i64 right count) in gap order.
void StreamingHistogram::serialize(std::vector<std::byte>& out) const {
  put_magic(out, "TSH1");
  put_u64(out, static_cast<std::uint64_t>(merge_counts_));
  put_u64(out, static_cast<std::uint64_t>(max_buckets_));
  put_f64(out, min_);
  put_f64(out, max_);
  put_u64(out, buckets_.size());
  for (const auto& [v, c] : buckets_) {
    put_f64(out, v);
    put_u64(out, static_cast<std::uint64_t>(c));
  }
  put_u64(out, gaps_.size());
  for (const Gap& g : gaps_) {
    put_f64(out, g.left);
    put_f64(out, g.right);
    put_u64(out, static_cast<std::uint64_t>(g.left_count));
    put_u64(out, static_cast<std::uint64_t>(g.right_count));
  }
}

std::vector<std::byte> StreamingHistogram::serialize() const {
  std::vector<std::byte> out;
  serialize(out);
  return out;
}

StreamingHistogram StreamingHistogram::deserialize(std::span<const std::byte> bytes) {
  Reader r(bytes);
  r.magic("TSH1");
  const std::uint64_t rule = r.u64(), size = r.u64();
  if (rule > 1) Reader::fail("unknown merge rule");
  if (size < 1 || size > static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
    Reader::fail("max buckets out of range");
  StreamingHistogram h(static_cast<int>(size), static_cast<MergeCounts>(rule));
  h.min_ = r.f64();
  h.max_ = r.f64();
  if (!(std::isfinite(h.min_) || h.min_ == kInf) || !(std::isfinite(h.max_) || h.max_ == -kInf))
    Reader::fail("bad min/max");
  const std::uint64_t n = r.u64();
  if (n > size) Reader::fail("more buckets than max buckets");
  std::int64_t total = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const double v = r.f64();
    const std::int64_t c = r.i64();
    if (!std::isfinite(v) || c <= 0 || c > std::numeric_limits<std::int64_t>::max() - total)
      Reader::fail("bad bucket");
    if (!h.buckets_.empty() && !ValueLess{}(std::prev(h.buckets_.end())->first, v))
      Reader::fail("bucket values not increasing");
    if (v < h.min_ || v > h.max_) Reader::fail("bucket outside [min, max]");
    total += c;
    h.buckets_.emplace_hint(h.buckets_.end(), v, c);
  }
  const std::uint64_t g = r.u64();
  if (g > bytes.size() / 32) Reader::fail("truncated");
  for (std::uint64_t i = 0; i < g; ++i) {
    Gap gap{0, r.f64(), r.f64(), r.i64(), r.i64()};
    gap.distance = gap.right - gap.left;
    if (!std::isfinite(gap.left) || !std::isfinite(gap.right) || !ValueLess{}(gap.left, gap.right) ||
        gap.left_count <= 0 || gap.right_count <= 0 || !h.gaps_.insert(gap).second)
      Reader::fail("bad gap");
  }
  r.end();
  return h;
}

// ---------------------------------------------------------------------------------------------------
// IntHistogram

void IntHistogram::add(std::int64_t value, std::int64_t count) {
  if (count < 0) throw std::invalid_argument("IntHistogram::add: negative count");
  if (count == 0) return;
  counts_[value] += count;
  total_ += count;
}

void IntHistogram::merge(const IntHistogram& other) {
  for (const auto& [v, c] : other.counts_) add(v, c);  // also right when other is *this
}

std::int64_t IntHistogram::item_count(std::int64_t value) const {
  const auto it = counts_.find(value);
  return it == counts_.end() ? 0 : it->second;
}

std::optional<std::int64_t> IntHistogram::min() const {
  if (counts_.empty()) return std::nullopt;
  return counts_.begin()->first;
}
std::optional<std::int64_t> IntHistogram::max() const {
  if (counts_.empty()) return std::nullopt;
  return counts_.rbegin()->first;
}
std::optional<std::pair<std::int64_t, std::int64_t>> IntHistogram::min_max() const {
  if (counts_.empty()) return std::nullopt;
  return std::pair{*min(), *max()};
}

std::vector<IntHistogram::Bin> IntHistogram::bins() const {
  std::vector<Bin> out;
  out.reserve(counts_.size());
  for (const auto& [v, c] : counts_) out.push_back({v, c});
  return out;
}
std::vector<std::int64_t> IntHistogram::values() const {
  std::vector<std::int64_t> out;
  for (const auto& kv : counts_) out.push_back(kv.first);
  return out;
}
std::vector<std::int64_t> IntHistogram::counts() const {
  std::vector<std::int64_t> out;
  for (const auto& kv : counts_) out.push_back(kv.second);
  return out;
}

// GeoTrellis IntHistogram.statistics(), over increasing values.
std::optional<HistogramStatistics> IntHistogram::statistics() const {
  if (counts_.empty()) return std::nullopt;
  HistogramStatistics s;
  std::int64_t mode_count = 0, total = 0;
  const std::int64_t limit = total_ / 2;
  bool need_median = true;
  for (const auto& [v, c] : counts_) {
    s.data_cells += c;
    if (c > mode_count) {
      s.mode = static_cast<double>(v);
      mode_count = c;
    }
    const double delta = static_cast<double>(v) - s.mean;
    total += c;
    s.mean += (static_cast<double>(c) * delta) / static_cast<double>(total);
    if (need_median && total > limit) {
      s.median = static_cast<double>(v);
      need_median = false;
    }
  }
  s.zmin = static_cast<double>(counts_.begin()->first);
  s.zmax = static_cast<double>(counts_.rbegin()->first);
  total = 0;
  double mean2 = 0.0;
  for (const auto& [v, c] : counts_) {
    const double x = static_cast<double>(v) - s.mean;
    const double delta = x * x - mean2;
    total += c;
    mean2 += (static_cast<double>(c) * delta) / static_cast<double>(total);
  }
  s.stddev = std::sqrt(mean2);
  return s;
}

std::optional<double> IntHistogram::mean() const {
  const auto s = statistics();
  return s ? std::optional<double>(s->mean) : std::nullopt;
}
std::optional<std::int64_t> IntHistogram::median() const {
  const auto s = statistics();
  return s ? std::optional<std::int64_t>(static_cast<std::int64_t>(s->median)) : std::nullopt;
}
std::optional<std::int64_t> IntHistogram::mode() const {
  const auto s = statistics();
  return s ? std::optional<std::int64_t>(static_cast<std::int64_t>(s->mode)) : std::nullopt;
}
std::optional<double> IntHistogram::stddev() const {
  const auto s = statistics();
  return s ? std::optional<double>(s->stddev) : std::nullopt;
}

// GeoTrellis MutableIntHistogram.quantileBreaks with normalizeExtremeValues.
std::vector<std::int64_t> IntHistogram::quantile_breaks(int n) const {
  if (n < 1) throw std::invalid_argument("IntHistogram::quantile_breaks: n must be >= 1");
  if (counts_.empty()) return {};
  const std::vector<std::int64_t> vals = values();
  std::vector<std::int64_t> h = counts();
  const double dn = static_cast<double>(n);
  // An "extreme" value would overflow an ideal quantile on its own.
  const std::int32_t cutoff = scala_to_int((1.0 / dn) * static_cast<double>(total_));
  std::vector<std::size_t> extreme;
  for (std::size_t i = 0; i < h.size(); ++i)
    if (h[i] > cutoff) extreme.push_back(i);
  if (!extreme.empty() && extreme.size() == h.size()) {
    for (auto& c : h) c = 1;
  } else if (!extreme.empty()) {
    std::int64_t extreme_total = 0;
    for (std::size_t i : extreme) extreme_total += h[i];
    const std::int64_t others = n - static_cast<std::int64_t>(extreme.size());
    if (others <= 0) throw std::logic_error("IntHistogram::quantile_breaks: too many extreme values");
    const std::int64_t e_value = (total_ - extreme_total) / others;
    for (std::size_t i : extreme) h[i] = e_value;
  }
  std::int64_t h_total = 0;
  for (std::int64_t c : h) h_total += c;

  std::vector<std::int64_t> breaks;
  int q = 0;
  std::int64_t running = 0;
  for (std::size_t j = 0; q < n && j < vals.size(); ++j) {
    const std::int64_t count = h[j];
    const std::int64_t next_total = running + count;
    const double limit = (static_cast<double>(q + 1) / dn) * static_cast<double>(h_total);
    if (count != 0 && static_cast<double>(next_total) > limit) {
      if (std::abs(limit - static_cast<double>(running)) > std::abs(limit - static_cast<double>(next_total)))
        breaks.push_back(vals[j]);  // the crossing value is nearer
      else if (j > 0)
        breaks.push_back(q > 0 && breaks.back() == vals[j - 1] ? vals[j] : vals[j - 1]);
      else
        breaks.push_back(vals[j]);
      ++q;
    }
    running = next_total;
  }
  if (q < n && (q == 0 || breaks.back() < vals.back())) breaks.push_back(vals.back());
  return breaks;
}

nlohmann::json IntHistogram::to_json() const {
  nlohmann::json bins = nlohmann::json::array();
  for (const auto& [v, c] : counts_) bins.push_back({v, c});
  return {
      {"bins", bins}, {"maxBucketCount", kMaxBucketCount}, {"statistics", stats_json(statistics(), true)}};
}

IntHistogram IntHistogram::from_json(const nlohmann::json& j) {
  const nlohmann::json* bins = &j;
  if (j.is_object()) {
    if (!j.contains("bins")) bad_json("expected an object with bins");
    bins = &j["bins"];
  }
  if (!bins->is_array()) bad_json("expected an array of [value, count]");
  IntHistogram h;
  for (const auto& b : *bins) {
    if (!b.is_array() || b.size() != 2 || !b[0].is_number_integer() || !b[1].is_number_integer())
      bad_json("expected [value, count] integer pairs");
    const std::int64_t c = b[1].get<std::int64_t>();
    if (c < 0 || c > std::numeric_limits<std::int64_t>::max() - h.total_) bad_json("bad count");
    h.add(b[0].get<std::int64_t>(), c);
  }
  return h;
}

// Layout: "TIH1", u64 n, n x (i64 value, i64 count) by increasing value.
void IntHistogram::serialize(std::vector<std::byte>& out) const {
  put_magic(out, "TIH1");
  put_u64(out, counts_.size());
  for (const auto& [v, c] : counts_) {
    put_u64(out, static_cast<std::uint64_t>(v));
    put_u64(out, static_cast<std::uint64_t>(c));
  }
}

std::vector<std::byte> IntHistogram::serialize() const {
  std::vector<std::byte> out;
  serialize(out);
  return out;
}

IntHistogram IntHistogram::deserialize(std::span<const std::byte> bytes) {
  Reader r(bytes);
  r.magic("TIH1");
  const std::uint64_t n = r.u64();
  if (n > bytes.size() / 16) Reader::fail("truncated");
  IntHistogram h;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::int64_t v = r.i64(), c = r.i64();
    if (c <= 0 || c > std::numeric_limits<std::int64_t>::max() - h.total_) Reader::fail("bad count");
    if (!h.counts_.empty() && h.counts_.rbegin()->first >= v) Reader::fail("values not increasing");
    h.counts_.emplace_hint(h.counts_.end(), v, c);
    h.total_ += c;
  }
  r.end();
  return h;
}

}  // namespace trellis
