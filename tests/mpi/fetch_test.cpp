// Keys and tiles fetched from their owners in rounds (mpi/fetch.hpp), on 1-4 ranks.
#include "mpi/fetch.hpp"

#include <gtest/gtest.h>

#include "mpi/reduce.hpp"
#include "mpi_gen.hpp"

namespace trellis::mpi {
namespace {

using test::GlobalLayer;

TEST(Fetch, EveryRankGetsTheKeysItOwns) {
  const GlobalLayer g{{CellKind::Int16, NoDataMode::Constant, 0}, 1, 4};
  const TiledLayer layer = g.local(IndexKind::ZOrder);
  // Every rank names every key (duplicates across ranks), in tiny rounds.
  const std::set<SpaceTimeKey> owned = gather_owned_keys(g.keys(), layer.partitioner, 1);
  std::set<SpaceTimeKey> want;
  for (const auto& [k, t] : layer.tiles) want.insert(k);
  EXPECT_EQ(owned, want);
}

// Each rank asks, in several batches, for every tile it does not own plus keys of missing tiles (holes
// of the sparse layer); round b brings exactly batch b's existing tiles, whose cells are the layer's.
TEST(Fetch, BatchesArriveRoundByRound) {
  const GlobalLayer g{{CellKind::Float32, NoDataMode::Constant, 0}, 2, 3};
  const TiledLayer layer = g.local(IndexKind::Hilbert);
  const int me = test::rank();
  std::vector<std::vector<SpaceTimeKey>> wanted;
  std::size_t i = 0;
  for (std::int64_t t : GlobalLayer::kInstants)
    for (int r = 0; r < GlobalLayer::kLayoutRows; ++r)
      for (int c = 0; c < GlobalLayer::kLayoutCols; ++c) {
        const SpaceTimeKey k{c, r, t};
        if (layer.partitioner.owner(k) == me) continue;
        const std::size_t b = (i++ / (2 + static_cast<std::size_t>(me))) % (3 + static_cast<std::size_t>(me));
        if (wanted.size() <= b) wanted.resize(b + 1);
        wanted[b].push_back(k);
      }
  TileFetch fetch(
      layer.partitioner, wanted, [&](const SpaceTimeKey& k) { return layer.tiles.count(k) > 0; }, 64);
  EXPECT_EQ(static_cast<std::int64_t>(fetch.rounds()),
            allreduce_max(static_cast<std::int64_t>(wanted.size())));
  for (std::size_t b = 0; b < fetch.rounds(); ++b) {
    const std::map<SpaceTimeKey, Tile> got = fetch.round(b, layer.tiles);
    std::size_t expected = 0;
    if (b < wanted.size())
      for (const auto& k : wanted[b])
        if (g.exists(k.col, k.row, k.instant)) {
          ++expected;
          auto it = got.find(k);
          ASSERT_TRUE(it != got.end()) << "batch " << b << " key " << k.col << "," << k.row;
          EXPECT_TRUE(it->second == g.tile(k.col, k.row, k.instant));
        }
    EXPECT_EQ(got.size(), expected) << "batch " << b;
  }
}

}  // namespace
}  // namespace trellis::mpi
