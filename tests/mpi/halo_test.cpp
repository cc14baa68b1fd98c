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
