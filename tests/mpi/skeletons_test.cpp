// The op skeletons against serial computations over the whole (globally known) layer, on 1-4 ranks:
// every rank checks the tiles it owns, and a rank count whose results differ fails.
#include "mpi/skeletons.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "core/cell_stats.hpp"
#include "mpi/halo.hpp"
#include "mpi_gen.hpp"

namespace trellis::mpi {
namespace {

using test::GlobalLayer;

const CellType kFloat64{CellKind::Float64, NoDataMode::Constant, 0};

// The layer's metadata with another cell type.
LayerMetadata with_type(LayerMetadata md, const CellType& ct) {
  md.cell_type = ct;
  return md;
}

TEST(Skeletons, MapTilesEqualsTheSerialMap) {
  const GlobalLayer g{{CellKind::Int16, NoDataMode::Constant, 0}, 2, 4};
  const TiledLayer in = g.local(IndexKind::ZOrder);
  // Band 0 + 10 * band 1 as float64; keys whose column is 3 are dropped.
  const TiledLayer out = map_tiles(in, with_type(in.md, kFloat64), [](const SpaceTimeKey& k, const Tile& t) {
    if (k.col == 3) return std::optional<Tile>();
    Tile o(kFloat64, t.cols(), t.rows());
    for (int r = 0; r < t.rows(); ++r)
      for (int c = 0; c < t.cols(); ++c) o.set(0, c, r, t.get(0, c, r) + 10 * t.get(1, c, r));
    return std::optional<Tile>(std::move(o));
  });
  std::size_t expected = 0;
  for (const auto& [k, t] : in.tiles) expected += k.col == 3 ? 0 : 1;
  ASSERT_EQ(out.tiles.size(), expected);
  for (const auto& [k, t] : out.tiles)
    for (int r = 0; r < GlobalLayer::kRows; ++r)
      for (int c = 0; c < GlobalLayer::kCols; ++c) {
        const long gx = k.col * GlobalLayer::kCols + c, gy = k.row * GlobalLayer::kRows + r;
        const double want = g.value(gx, gy, k.instant, 0) + 10 * g.value(gx, gy, k.instant, 1);
        if (std::isnan(want))
          EXPECT_TRUE(std::isnan(t.get(0, c, r)));
        else
          EXPECT_EQ(t.get(0, c, r), want) << k.col << "," << k.row << " " << c << "," << r;
      }
  EXPECT_EQ(out.partitioner.starts(), in.partitioner.starts());
}

// A focal sum over a (2r+1)^2 square of data cells, NoData where the centre is outside the layer's
// tiles: computed from the buffered tile, and serially from the global cells.
TEST(Skeletons, MapTilesWithHaloEqualsTheSerialFocalSumForAnyRadius) {
  const GlobalLayer g{{CellKind::Float32, NoDataMode::Constant, 0}, 1, 3};
  for (IndexKind kind : {IndexKind::ZOrder, IndexKind::Hilbert}) {
    const TiledLayer in = g.local(kind);
    for (int rad : {0, 1, 4, 7, 13}) {  // tiles are 6 x 5: 7 and 13 reach beyond the 8 neighbours
      SCOPED_TRACE("radius " + std::to_string(rad) + " " + index_kind_name(kind));
      const TiledLayer out = map_tiles_with_halo(
          in, rad, with_type(in.md, kFloat64),
          [&](const SpaceTimeKey&, const Tile& b) {
            Tile o(kFloat64, b.cols() - 2 * rad, b.rows() - 2 * rad);
            for (int r = 0; r < o.rows(); ++r)
              for (int c = 0; c < o.cols(); ++c) {
                double s = 0;
                for (int dy = -rad; dy <= rad; ++dy)
                  for (int dx = -rad; dx <= rad; ++dx) {
                    const double v = b.get(0, c + rad + dx, r + rad + dy);
                    if (!std::isnan(v)) s += v;
                  }
                o.set(0, c, r, s);
              }
            return std::optional<Tile>(std::move(o));
          },
          rad == 7 ? 64 : kDefaultRoundBytes);
      ASSERT_EQ(out.tiles.size(), in.tiles.size());
      for (const auto& [k, t] : out.tiles)
        for (int r = 0; r < GlobalLayer::kRows; ++r)
          for (int c = 0; c < GlobalLayer::kCols; ++c) {
            const long gx = k.col * GlobalLayer::kCols + c, gy = k.row * GlobalLayer::kRows + r;
            double want = 0;
            for (long y = gy - rad; y <= gy + rad; ++y)  // the same order as f: exact same sums
              for (long x = gx - rad; x <= gx + rad; ++x) {
                const double v = g.cell(x, y, k.instant, 0);
                if (!std::isnan(v)) want += v;
              }
            ASSERT_EQ(t.get(0, c, r), want)
                << k.col << "," << k.row << "," << k.instant << " " << c << "," << r;
          }
    }
  }
}

TEST(Skeletons, BufferTilesReachesBeyondTheNeighboursAndHaloExchangeDoesNot) {
  const GlobalLayer g{{CellKind::Int32, NoDataMode::Constant, 0}, 2, 4};
  const TiledLayer in = g.local(IndexKind::RowMajor);
  for (int rad : {6, 11}) {
    const auto got = buffer_tiles(in, rad, 100);
    ASSERT_EQ(got.size(), in.tiles.size());
    for (const auto& [k, t] : got)
      EXPECT_TRUE(t == g.buffered(k, rad)) << rad << " " << k.col << "," << k.row;
  }
  EXPECT_THROW(halo_exchange(in, 6), JobError);  // the 8 neighbours only: tiles are 6 x 5
}

// Two layers of one layout: a (Int16, Z-order, some tiles missing) and b (Float32, Hilbert, others
// missing), aligned by key and combined as a + b, inner and union joins.
TEST(Skeletons, AlignLayersOnDifferentPartitioningsEqualsTheSerialJoin) {
  const GlobalLayer ga{{CellKind::Int16, NoDataMode::Constant, 0}, 1, 4};
  const GlobalLayer gb{{CellKind::Float32, NoDataMode::Constant, 0}, 1, 3};
  const TiledLayer a = ga.local(IndexKind::ZOrder), b = gb.local(IndexKind::Hilbert);
  const TiledLayer* layers[] = {&a, &b};
  const std::string names[] = {"a", "b"};
  for (Join join : {Join::Inner, Join::Union}) {
    SCOPED_TRACE(join == Join::Inner ? "inner" : "union");
    const AlignedLayers al = align_layers(layers, names, join, 200);
    const TiledLayer out =
        map_aligned(al, with_type(a.md, kFloat64), [](const SpaceTimeKey&, std::span<const Tile* const> t) {
          Tile o(kFloat64, GlobalLayer::kCols, GlobalLayer::kRows);
          for (int r = 0; r < o.rows(); ++r)
            for (int c = 0; c < o.cols(); ++c)
              o.set(0, c, r, (t[0] ? t[0]->get(0, c, r) : 0) + (t[1] ? t[1]->get(0, c, r) : 0));
          return std::optional<Tile>(std::move(o));
        });
    // Every key of the join is on exactly one rank: count them over the ranks.
    std::int64_t want_keys = 0;
    for (const auto& k : ga.keys())
      want_keys += join == Join::Union || gb.exists(k.col, k.row, k.instant) ? 1 : 0;
    if (join == Join::Union)
      for (const auto& k : gb.keys()) want_keys += ga.exists(k.col, k.row, k.instant) ? 0 : 1;
    EXPECT_EQ(allreduce_sum(static_cast<std::int64_t>(out.tiles.size())), want_keys);
    for (const auto& [k, t] : out.tiles) {
      EXPECT_EQ(al.partitioner.owner(k), test::rank());
      const bool ha = ga.exists(k.col, k.row, k.instant), hb = gb.exists(k.col, k.row, k.instant);
      ASSERT_TRUE(join == Join::Union ? (ha || hb) : (ha && hb));
      for (int r = 0; r < GlobalLayer::kRows; ++r)
        for (int c = 0; c < GlobalLayer::kCols; ++c) {
          const long gx = k.col * GlobalLayer::kCols + c, gy = k.row * GlobalLayer::kRows + r;
          const double va = ha ? ga.value(gx, gy, k.instant, 0) : 0,
                       vb = hb ? gb.value(gx, gy, k.instant, 0) : 0;
          const double want = va + vb;
          if (std::isnan(want))
            EXPECT_TRUE(std::isnan(t.get(0, c, r)));
          else
            EXPECT_EQ(t.get(0, c, r), want);
        }
    }
  }
}

// A consumed layer's tiles are freed once their key's output exists: the tiles this rank used in place
// (those that stayed here) are left empty, the others (sent to their key's owner) and the other layer's
// tiles are untouched, and the outputs are those of the same map without freeing.
TEST(Skeletons, MapAlignedFreesTheTilesOfAConsumedLayerAsItGoes) {
  const GlobalLayer ga{{CellKind::Int16, NoDataMode::Constant, 0}, 2, 4};
  const GlobalLayer gb{{CellKind::Float32, NoDataMode::Constant, 0}, 1, 3};
  auto sum = [](const SpaceTimeKey&, std::span<const Tile* const> t) {
    Tile o(kFloat64, GlobalLayer::kCols, GlobalLayer::kRows);
    for (int r = 0; r < o.rows(); ++r)
      for (int c = 0; c < o.cols(); ++c)
        o.set(0, c, r, (t[0] ? t[0]->get(1, c, r) : 0) + (t[1] ? t[1]->get(0, c, r) : 0));
    return std::optional<Tile>(std::move(o));
  };
  for (IndexKind b_index : {IndexKind::ZOrder, IndexKind::Hilbert})
    for (Join join : {Join::Inner, Join::Union}) {
      SCOPED_TRACE(std::string(b_index == IndexKind::ZOrder ? "one partitioning" : "two partitionings") +
                   (join == Join::Inner ? ", inner" : ", union"));
      const TiledLayer ka = ga.local(IndexKind::ZOrder), kb = gb.local(b_index);
      TiledLayer a = ka, b = kb;
      const TiledLayer* layers[] = {&a, &b};
      const std::string names[] = {"a", "b"};
      const AlignedLayers al = align_layers(layers, names, join, 200);
      std::set<const Tile*> used_here;
      for (const auto& per_key : al.tiles)
        if (per_key[0]) used_here.insert(per_key[0]);
      TiledLayer* const consumed[] = {&a, nullptr};
      const TiledLayer out = map_aligned(al, with_type(a.md, kFloat64), sum, consumed);

      const TiledLayer* kept[] = {&ka, &kb};
      const TiledLayer want =
          map_aligned(align_layers(kept, names, join, 200), with_type(a.md, kFloat64), sum);
      ASSERT_EQ(out.tiles.size(), want.tiles.size());
      for (const auto& [k, t] : want.tiles) EXPECT_TRUE(t == out.tiles.at(k)) << k.col << "," << k.row;
      std::int64_t freed = 0, kept_keys = 0;
      for (const auto& [k, t] : a.tiles) {
        kept_keys += out.tiles.count(k) ? 1 : 0;
        if (used_here.count(&t)) {
          EXPECT_TRUE(t.empty_shape());
          ++freed;
        } else {
          EXPECT_TRUE(t == ka.tiles.at(k));
        }
      }
      for (const auto& [k, t] : b.tiles) EXPECT_TRUE(t == kb.tiles.at(k));
      // On one partitioning nothing moves: every tile of a whose key the join keeps is used, and freed,
      // where it is.
      if (b_index == IndexKind::ZOrder)
        EXPECT_EQ(freed, kept_keys);
      else
        EXPECT_GT(allreduce_sum(freed), 0);
    }
}

TEST(Skeletons, AlignLayersOnOnePartitioningMovesNothing) {
  const GlobalLayer g{{CellKind::Int16, NoDataMode::Constant, 0}, 1, 4};
  const TiledLayer a = g.local(IndexKind::ZOrder), b = g.local(IndexKind::ZOrder);
  const TiledLayer* layers[] = {&a, &b};
  const std::string names[] = {"a", "b"};
  const AlignedLayers al = align_layers(layers, names, Join::Inner);
  EXPECT_TRUE(al.received[0].empty() && al.received[1].empty());
  ASSERT_EQ(al.keys.size(), a.tiles.size());
  for (std::size_t i = 0; i < al.keys.size(); ++i) EXPECT_EQ(al.tiles[i][0], &a.tiles.at(al.keys[i]));
}

TEST(Skeletons, AlignLayersOfDifferentLayoutsIsAJobErrorOnEveryRank) {
  const GlobalLayer g{{CellKind::Int16, NoDataMode::Constant, 0}, 1, 4};
  const TiledLayer a = g.local(IndexKind::ZOrder);
  TiledLayer b = g.local(IndexKind::ZOrder);
  b.md.layout.extent = {0, 0, 10, 10};
  const TiledLayer* layers[] = {&a, &b};
  const std::string names[] = {"nir", "red"};
  try {
    align_layers(layers, names, Join::Inner);
    ADD_FAILURE() << "no error";
  } catch (const JobError& e) {
    EXPECT_NE(std::string(e.what()).find("'nir' and 'red' have different layouts"), std::string::npos)
        << e.what();
  }
}

// Sums of float cells: the same bits on every rank count (the serial reference is an ExactSum over every
// cell of the global layer, in key order), and not what naive summation in another order gives.
TEST(Skeletons, ReduceTilesGivesTheSameBitsOnEveryRankCount) {
  const GlobalLayer g{{CellKind::Float64, NoDataMode::Constant, 0}, 2, 0};
  const TiledLayer in = g.local(IndexKind::Hilbert);
  const CellStat stats[] = {CellStat::Sum, CellStat::Mean, CellStat::StandardDeviation, CellStat::Min};
  const CellAccumulator empty(accumulators_for(stats));
  const CellAccumulator got = reduce_tiles<CellAccumulator>(
      in, empty, [](CellAccumulator& acc, const SpaceTimeKey&, const Tile& t) { acc.add_tile(t, 1); });
  CellAccumulator want(accumulators_for(stats));
  for (const auto& k : g.keys()) want.add_tile(g.tile(k.col, k.row, k.instant), 1);
  std::vector<std::byte> a, b;
  got.serialize(a);
  want.serialize(b);
  EXPECT_EQ(a, b);
  for (CellStat s : stats) EXPECT_EQ(got.value(s), want.value(s));
  EXPECT_GT(got.count(), 0u);
}

// Each rank cuts its items (the global layer's tiles it owns) into two half-tile pieces addressed to
// the tile's key on another partitioning: every owner gets exactly its keys' pieces, in any round size.
TEST(Skeletons, RoutePiecesReachesTheOwnersInBoundedRounds) {
  const GlobalLayer g{{CellKind::Int16, NoDataMode::Constant, 0}, 1, 4};
  const TiledLayer in = g.local(IndexKind::ZOrder);
  const Partitioner owners = g.local(IndexKind::Hilbert).partitioner;
  std::vector<const std::pair<const SpaceTimeKey, Tile>*> items;
  for (const auto& kv : in.tiles) items.push_back(&kv);
  for (Schedule schedule : {Schedule::Static, Schedule::Dynamic})
    for (std::size_t round : {std::size_t{1}, kDefaultRoundBytes}) {
      std::map<SpaceTimeKey, int> got;
      route_pieces(
          items.size(), [&](std::size_t i) { return items[i]->second.byte_size(); },
          [&](std::size_t i, std::vector<Piece>& out) {
            const auto& [k, t] = *items[i];
            out.push_back(Piece{k, 0, 0, 0, t.crop(0, 0, 3, GlobalLayer::kRows)});
            out.push_back(Piece{k, 1, 3, 0, t.crop(3, 0, 3, GlobalLayer::kRows)});
          },
          owners,
          [&](Piece&& p) {
            EXPECT_EQ(owners.owner(p.key), test::rank());
            EXPECT_TRUE(
                p.tile ==
                g.tile(p.key.col, p.key.row, p.key.instant).crop(p.col_off, 0, 3, GlobalLayer::kRows));
            ++got[p.key];
          },
          round, schedule);
      std::map<SpaceTimeKey, int> want;
      for (const auto& k : g.keys())
        if (owners.owner(k) == test::rank()) want[k] = 2;
      EXPECT_EQ(got, want);
    }
}

}  // namespace
}  // namespace trellis::mpi
