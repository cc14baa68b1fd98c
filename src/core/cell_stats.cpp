#include "core/cell_stats.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace trellis {

unsigned accumulators_for(CellStat s) {
  switch (s) {
    case CellStat::Count:
      return kAccCount;
    case CellStat::Sum:
      return kAccCount | kAccSum;
    case CellStat::Mean:
      return kAccCount | kAccSum;
    case CellStat::Min:
      return kAccCount | kAccMin;
    case CellStat::Max:
      return kAccCount | kAccMax;
    case CellStat::Variance:
    case CellStat::StandardDeviation:
      return kAccCount | kAccSum | kAccSumSquares;
  }
  return kAccCount;
}

unsigned accumulators_for(std::span<const CellStat> stats) {
  unsigned a = kAccCount;
  for (CellStat s : stats) a |= accumulators_for(s);
  return a;
}

void CellAccumulator::add_tile(const Tile& t, int band, const CellWindow* window) {
  const CellWindow w = window ? *window : CellWindow{0, 0, t.cols(), t.rows()};
  for_each_data_cell(t, band, w, [&](double v) { add(v); });
}

void CellAccumulator::merge(const CellAccumulator& o) {
  if (o.acc_ != acc_) throw std::logic_error("CellAccumulator: merging different accumulators");
  count_ += o.count_;
  sum_.merge(o.sum_);
  sum_sq_.merge(o.sum_sq_);
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

std::optional<double> CellAccumulator::value(CellStat s) const {
  if ((accumulators_for(s) & acc_) != accumulators_for(s))
    throw std::logic_error("CellAccumulator: the statistic needs an accumulator this one does not keep");
  switch (s) {
    case CellStat::Count:
      return static_cast<double>(count_);
    case CellStat::Sum:
      return sum_.value();
    case CellStat::Mean:
      if (count_ == 0) return std::nullopt;
      return sum_.value() / static_cast<double>(count_);
    case CellStat::Min:
      if (count_ == 0) return std::nullopt;
      return min_;
    case CellStat::Max:
      if (count_ == 0) return std::nullopt;
      return max_;
    case CellStat::Variance:
    case CellStat::StandardDeviation: {
      if (count_ == 0) return std::nullopt;
      const double n = static_cast<double>(count_), mean = sum_.value() / n;
      const double var = std::max(0.0, sum_sq_.value() / n - mean * mean);
      return s == CellStat::Variance ? var : std::sqrt(var);
    }
  }
  return std::nullopt;
}

void CellAccumulator::serialize(std::vector<std::byte>& out) const {
  const std::uint64_t head[2] = {acc_, count_};
  const std::size_t at = out.size();
  out.resize(at + sizeof head);
  std::memcpy(out.data() + at, head, sizeof head);
  sum_.serialize(out);
  sum_sq_.serialize(out);
  const double mm[2] = {min_, max_};
  const std::size_t at2 = out.size();
  out.resize(at2 + sizeof mm);
  std::memcpy(out.data() + at2, mm, sizeof mm);
}

CellAccumulator CellAccumulator::deserialize(std::span<const std::byte> bytes) {
  constexpr std::size_t kSize = 16 + 2 * ExactSum::kBytes + 16;
  if (bytes.size() != kSize) throw std::invalid_argument("CellAccumulator: wrong encoding size");
  std::uint64_t head[2];
  std::memcpy(head, bytes.data(), sizeof head);
  CellAccumulator a(static_cast<unsigned>(head[0]));
  a.count_ = head[1];
  a.sum_ = ExactSum::deserialize(bytes.subspan(16, ExactSum::kBytes));
  a.sum_sq_ = ExactSum::deserialize(bytes.subspan(16 + ExactSum::kBytes, ExactSum::kBytes));
  double mm[2];
  std::memcpy(mm, bytes.data() + 16 + 2 * ExactSum::kBytes, sizeof mm);
  a.min_ = mm[0];
  a.max_ = mm[1];
  return a;
}

}  // namespace trellis
