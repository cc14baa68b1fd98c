#include "mpi/halo.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "mpi/partition.hpp"
#include "mpi_gen.hpp"

namespace trellis::mpi {
namespace {

using test::GlobalLayer;

void check_halo(const GlobalLayer& g, IndexKind kind, int rad, std::size_t round_bytes) {
  SCOPED_TRACE(g.ct.name() + " bands " + std::to_string(g.bands) + " " + index_kind_name(kind) + " radius " +
               std::to_string(rad) + " round " + std::to_string(round_bytes));
  const TiledLayer layer = g.local(kind);
  const auto got = halo_exchange(layer, rad, round_bytes);
  ASSERT_EQ(got.size(), layer.tiles.size());
  for (const auto& [k, t] : layer.tiles) {
    auto it = got.find(k);
    ASSERT_TRUE(it != got.end());
    EXPECT_EQ(it->second.cols(), GlobalLayer::kCols + 2 * rad);
    EXPECT_EQ(it->second.rows(), GlobalLayer::kRows + 2 * rad);
    EXPECT_TRUE(it->second == g.buffered(k, rad)) << "key " << k.col << "," << k.row << "," << k.instant;
  }
}

TEST(Halo, EqualsBruteForceBufferedTiles) {
  const GlobalLayer layers[] = {{{CellKind::Int16, NoDataMode::Constant, 0}, 1, 4},
                                {{CellKind::Float32, NoDataMode::Constant, 0}, 2, 3},
                                {{CellKind::UInt8, NoDataMode::Raw, 0}, 1, 0},
                                {{CellKind::Float64, NoDataMode::UserDefined, -9999}, 1, 5}};
  for (const auto& g : layers)
    for (IndexKind kind : {IndexKind::ZOrder, IndexKind::Hilbert})
      for (int rad : {0, 1, 2, 5}) check_halo(g, kind, rad, kDefaultRoundBytes);
}

// HaloKeys::Neighbours: besides the layer's tiles, each key without a tile within reach of one gets a
// buffer on its owner (centre NoData), equal to the brute force; no other key does.
TEST(Halo, NeighboursGetBuffersForKeysWithoutATile) {
  const GlobalLayer layers[] = {{{CellKind::Int16, NoDataMode::Constant, 0}, 1, 3},
                                {{CellKind::UInt8, NoDataMode::Raw, 0}, 2, 2}};
  for (const auto& g : layers)
    for (IndexKind kind : {IndexKind::ZOrder, IndexKind::RowMajor})
      for (int rad : {1, 7}) {
        SCOPED_TRACE(g.ct.name() + " " + index_kind_name(kind) + " radius " + std::to_string(rad));
        const TiledLayer layer = g.local(kind);
        const auto got = buffer_tiles(layer, rad, 300, HaloKeys::Neighbours);
        const int rx = (rad + GlobalLayer::kCols - 1) / GlobalLayer::kCols,
                  ry = (rad + GlobalLayer::kRows - 1) / GlobalLayer::kRows;
        std::size_t want = 0;
        for (std::int64_t t : GlobalLayer::kInstants)
          for (int r = 0; r < GlobalLayer::kLayoutRows; ++r)
            for (int c = 0; c < GlobalLayer::kLayoutCols; ++c) {
              const SpaceTimeKey k{c, r, t};
              bool near = g.exists(c, r, t);
              for (int dy = -ry; dy <= ry; ++dy)
                for (int dx = -rx; dx <= rx; ++dx) near = near || g.exists(c + dx, r + dy, t);
              if (!near || layer.partitioner.owner(k) != test::rank()) continue;
              ++want;
              auto it = got.find(k);
              ASSERT_TRUE(it != got.end()) << "key " << c << "," << r << "," << t;
              EXPECT_TRUE(it->second == g.buffered(k, rad)) << "key " << c << "," << r << "," << t;
            }
        EXPECT_EQ(got.size(), want);
      }
}

TEST(Halo, TinyRoundsAndRowMajor) {
  const GlobalLayer g{{CellKind::Int32, NoDataMode::Constant, 0}, 2, 3};
  check_halo(g, IndexKind::RowMajor, 3, 1);
  check_halo(g, IndexKind::ZOrder, 1, 200);
}

TEST(Halo, RadiusBeyondTileSizeIsAJobErrorOnEveryRank) {
  const GlobalLayer g{{CellKind::Int16, NoDataMode::Constant, 0}, 1, 4};
  const TiledLayer layer = g.local(IndexKind::ZOrder);
  EXPECT_THROW(halo_exchange(layer, 6), JobError);  // tiles are 6 x 5
  EXPECT_THROW(halo_exchange(layer, -1), JobError);
  check_halo(g, IndexKind::ZOrder, 1, kDefaultRoundBytes);  // and the runtime is still in step
}

}  // namespace
}  // namespace trellis::mpi
