#include "mpi/exchange.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <tuple>

#include "mpi/collectives.hpp"
#include "mpi/partition.hpp"
#include "mpi/stats.hpp"
#include "mpi_gen.hpp"

namespace trellis::mpi {
namespace {

using test::gen_tile;
using test::mix;

const CellType kTypes[] = {{CellKind::Int16, NoDataMode::Constant, 0},
                           {CellKind::Float32, NoDataMode::Constant, 0},
                           {CellKind::UInt8, NoDataMode::Raw, 0},
                           {CellKind::Float64, NoDataMode::UserDefined, -9999}};

// Number of pieces source rank s sends. When `last_silent`, the last rank (of several) sends nothing.
std::size_t pieces_of(int s, bool last_silent, std::size_t scale) {
  if (last_silent && test::size() > 1 && s == test::size() - 1) return 0;
  return scale * (5 + static_cast<std::size_t>(s * 7) % 9);
}

Piece gen_piece(int s, std::size_t j) {
  Piece p;
  p.key = {static_cast<int>(mix(s, j, 1) % 12), static_cast<int>(mix(s, j, 2) % 9),
           static_cast<std::int64_t>(mix(s, j, 3) % 2) * 1000};
  p.order = static_cast<std::uint64_t>(s) * 100000 + j;
  p.col_off = static_cast<std::int32_t>(mix(s, j, 9) % 7) - 2;
  p.row_off = static_cast<std::int32_t>(mix(s, j, 10) % 5);
  const CellType& ct = kTypes[mix(s, j, 5) % 4];
  p.tile = gen_tile(ct, 3 + static_cast<int>(mix(s, j, 6) % 6), 2 + static_cast<int>(mix(s, j, 7) % 5),
                    1 + static_cast<int>(mix(s, j, 8) % 2), mix(s, j, 4));
  return p;
}

struct Scenario {
  bool last_silent = true;
  std::size_t scale = 1;
  std::size_t round_bytes = kDefaultRoundBytes;
};

void run_scenario(const Scenario& sc) {
  const int n = test::size(), me = test::rank();
  const std::size_t mine = pieces_of(me, sc.last_silent, sc.scale);

  // The owners: a partitioner over every key produced anywhere (each rank passes its own).
  std::vector<SpaceTimeKey> my_keys;
  for (std::size_t j = 0; j < mine; ++j) my_keys.push_back(gen_piece(me, j).key);
  const Partitioner part = mpi::balance(my_keys, IndexKind::ZOrder, KeyBounds{{0, 0, 0}, {11, 8, 1000}});

  std::size_t next = 0, calls = 0, sent_expected = 0;
  auto produce = [&](std::vector<Outgoing>& out) {
    ++calls;
    std::size_t bytes = 0;
    while (next < mine && (bytes == 0 || bytes < sc.round_bytes)) {
      Piece p = gen_piece(me, next++);
      const int dest = part.owner(p.key);
      if (dest != me) sent_expected += piece_bytes(p);
      bytes += piece_bytes(p);
      out.push_back({dest, std::move(p)});
    }
    return next < mine;
  };
  std::vector<Piece> got;
  auto consume = [&](Piece&& p) { got.push_back(std::move(p)); };

  const CommStats before = stats();
  const std::size_t sent = exchange(produce, consume);
  EXPECT_EQ(sent, sent_expected);
  EXPECT_EQ(stats().bytes_sent - before.bytes_sent, sent_expected);
  if (sc.round_bytes == 1) {  // one piece per round
    EXPECT_EQ(calls, std::max<std::size_t>(mine, 1));
  }
  EXPECT_EQ(next, mine);

  // Brute force: what every source sends here, round by round in (source rank, send order) order.
  struct Expected {
    std::size_t round;
    int source;
    std::size_t j;
  };
  std::vector<Expected> order;
  for (int s = 0; s < n; ++s) {
    std::size_t round = 0, bytes = 0;
    for (std::size_t j = 0; j < pieces_of(s, sc.last_silent, sc.scale); ++j) {
      const Piece p = gen_piece(s, j);
      if (bytes > 0 && bytes >= sc.round_bytes) {  // the producer closed the round before this piece
        ++round;
        bytes = 0;
      }
      bytes += piece_bytes(p);
      if (part.owner(p.key) == me) order.push_back({round, s, j});
    }
  }
  std::stable_sort(order.begin(), order.end(), [](const Expected& a, const Expected& b) {
    return std::tie(a.round, a.source) < std::tie(b.round, b.source);
  });
  std::vector<Piece> want;
  for (const auto& e : order) want.push_back(gen_piece(e.source, e.j));
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].key, want[i].key) << i;
    EXPECT_EQ(got[i].order, want[i].order) << i;
    EXPECT_EQ(got[i].col_off, want[i].col_off) << i;
    EXPECT_EQ(got[i].row_off, want[i].row_off) << i;
    EXPECT_TRUE(got[i].tile == want[i].tile) << i;
  }
}

TEST(Exchange, OneRound) {
  run_scenario({true, 1, kDefaultRoundBytes});
}
TEST(Exchange, OnePiecePerRound) {
  run_scenario({true, 1, 1});
}
TEST(Exchange, SmallRounds) {
  run_scenario({false, 3, 700});
}
TEST(Exchange, EveryRankSends) {
  run_scenario({false, 2, 4096});
}

TEST(Exchange, ManyPassesPerRound) {  // counts beyond the per-call limit (as beyond 2 GiB)
  detail::set_message_limit(300);
  run_scenario({false, 2, 5000});
  run_scenario({true, 1, 1});
  detail::set_message_limit(INT_MAX);
}

TEST(Exchange, NothingAnywhere) {
  std::size_t calls = 0, got = 0;
  const std::size_t sent = exchange(
      [&](std::vector<Outgoing>&) {
        ++calls;
        return false;
      },
      [&](Piece&&) { ++got; });
  EXPECT_EQ(sent, 0u);
  EXPECT_EQ(calls, 1u);
  EXPECT_EQ(got, 0u);
}

TEST(Exchange, RanksProduceForDifferentNumbersOfRounds) {
  // Rank r produces r + 1 rounds of one piece each, all to rank 0; rank 0 gets them in source order
  // within each round.
  const int me = test::rank(), n = test::size();
  int round = 0;
  std::vector<std::uint64_t> got;
  exchange(
      [&](std::vector<Outgoing>& out) {
        Piece p;
        p.key = {me, round, 0};
        p.order = static_cast<std::uint64_t>(round) * 100 + me;
        p.tile = gen_tile(kTypes[0], 2, 2, 1, p.order);
        out.push_back({0, std::move(p)});
        return ++round <= me;
      },
      [&](Piece&& p) {
        got.push_back(p.order);
        EXPECT_TRUE(p.tile == gen_tile(kTypes[0], 2, 2, 1, p.order));
      });
  std::vector<std::uint64_t> want;
  if (me == 0)
    for (int r = 0; r < n; ++r)
      for (int s = 0; s < n; ++s)
        if (r <= s) want.push_back(static_cast<std::uint64_t>(r) * 100 + s);
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace trellis::mpi
