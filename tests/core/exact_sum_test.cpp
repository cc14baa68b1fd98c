// ExactSum and CellAccumulator: sums that do not depend on the order of the values or on how they are
// split, checked against exact integer arithmetic.
#include "core/exact_sum.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "core/cell_stats.hpp"

namespace trellis {
namespace {

double sum_of(const std::vector<double>& v) {
  ExactSum s;
  for (double x : v) s.add(x);
  return s.value();
}

TEST(ExactSum, CancellationIsExact) {
  EXPECT_EQ(sum_of({1e16, 1.0, -1e16}), 1.0);
  EXPECT_EQ(sum_of({std::ldexp(1.0, 600), 1.0, -std::ldexp(1.0, 600)}), 1.0);
  EXPECT_EQ(sum_of({1e308, 1e308, -1e308}), 1e308);  // no overflow in between
  EXPECT_EQ(sum_of({std::numeric_limits<double>::denorm_min(), 1.0, -1.0}),
            std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(sum_of({}), 0.0);
  EXPECT_EQ(sum_of({-2.5, -0.25}), -2.75);
}

TEST(ExactSum, RoundsOnceToNearestEven) {
  // 1 + 2^-53 is a tie between 1 and the next double: ties go to even (1).
  EXPECT_EQ(sum_of({1.0, std::ldexp(1.0, -53)}), 1.0);
  // A little more than half an ulp rounds up, even when the extra bit is far below.
  EXPECT_EQ(sum_of({1.0, std::ldexp(1.0, -53), std::ldexp(1.0, -900)}), std::nextafter(1.0, 2.0));
  // Ten times 0.1 (as doubles: 1.0000000000000000555...) rounds to 1; naive summation gives
  // 0.9999999999999999.
  EXPECT_EQ(sum_of(std::vector<double>(10, 0.1)), 1.0);
}

TEST(ExactSum, EqualsIntegerArithmeticInAnyOrderAndSplit) {
  // Multiples of 2^-20 with integer numerators: the exact sum is an integer sum.
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> num(-(std::int64_t{1} << 40), std::int64_t{1} << 40);
  std::vector<double> v;
  std::int64_t exact = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t k = num(rng);
    exact += k;
    v.push_back(std::ldexp(static_cast<double>(k), -20));
  }
  const double want = std::ldexp(static_cast<double>(exact), -20);
  EXPECT_EQ(sum_of(v), want);
  for (int trial = 0; trial < 5; ++trial) {
    std::shuffle(v.begin(), v.end(), rng);
    // Split in uneven parts, merged in another order.
    std::vector<ExactSum> parts(1 + trial * 3);
    for (std::size_t i = 0; i < v.size(); ++i) parts[(i * 7 + i / 13) % parts.size()].add(v[i]);
    ExactSum total;
    for (std::size_t i = parts.size(); i-- > 0;) total.merge(parts[i]);
    EXPECT_EQ(total.value(), want) << "trial " << trial;
  }
}

TEST(ExactSum, WideExponentsAreOrderIndependent) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> mant(-1, 1);
  std::uniform_int_distribution<int> ex(-1060, 1000);
  std::vector<double> v;
  for (int i = 0; i < 5000; ++i) v.push_back(std::ldexp(mant(rng), ex(rng)));
  const double first = sum_of(v);
  std::reverse(v.begin(), v.end());
  EXPECT_EQ(sum_of(v), first);
  std::shuffle(v.begin(), v.end(), rng);
  EXPECT_EQ(sum_of(v), first);
}

TEST(ExactSum, NanAndInfinities) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(sum_of({1.0, inf}), inf);
  EXPECT_EQ(sum_of({1.0, -inf}), -inf);
  EXPECT_TRUE(std::isnan(sum_of({inf, -inf})));
  EXPECT_TRUE(std::isnan(sum_of({1.0, std::nan("")})));
}

TEST(ExactSum, SerializesExactly) {
  ExactSum s;
  for (double x : {1e-300, -3.5, 1e300, 0.1}) s.add(x);
  std::vector<std::byte> bytes;
  s.serialize(bytes);
  EXPECT_EQ(bytes.size(), ExactSum::kBytes);
  EXPECT_TRUE(ExactSum::deserialize(bytes) == s);
  EXPECT_THROW(ExactSum::deserialize(std::span<const std::byte>(bytes).first(8)), std::invalid_argument);
}

TEST(CellAccumulator, StatisticsDeclareTheirAccumulators) {
  EXPECT_EQ(accumulators_for(CellStat::Mean), kAccCount | kAccSum);
  EXPECT_EQ(accumulators_for(CellStat::Variance), kAccCount | kAccSum | kAccSumSquares);
  const CellStat both[] = {CellStat::Min, CellStat::Max};
  EXPECT_EQ(accumulators_for(both), kAccCount | kAccMin | kAccMax);
  CellAccumulator a(accumulators_for(CellStat::Min));
  a.add(3);
  EXPECT_EQ(a.value(CellStat::Min), 3.0);
  EXPECT_THROW(a.value(CellStat::Mean), std::logic_error);
}

TEST(CellAccumulator, TilesSkipNoDataAndMergeExactly) {
  Tile t(CellType::parse("float32"), 3, 2);  // float32 NoData is NaN
  const double vals[6] = {1, NAN, 2.5, -4, NAN, 8};
  for (int i = 0; i < 6; ++i) t.set(0, i % 3, i / 3, vals[i]);
  CellAccumulator a;
  a.add_tile(t, 0);
  EXPECT_EQ(a.count(), 4u);
  EXPECT_EQ(a.value(CellStat::Sum), 7.5);
  EXPECT_EQ(a.value(CellStat::Mean), 7.5 / 4);
  EXPECT_EQ(a.value(CellStat::Min), -4.0);
  EXPECT_EQ(a.value(CellStat::Max), 8.0);
  const double mean = 7.5 / 4;
  const double var = (1 + 2.5 * 2.5 + 16 + 64) / 4 - mean * mean;
  EXPECT_DOUBLE_EQ(*a.value(CellStat::Variance), var);
  EXPECT_DOUBLE_EQ(*a.value(CellStat::StandardDeviation), std::sqrt(var));
  // Split over two accumulators and merged: the same bits.
  CellAccumulator b, c;
  for (double v : {1.0, 2.5}) b.add(v);
  for (double v : {-4.0, 8.0}) c.add(v);
  c.merge(b);
  std::vector<std::byte> x, y;
  a.serialize(x);
  c.serialize(y);
  EXPECT_EQ(x, y);
  EXPECT_EQ(CellAccumulator::deserialize(x).value(CellStat::Sum), 7.5);
  // No cell: no mean, min or max; count and sum 0.
  CellAccumulator empty;
  EXPECT_FALSE(empty.value(CellStat::Mean));
  EXPECT_FALSE(empty.value(CellStat::Min));
  EXPECT_EQ(empty.value(CellStat::Count), 0.0);
  EXPECT_EQ(empty.value(CellStat::Sum), 0.0);
}

}  // namespace
}  // namespace trellis
