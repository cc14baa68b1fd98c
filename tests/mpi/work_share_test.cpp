// Work sharing (mpi/work_share.hpp): the scheduler as a pure function of the reports, without timing,
// and one check-in's exchange on 1-4 ranks.
#include "mpi/work_share.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "mpi/collectives.hpp"
#include "mpi/reduce.hpp"
#include "mpi_gen.hpp"

namespace trellis::mpi {
namespace {

TEST(WorkShare, NothingShipsBeforeAnySpeedIsKnown) {
  EXPECT_TRUE(plan_shipments({{100, 0, 0}, {0, 0, 0}}, 1.0, 1000).empty());
}

TEST(WorkShare, AnIdleRankGetsHalfOfAnEqualRanksWork) {
  // Rank 0 has 100 items at 10/s (10 s); rank 1 has none: even out to 50 each.
  const auto s = plan_shipments({{100, 0, 10}, {0, 0, 10}}, 1.0, 1000);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0], (Shipment{0, 1, 50}));
}

TEST(WorkShare, ShipmentsFollowSpeedAndCaps) {
  // Rank 1 goes 3 times as fast: it should get 3/4 of the 100 items.
  auto s = plan_shipments({{100, 0, 10}, {0, 0, 30}}, 1.0, 1000);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0], (Shipment{0, 1, 75}));
  // At most max_count items, and only the sender's own (not those shipped to it).
  s = plan_shipments({{100, 0, 10}, {0, 0, 10}}, 1.0, 7);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].count, 7);
  s = plan_shipments({{4, 96, 10}, {0, 0, 10}}, 1.0, 1000);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].count, 4);
  // A rank that has not finished a tile yet is taken to be as fast as the fastest.
  s = plan_shipments({{100, 0, 10}, {0, 0, 0}}, 1.0, 1000);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0], (Shipment{0, 1, 50}));
}

TEST(WorkShare, WorkMovesOnlyToRanksAboutToIdle) {
  // Rank 1 has 2 s of work left and the check-ins come every second: it is not about to idle.
  EXPECT_TRUE(plan_shipments({{100, 0, 10}, {20, 0, 10}}, 1.0, 1000).empty());
  // Differences of two items or less are not worth a shipment.
  EXPECT_TRUE(plan_shipments({{2, 0, 10}, {0, 0, 10}}, 1.0, 1000).empty());
}

TEST(WorkShare, PairsTheSlowestWithTheFastestFinishers) {
  // Finishing times: r0 10 s, r1 0 s, r2 5 s, r3 0.5 s: r0 ships to r1, r2 to r3.
  const auto s = plan_shipments({{100, 0, 10}, {0, 0, 10}, {50, 0, 10}, {5, 0, 10}}, 1.0, 1000);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0], (Shipment{0, 1, 50}));
  EXPECT_EQ(s[1], (Shipment{2, 3, 22}));
}

