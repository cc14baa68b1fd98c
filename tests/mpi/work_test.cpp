// Work split by index (mpi/work.hpp) and the ordered fold on one rank (mpi::gather_fold_broadcast), on
// 1-4 ranks: results in index order, the same on every rank.
#include "mpi/work.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

#include "mpi/reduce.hpp"
#include "mpi_gen.hpp"

namespace trellis::mpi {
namespace {

TEST(Work, AllgatherIndexedGivesEveryResultInIndexOrder) {
  for (std::size_t n : {0, 1, 2, 5, 17}) {
    std::vector<std::size_t> computed;  // by this rank
    const auto all = allgather_indexed(n, [&](std::size_t i) {
      computed.push_back(i);
      return i % 3 == 0 ? std::string() : "item " + std::to_string(i) + std::string(i, 'x');
    });
    ASSERT_EQ(all.size(), n);
    for (std::size_t i = 0; i < n; ++i)
      EXPECT_EQ(all[i], i % 3 == 0 ? std::string() : "item " + std::to_string(i) + std::string(i, 'x'));
    // Rank r computed items r, r + size, ...: each item once over the ranks.
    for (std::size_t i : computed)
      EXPECT_EQ(static_cast<int>(i % static_cast<std::size_t>(test::size())), test::rank());
    EXPECT_EQ(allreduce_sum(static_cast<std::int64_t>(computed.size())), static_cast<std::int64_t>(n));
  }
}

TEST(Work, AnItemThatThrowsOnOneRankStopsEveryRank) {
  const auto outcome = test::run_step([] {
    allgather_indexed(8, [](std::size_t i) -> std::string {
      if (i == 5) throw IoError("item 5 cannot be read");
      return "ok";
    });
  });
  EXPECT_EQ(outcome.code, kExitIo);
  EXPECT_EQ(outcome.rank, 5 % test::size());
}

// Items spread over the ranks differently on every rank count; the fold sorts them, so the results
// (sums in a fixed order) are the same whatever the rank count.
struct Item {
  std::uint32_t group;
  std::int32_t order;
  double value;
};

TEST(Work, GatherFoldBroadcastIsIndependentOfTheRankCount) {
  const int n = test::size(), me = test::rank();
  std::vector<Item> mine;
  for (int i = 0; i < 200; ++i)
    if (static_cast<int>(test::mix(i) % static_cast<std::uint64_t>(n)) == me)
      mine.push_back({static_cast<std::uint32_t>(i % 7), i, 1.0 / (1 + i) * (i % 2 ? 1e8 : 1e-8)});
  const std::vector<double> got = gather_fold_broadcast<Item, double>(mine, [](std::vector<Item>&& all) {
    std::sort(all.begin(), all.end(), [](const Item& a, const Item& b) {
      return std::tie(a.group, a.order) < std::tie(b.group, b.order);
    });
    std::vector<double> sums(7, 0.0);
    for (const Item& it : all) sums[it.group] += it.value;
    return sums;
  });
  std::vector<double> want(7, 0.0);
  for (int i = 0; i < 200; ++i) want[static_cast<std::size_t>(i % 7)] += 1.0 / (1 + i) * (i % 2 ? 1e8 : 1e-8);
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace trellis::mpi
