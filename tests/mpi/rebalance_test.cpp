// rebalance() against the layer it was given, on 1-4 ranks: a skewed layer ends with counts that differ
// by at most one and every tile intact on its new owner; an even layer is left as it is.
#include "mpi/rebalance.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "mpi/collectives.hpp"
#include "mpi_gen.hpp"

namespace trellis::mpi {
namespace {

using test::GlobalLayer;

// Every rank's keys, sorted.
std::vector<SpaceTimeKey> all_keys(const TiledLayer& l) {
  std::vector<SpaceTimeKey> mine;
  for (const auto& kv : l.tiles) mine.push_back(kv.first);
  std::vector<SpaceTimeKey> all = allgatherv_values(mine);
  std::sort(all.begin(), all.end());
  return all;
}

// Each rank's tile count.
std::vector<std::uint64_t> counts(const TiledLayer& l) {
  return allgatherv_values(std::vector<std::uint64_t>{l.tiles.size()});
}

TEST(Rebalance, ASkewedLayerEndsEvenWithEveryTileIntact) {
  const GlobalLayer g{{CellKind::Int16, NoDataMode::Constant, 0}, 2, 0};  // no key missing
  for (IndexKind kind : {IndexKind::ZOrder, IndexKind::Hilbert}) {
    SCOPED_TRACE(index_kind_name(kind));
    TiledLayer l = g.local(kind);
    // Keep rank 0's tiles and one other key in three, as a step that drops tiles without data would.
    std::erase_if(l.tiles, [&](const auto& kv) {
      const SpaceTimeKey& k = kv.first;
      return l.partitioner.owner(k) != 0 && (k.col + k.row + k.instant) % 3 != 0;
    });
    const std::vector<SpaceTimeKey> before = all_keys(l);
    const std::vector<std::uint64_t> was = counts(l);
    const bool skewed = *std::max_element(was.begin(), was.end()) >
                        kRebalanceTolerance * static_cast<double>(before.size()) / test::size() + 1;
    EXPECT_EQ(skewed, test::size() > 1);

    EXPECT_EQ(rebalance(l, 1000), skewed);  // small rounds: several of them
    EXPECT_EQ(all_keys(l), before);
    const std::vector<std::uint64_t> now = counts(l);
    EXPECT_LE(*std::max_element(now.begin(), now.end()) - *std::min_element(now.begin(), now.end()), 1u);
    EXPECT_EQ(l.partitioner.kind(), kind);
    for (const auto& [k, t] : l.tiles) {
      EXPECT_EQ(l.partitioner.owner(k), test::rank());
      const Tile want = g.tile(k.col, k.row, k.instant);
      EXPECT_EQ(t.raw().size(), want.raw().size());
      EXPECT_TRUE(std::equal(t.raw().begin(), t.raw().end(), want.raw().begin())) << k.col << "," << k.row;
    }
  }
}

TEST(Rebalance, AnEvenLayerStaysWhereItIs) {
  const GlobalLayer g{{CellKind::Float32, NoDataMode::Constant, 0}, 1, 4};
  TiledLayer l = g.local(IndexKind::ZOrder);
  const std::vector<CurvePos> starts = l.partitioner.starts();
  std::set<SpaceTimeKey> mine;
  for (const auto& kv : l.tiles) mine.insert(kv.first);
  EXPECT_FALSE(rebalance(l));
  EXPECT_EQ(l.partitioner.starts(), starts);
  std::set<SpaceTimeKey> after;
  for (const auto& kv : l.tiles) after.insert(kv.first);
  EXPECT_EQ(after, mine);
}

}  // namespace
}  // namespace trellis::mpi