// One check-in on every rank: rank 0 has 40 items and the others none (at the same speed), so rank 0
// ships to the last rank; items are keys, results are their keys' columns doubled.
TEST(WorkShare, ACheckInShipsItemsAndReturnsResults) {
  const int n = test::size(), me = test::rank();
  const ShareStatus mine{me == 0 ? 40 : 0, 0, 10.0};
  std::vector<Piece> shipped_to_me;
  std::vector<int> from;
  CheckIn c = share_check_in(
      mine, 1.0, 1000,
      [&](const Shipment& sh, std::vector<Piece>& out) {
        for (std::int64_t i = 0; i < sh.count; ++i)
          out.push_back(Piece{{static_cast<int>(i), sh.to, 0}, 0, 0, 0, {}});
      },
      {},
      [&](Piece&& p, int f) {
        shipped_to_me.push_back(std::move(p));
        from.push_back(f);
      },
      [&](Piece&&) { ADD_FAILURE() << "no result was owed yet"; });
  EXPECT_EQ(c.left, 40);
  if (n == 1) {
    EXPECT_TRUE(c.shipments.empty());
    return;
  }
  const auto want = plan_shipments(
      [&] {
        std::vector<ShareStatus> all(static_cast<std::size_t>(n), ShareStatus{0, 0, 10.0});
        all[0].own = 40;
        return all;
      }(),
      1.0, 1000);
  EXPECT_EQ(c.shipments, want);
  std::int64_t expected = 0;
  for (const auto& sh : want)
    if (sh.to == me) expected += sh.count;
  EXPECT_EQ(static_cast<std::int64_t>(shipped_to_me.size()), expected);
  for (int f : from) EXPECT_EQ(f, 0);
  // The results go back at the next check-in.
  std::vector<Outgoing> results;
  for (const auto& p : shipped_to_me) results.push_back({0, Piece{p.key, 0, 0, 0, {}}});
  std::int64_t returned = 0;
  c = share_check_in(
      ShareStatus{0, 0, 10.0}, 1.0, 1000, [&](const Shipment&, std::vector<Piece>&) { ADD_FAILURE(); },
      std::move(results), [&](Piece&&, int) { ADD_FAILURE(); }, [&](Piece&&) { ++returned; });
  EXPECT_EQ(c.left, 0);
  EXPECT_EQ(returned, me == 0 ? 40 - (40 - want.front().count) : 0);
}

// The whole loop: rank 0 has 30 items of 2 ms each, every other rank 30 of none; with check-ins every
// millisecond the others get some of rank 0's. Every item is done exactly once, by one rank, and a shipped
// item reaches the rank that does it as the piece its owner made.
TEST(WorkShare, ShareWorkDoesEveryItemOnceWhereverItIsDone) {
  const int me = test::rank();
  constexpr std::size_t kItems = 30;
  std::vector<std::int64_t> done;  // item ids (rank * 100 + index) done here
  const ShareCounts c = share_work(kItems, 0.001, 1000, 2,
                                   {.own =
                                        [&](std::size_t first, std::size_t n) {
                                          for (std::size_t i = first; i < first + n; ++i) {
                                            if (me == 0)
                                              std::this_thread::sleep_for(std::chrono::milliseconds(2));
                                            done.push_back(me * 100 + static_cast<std::int64_t>(i));
                                          }
                                        },
                                    .ship =
                                        [&](std::size_t i) {
                                          return Piece{{me, static_cast<int>(i), 0}, 0, 0, 0, {}};
                                        },
                                    .foreign =
                                        [&](std::span<Piece> items) {
                                          for (const Piece& p : items)
                                            done.push_back(p.key.col * 100 + p.key.row);
                                        },
                                    .stop = nullptr});
  EXPECT_EQ(c.own + c.shipped, kItems);
  std::vector<std::int64_t> all = allgatherv_values(done);
  std::sort(all.begin(), all.end());
  std::vector<std::int64_t> want;
  for (int r = 0; r < test::size(); ++r)
    for (std::size_t i = 0; i < kItems; ++i) want.push_back(r * 100 + static_cast<std::int64_t>(i));
  EXPECT_EQ(all, want);
  const std::int64_t shipped = allreduce_sum(static_cast<std::int64_t>(c.shipped));
  EXPECT_EQ(shipped, allreduce_sum(static_cast<std::int64_t>(c.foreign)));
  if (test::size() > 1) {
    EXPECT_GT(shipped, 0) << "rank 0's slow items were never shared";
  }
  // Sharing off: each rank its own items, in one call.
  std::size_t calls = 0;
  const ShareCounts off =
      share_work(kItems, 0, 1000, 2,
                 {.own = [&](std::size_t, std::size_t n) { calls += n == kItems ? 1 : 100; },
                  .ship = nullptr,
                  .foreign = nullptr,
                  .stop = nullptr});
  EXPECT_EQ(calls, 1u);
  EXPECT_EQ(off.own, kItems);
}

}  // namespace
}  // namespace trellis::mpi
