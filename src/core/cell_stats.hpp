#pragma once
// Statistics of cells, exactextract's way: each statistic declares the accumulators it needs, and the
// accumulators add cells and merge. Merging is exact (sums are ExactSum), so a statistic reduced over a
// layer gives the same bits whatever the number of threads or ranks.
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "core/enum_names.hpp"
#include "core/exact_sum.hpp"
#include "core/metadata.hpp"
#include "core/tile.hpp"

namespace trellis {

enum class CellStat { Count, Sum, Mean, Min, Max, Variance, StandardDeviation };
inline constexpr EnumName<CellStat> kCellStatNames[] = {{CellStat::Count, "count"},
                                                        {CellStat::Sum, "sum"},
                                                        {CellStat::Mean, "mean"},
                                                        {CellStat::Min, "min"},
                                                        {CellStat::Max, "max"},
                                                        {CellStat::Variance, "variance"},
                                                        {CellStat::StandardDeviation, "standard_deviation"}};
inline std::span<const EnumName<CellStat>> enum_names(CellStat) {
  return kCellStatNames;
}

// The accumulators, as bits.
enum CellAccumulators : unsigned {
  kAccCount = 1,
  kAccSum = 2,
  kAccSumSquares = 4,
  kAccMin = 8,
  kAccMax = 16,
};
// What a statistic needs (Mean: count and sum; Variance: count, sum and sum of squares; ...).
unsigned accumulators_for(CellStat s);
unsigned accumulators_for(std::span<const CellStat> stats);

// Calls f(v) for each data cell of band `band` of tile `t` inside window `w` (tile cells), in row-major
// order: NoData and NaN skipped. Thread-safe as far as f is.
template <class F>
void for_each_data_cell(const Tile& t, int band, const CellWindow& w, F&& f) {
  const CellType& ct = t.cell_type();
  const bool nd = ct.has_nodata();
  dispatch_kind(ct.kind, [&](auto zero) {
    using T = decltype(zero);
    const T* d = t.band_as<T>(band);
    for (long r = w.r0; r < w.r1; ++r)
      for (long c = w.c0; c < w.c1; ++c) {
        const double v = static_cast<double>(d[r * t.cols() + c]);
        if (std::isnan(v) || (nd && ct.is_nodata(v))) continue;
        f(v);
      }
  });
}

class CellAccumulator {
 public:
  explicit CellAccumulator(unsigned accumulators = kAccCount | kAccSum | kAccSumSquares | kAccMin | kAccMax)
      : acc_(accumulators) {}

  // Adds one value (the caller skips NoData).
  void add(double v) {
    ++count_;
    if (acc_ & kAccSum) sum_.add(v);
    if (acc_ & kAccSumSquares) sum_sq_.add(v * v);
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
  }
  // Adds the data cells of band `band` of `t` (NoData and NaN skipped); with `window` (tile cells), only
  // the cells inside it (tile_data_window: the padding of edge tiles is not data).
  void add_tile(const Tile& t, int band, const CellWindow* window = nullptr);
  // Adds the other's cells (exact; the accumulators must be the same).
  void merge(const CellAccumulator& o);

  std::uint64_t count() const { return count_; }
  // The statistic; nullopt where it has no value (no cell: mean, min, max, variance). Count and sum of no
  // cell are 0. Variance and standard deviation are the population ones. Throws std::logic_error when
  // the statistic needs an accumulator this one does not keep.
  std::optional<double> value(CellStat s) const;

  // A fixed-size encoding, for reductions between ranks.
  void serialize(std::vector<std::byte>& out) const;
  static CellAccumulator deserialize(std::span<const std::byte> bytes);  // throws std::invalid_argument

 private:
  unsigned acc_;
  std::uint64_t count_ = 0;
  ExactSum sum_, sum_sq_;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

}  // namespace trellis
