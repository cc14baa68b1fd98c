#include "mpi/failure.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "mpi/exchange.hpp"
#include "mpi/gather.hpp"
#include "mpi/halo.hpp"
#include "mpi/partition.hpp"
#include "mpi/reduce.hpp"
#include "mpi_gen.hpp"

namespace trellis::mpi {
namespace {

using test::gen_tile;
using test::Outcome;
using test::run_step;

const CellType kType{CellKind::Int16, NoDataMode::Constant, 0};

// The rank that fails: the last one, or rank 1 when there are several.
std::vector<int> failing_ranks() {
  const int n = test::size();
  std::vector<int> out{n - 1};
  if (n > 1 && n - 1 != 1) out.push_back(1);
  return out;
}

// An exchange in which every rank sends one piece to every rank per round, for `rounds` rounds.
// `on_produce(round)` and `on_consume(round)` run in the callbacks (they may throw).
std::size_t all_to_all(int rounds, const std::function<void(int)>& on_produce = {},
                       const std::function<void(int)>& on_consume = {}) {
  const int n = test::size(), me = test::rank();
  int produced = 0, consumed = 0;
  std::size_t got = 0;
  exchange(
      [&](std::vector<Outgoing>& out) {
        if (on_produce) on_produce(produced);
        for (int d = 0; d < n; ++d) {
          Piece p;
          p.key = {me, d, 0};
          p.order = static_cast<std::uint64_t>(produced);
          p.tile = gen_tile(kType, 4, 4, 1, me * 1000 + d);
          out.push_back({d, std::move(p)});
        }
        return ++produced < rounds;
      },
      [&](Piece&& p) {
        if (on_consume) on_consume(static_cast<int>(p.order));
        EXPECT_EQ(p.key.row, me);
        EXPECT_TRUE(p.tile == gen_tile(kType, 4, 4, 1, p.key.col * 1000 + me));
        ++got;
        ++consumed;
      });
  return got;
}

// After a failure every rank is still in step: collectives work again.
void expect_in_step() {
  EXPECT_NO_THROW(check_in());
  EXPECT_EQ(all_to_all(2), static_cast<std::size_t>(2 * test::size()));
  EXPECT_EQ(allreduce_sum(std::int64_t{1}), std::int64_t{test::size()});
}

void expect_agreed(const Outcome& o, int code, int rank) {
  EXPECT_EQ(o.code, code) << o.what;
  EXPECT_EQ(o.rank, rank) << o.what;
  EXPECT_EQ(o.self_failed, test::rank() == rank);
  // Everyone holds the same outcome.
  const auto all = allgather_strings(std::to_string(o.code) + "/" + std::to_string(o.rank));
  for (const auto& s : all) EXPECT_EQ(s, all[0]);
}

class Failures : public testing::Test {
 protected:
  void SetUp() override { set_failure_timeout(30); }  // a broken agreement aborts instead of hanging
};

TEST_F(Failures, CheckInWithoutFailureReturns) {
  for (int i = 0; i < 5; ++i) EXPECT_NO_THROW(check_in());
  const Outcome o = run_step([] { all_to_all(3); });
  EXPECT_EQ(o.code, 0);
  EXPECT_EQ(o.rank, -1);
}

TEST_F(Failures, OneRankThrowsBeforeAnExchange) {
  for (int fail : failing_ranks()) {
    SCOPED_TRACE("failing rank " + std::to_string(fail));
    const Outcome o = run_step([&] {
      if (test::rank() == fail) throw IoError("cannot read input.tif");
      all_to_all(3);
    });
    if (!o.self_failed) {  // a handler that reports after a PeerFailure gets the same answer, silently
      const Failure f = report_failure(kExitInternal);
      EXPECT_EQ(f.code, kExitIo);
      EXPECT_EQ(f.rank, fail);
    }
    expect_agreed(o, kExitIo, fail);
    expect_in_step();
  }
}

TEST_F(Failures, SeveralRanksFailWithDifferentCodes) {
  const int n = test::size(), me = test::rank();
  const Outcome o = run_step([&] {
    if (me == n - 1) throw IoError("write failed");
    if (me == 0) throw JobError("bad parameter");
    all_to_all(1);
  });
  EXPECT_EQ(o.code, n > 1 ? kExitIo : kExitIo);  // rank 0 is also the last rank when n == 1
  EXPECT_EQ(o.rank, 0);
  EXPECT_EQ(o.self_failed, me == 0 || me == n - 1);
  expect_in_step();
}

TEST_F(Failures, ProduceThrowsInALaterRound) {
  for (int fail : failing_ranks()) {
    const Outcome o = run_step([&] {
      all_to_all(6, [&](int round) {
        if (test::rank() == fail && round == 3) throw IoError("decode error in round 3");
      });
    });
    expect_agreed(o, kExitIo, fail);
    expect_in_step();
  }
}

TEST_F(Failures, ConsumeThrowsAfterTheRoundsMpiCalls) {
  for (int last_round : {0, 1, 4}) {  // 0: the failing round is the last one
    for (int fail : failing_ranks()) {
      SCOPED_TRACE("rounds " + std::to_string(last_round + 1) + " failing rank " + std::to_string(fail));
      const Outcome o = run_step([&] {
        all_to_all(last_round + 1, {}, [&](int round) {
          if (test::rank() == fail && round == last_round) throw JobError("bad value");
        });
      });
      expect_agreed(o, kExitJob, fail);
      expect_in_step();
    }
  }
}

TEST_F(Failures, BadDestinationIsAnInternalError) {
  const int fail = test::size() - 1;
  const Outcome o = run_step([&] {
    exchange(
        [&](std::vector<Outgoing>& out) {
          Piece p;
          p.tile = gen_tile(kType, 2, 2, 1, 1);
          out.push_back({test::rank() == fail ? test::size() : 0, std::move(p)});
          return false;
        },
        [](Piece&&) {});
  });
  expect_agreed(o, kExitInternal, fail);
  expect_in_step();
}

// An accumulator whose decoding fails on the merging rank (0) when the last rank sends a poisoned value.
struct Poisoned {
  std::int32_t v = 0;
  void serialize(std::vector<std::byte>& out) const {
    out.resize(out.size() + 4);
    std::memcpy(out.data() + out.size() - 4, &v, 4);
  }
  static Poisoned deserialize(std::span<const std::byte> in) {
    Poisoned p;
    std::memcpy(&p.v, in.data(), 4);
    if (p.v == 42) throw JobError("poisoned accumulator");
    return p;
  }
  void merge(const Poisoned& o) { v += o.v; }
};

TEST_F(Failures, MergeFailsOnTheRootOfAReduction) {
  const Outcome o = run_step([&] {
    Poisoned p;
    p.v = test::rank() == test::size() - 1 ? 42 : 1;
    allreduce(p);
  });
  expect_agreed(o, kExitJob, 0);
  expect_in_step();
}

TEST_F(Failures, WriterCallbackFailsDuringAGather) {
  TiledLayer layer;
  layer.md.cell_type = kType;
  layer.md.layout.tile_layout = {4, 4, 4, 4};
  layer.md.bounds = {{0, 0, 0}, {3, 3, 0}};
  std::vector<SpaceTimeKey> share;
  for (int i = test::rank(); i < 16; i += test::size()) share.push_back({i % 4, i / 4, 0});
  layer.partitioner = mpi::balance(share, IndexKind::ZOrder, layer.md.bounds);
  for (int i = 0; i < 16; ++i) {
    SpaceTimeKey k{i % 4, i / 4, 0};
    if (layer.partitioner.owner(k) == test::rank()) layer.tiles.emplace(k, gen_tile(kType, 4, 4, 1, i));
  }
  const int root = test::size() - 1;
  const Outcome o = run_step([&] {
    int seen = 0;
    gather_ordered(layer, root, 1, [&](const SpaceTimeKey&, const Tile&) {
      if (++seen == 5) throw IoError("disk full");
    });
  });
  expect_agreed(o, kExitIo, root);
  expect_in_step();
}

TEST_F(Failures, AnErrorOnEveryRankIsAgreedToo) {
  TiledLayer layer;
  layer.md.layout.tile_layout = {2, 2, 8, 8};
  const Outcome o = run_step([&] { halo_exchange(layer, 9); });
  EXPECT_EQ(o.code, kExitJob);
  EXPECT_EQ(o.rank, 0);
  EXPECT_TRUE(o.self_failed);
  expect_in_step();
}

TEST_F(Failures, PeerFailureCarriesCodeAndRank) {
  PeerFailure e(kExitIo, 3);
  EXPECT_EQ(e.code(), kExitIo);
  EXPECT_EQ(e.failed_rank(), 3);
  EXPECT_NE(std::string(e.what()).find("rank 3"), std::string::npos);
  const Error& base = e;
  EXPECT_EQ(base.code(), kExitIo);
}

}  // namespace
}  // namespace trellis::mpi
