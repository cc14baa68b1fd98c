#include "mpi/halo.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "mpi/partition.hpp"
#include "mpi_gen.hpp"

namespace trellis::mpi {
namespace {

using test::gen_value;
using test::mix;

// A globally known layer: 5 x 4 tiles of 6 x 5 cells, two instants; a tile is missing when
// mix(col, row, instant) % missing_mod == 0 (missing_mod 0: none missing).
struct GlobalLayer {
  CellType ct;
  int bands = 1;
  int missing_mod = 4;
  static constexpr int kLayoutCols = 5, kLayoutRows = 4, kCols = 6, kRows = 5;
  static constexpr std::int64_t kInstants[2] = {0, 1000};

  bool exists(long c, long r, std::int64_t t) const {
    if (c < 0 || r < 0 || c >= kLayoutCols || r >= kLayoutRows) return false;
    return missing_mod == 0 || mix(c, r, t) % missing_mod != 0;
  }
  double value(long gx, long gy, std::int64_t t, int b) const {
    return gen_value(ct, mix(gx + 1000, gy + 1000, t * 8 + b));
  }
  Tile tile(int c, int r, std::int64_t t) const {
    Tile out(ct, kCols, kRows, bands);
    for (int b = 0; b < bands; ++b)
      for (int y = 0; y < kRows; ++y)
        for (int x = 0; x < kCols; ++x) out.set(b, x, y, value(c * kCols + x, r * kRows + y, t, b));
    return out;
  }
  std::vector<SpaceTimeKey> keys() const {
    std::vector<SpaceTimeKey> out;
    for (std::int64_t t : kInstants)
      for (int r = 0; r < kLayoutRows; ++r)
        for (int c = 0; c < kLayoutCols; ++c)
          if (exists(c, r, t)) out.push_back({c, r, t});
    return out;
  }
  // This rank's part, distributed by a partitioner of `kind`.
  TiledLayer local(IndexKind kind) const {
    TiledLayer l;
    l.md.cell_type = ct;
    l.md.bands = bands;
    l.md.layout.tile_layout = {kLayoutCols, kLayoutRows, kCols, kRows};
    l.md.bounds = {{0, 0, kInstants[0]}, {kLayoutCols - 1, kLayoutRows - 1, kInstants[1]}};
    l.md.temporal = true;
    const auto all = keys();
    std::vector<SpaceTimeKey> share;
    for (std::size_t i = 0; i < all.size(); ++i)
      if (static_cast<int>(i % static_cast<std::size_t>(test::size())) == test::rank())
        share.push_back(all[i]);
    l.partitioner = mpi::balance(share, kind, l.md.bounds);
    for (const auto& k : all)
      if (l.partitioner.owner(k) == test::rank()) l.tiles.emplace(k, tile(k.col, k.row, k.instant));
    return l;
  }
  // Brute force: the buffered tile of key k.
  Tile buffered(const SpaceTimeKey& k, int rad) const {
    Tile out(ct, kCols + 2 * rad, kRows + 2 * rad, bands);
    for (int b = 0; b < bands; ++b)
      for (int j = 0; j < kRows + 2 * rad; ++j)
        for (int i = 0; i < kCols + 2 * rad; ++i) {
          const long gx = static_cast<long>(k.col) * kCols + i - rad,
                     gy = static_cast<long>(k.row) * kRows + j - rad;
          const long nc = static_cast<long>(std::floor(static_cast<double>(gx) / kCols));
          const long nr = static_cast<long>(std::floor(static_cast<double>(gy) / kRows));
          if (exists(nc, nr, k.instant)) out.set(b, i, j, value(gx, gy, k.instant, b));
        }
    return out;
  }
};

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
