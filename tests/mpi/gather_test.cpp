#include "mpi/gather.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>

#include "mpi/collectives.hpp"
#include "mpi/partition.hpp"
#include "mpi/stats.hpp"
#include "mpi_gen.hpp"

namespace trellis::mpi {
namespace {

using test::gen_tile;
using test::mix;

const CellType kType{CellKind::Float32, NoDataMode::Constant, 0};

// 9 x 7 tiles of 4 x 3 cells and three instants, some missing; distributed by a Hilbert partitioner.
std::vector<SpaceTimeKey> all_keys() {
  std::vector<SpaceTimeKey> out;
  for (std::int64_t t : {2000LL, 0LL, 1000LL})
    for (int r = 0; r < 7; ++r)
      for (int c = 0; c < 9; ++c)
        if (mix(c, r, t) % 3 != 0) out.push_back({c, r, t});
  return out;
}

Tile tile_of(const SpaceTimeKey& k) {
  return gen_tile(kType, 4, 3, 1, mix(k.col, k.row, k.instant));
}

TiledLayer local_layer(bool empty) {
  TiledLayer l;
  l.md.cell_type = kType;
  l.md.layout.tile_layout = {9, 7, 4, 3};
  l.md.bounds = {{0, 0, 0}, {8, 6, 2000}};
  const auto keys = empty ? std::vector<SpaceTimeKey>{} : all_keys();
  std::vector<SpaceTimeKey> share;
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (static_cast<int>(i % static_cast<std::size_t>(test::size())) == test::rank())
      share.push_back(keys[i]);
  l.partitioner = mpi::balance(share, IndexKind::Hilbert, l.md.bounds);
  for (const auto& k : keys)
    if (l.partitioner.owner(k) == test::rank()) l.tiles.emplace(k, tile_of(k));
  return l;
}

std::vector<SpaceTimeKey> sorted_keys() {
  auto keys = all_keys();
  std::sort(keys.begin(), keys.end(), global_order_less);
  return keys;
}

TEST(Gather, RootReceivesEveryTileInGlobalOrder) {
  const TiledLayer layer = local_layer(false);
  const auto want = sorted_keys();
  for (int root : {0, test::size() - 1})
    for (std::size_t round : {std::size_t{1}, std::size_t{500}, std::size_t{1} << 30}) {
      SCOPED_TRACE("root " + std::to_string(root) + " round " + std::to_string(round));
      std::vector<SpaceTimeKey> got;
      const CommStats before = stats();
      gather_ordered(layer, root, round, [&](const SpaceTimeKey& k, const Tile& t) {
        got.push_back(k);
        EXPECT_TRUE(t == tile_of(k));
      });
      if (test::rank() == root) {
        EXPECT_EQ(got, want);
        EXPECT_EQ(stats().bytes_sent, before.bytes_sent);  // root sends nothing
      } else {
        EXPECT_TRUE(got.empty());
        if (!layer.tiles.empty()) {
          EXPECT_GT(stats().tiles_moved, before.tiles_moved);
        }
      }
    }
}

// Byte strings of varied sizes (empty ones too), a key's bytes derived from the key.
std::vector<std::byte> bytes_of(const SpaceTimeKey& k) {
  std::vector<std::byte> b(mix(k.col, k.row, k.instant) % 97);
  for (std::size_t i = 0; i < b.size(); ++i)
    b[i] = static_cast<std::byte>((k.col * 31 + k.row * 7 + i) & 0xff);
  return b;
}

TEST(Gather, RootReceivesEveryByteStringInGlobalOrder) {
  // This rank's share, deliberately not in global order.
  std::vector<KeyedBytes> local;
  const auto keys = all_keys();
  for (std::size_t i = keys.size(); i-- > 0;)
    if (static_cast<int>(i % static_cast<std::size_t>(test::size())) == test::rank())
      local.push_back({keys[i], bytes_of(keys[i])});
  std::size_t mine = 0;
  for (const auto& kb : local) mine += kb.bytes.size();
  const auto want = sorted_keys();
  // Message limits of 10 and 1 byte cut the items (up to 96 bytes) into pieces.
  for (std::size_t limit : {std::size_t{INT_MAX}, std::size_t{10}, std::size_t{1}})
    for (int root : {0, test::size() - 1})
      for (std::size_t round : {std::size_t{1}, std::size_t{300}, std::size_t{1} << 30}) {
        SCOPED_TRACE("limit " + std::to_string(limit) + " root " + std::to_string(root) + " round " +
                     std::to_string(round));
        detail::set_message_limit(limit);
        std::vector<SpaceTimeKey> got;
        const CommStats before = stats();
        gather_ordered_bytes(local, root, round, [&](const SpaceTimeKey& k, std::span<const std::byte> b) {
          got.push_back(k);
          const auto expect = bytes_of(k);
          EXPECT_TRUE(std::equal(b.begin(), b.end(), expect.begin(), expect.end()));
        });
        detail::set_message_limit(INT_MAX);
        if (test::rank() == root) {
          EXPECT_EQ(got, want);
          EXPECT_EQ(stats().bytes_sent - before.bytes_sent, 0u);  // root's own bytes are not sent
        } else {
          EXPECT_TRUE(got.empty());
          EXPECT_EQ(stats().bytes_sent - before.bytes_sent, mine);  // the bytes alone, nothing packed
        }
      }
}

TEST(Gather, EmptyLayer) {
  const TiledLayer layer = local_layer(true);
  int calls = 0;
  gather_ordered(layer, 0, 100, [&](const SpaceTimeKey&, const Tile&) { ++calls; });
  gather_ordered_bytes({}, 0, 100, [&](const SpaceTimeKey&, std::span<const std::byte>) { ++calls; });
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(allgather_keys(layer).empty());
}

TEST(Gather, AllgatherKeys) {
  const TiledLayer layer = local_layer(false);
  EXPECT_EQ(allgather_keys(layer), sorted_keys());
}

}  // namespace
}  // namespace trellis::mpi
