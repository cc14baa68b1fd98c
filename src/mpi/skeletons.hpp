#pragma once
// Op skeletons: the shapes ops take, with their communication, so that an op holds only its arithmetic.
//
//   map_tiles            one layer to one layer, tile by tile (local ops: normalize, reclassify, ...)
//   map_tiles_with_halo  the same with each tile buffered by r cells of its neighbours (focal, terrain)
//   align_layers         several layers brought to common owners by key (local ops over named inputs)
//   map_aligned          one tile from the aligned tiles of each key
//   reduce_tiles         mergeable accumulators over a layer's tiles (statistics, histograms)
//
// Each runs OpenMP over the rank's tiles (the first exception of any tile is rethrown on the calling
// thread), and is deterministic: the result does not depend on the number of ranks or threads (for
// reduce_tiles, as long as the accumulator's merge is exact and commutative: see core/cell_stats.hpp).
// Fetching remote tiles by key in bounded rounds is mpi/fetch.hpp.
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/metadata.hpp"
#include "core/parallel.hpp"
#include "core/tile.hpp"
#include "layer/layer.hpp"
#include "mpi/exchange.hpp"
#include "mpi/halo.hpp"
#include "mpi/reduce.hpp"

namespace trellis::mpi {

// f(key, tile): the output tile of the key, or nullopt to leave the key out (a tile with no data).
using TileFn = std::function<std::optional<Tile>(const SpaceTimeKey&, const Tile&)>;

// Not collective (each rank maps the tiles it owns; the output keeps the input's partitioner).
// `md` is the output's metadata. Throws what f throws.
TiledLayer map_tiles(const TiledLayer& in, const LayerMetadata& md, const TileFn& f);

// Collective. f(key, buffered): `buffered` is the key's tile with `radius` cells of the tiles around it
// on every side, any radius (buffer_tiles, mpi/halo.hpp: NoData where no tile is), so f computes the
// tile's cells as if the layer were one raster; the output tile has the input tile's size. With
// HaloKeys::Neighbours f also gets the keys without a tile near the layer's tiles (their centre NoData;
// f returns nullopt for those it leaves out). Throws JobError for a negative radius, what f throws,
// PeerFailure.
TiledLayer map_tiles_with_halo(const TiledLayer& in, int radius, const LayerMetadata& md, const TileFn& f,
                               std::size_t round_bytes = kDefaultRoundBytes,
                               HaloKeys keys = HaloKeys::Existing);

enum class Join {
  Inner,  // keys every layer has (GeoTrellis' combineValues)
  Union,  // keys any layer has (GeoTrellis' local sequence ops); missing tiles are null
};

// Several layers' tiles, key by key, on common owners.
struct AlignedLayers {
  Partitioner partitioner;                      // who owns each key now
  std::vector<SpaceTimeKey> keys;               // this rank's keys, in key order
  std::vector<std::vector<const Tile*>> tiles;  // tiles[k][i]: layer i's tile of keys[k] (null: missing)
  std::vector<std::map<SpaceTimeKey, Tile>> received;  // the tiles that came from other ranks, per layer
};

// Collective. Brings the layers to common owners: when every layer has the first one's partitioner,
// nothing moves; otherwise the keys are balanced anew (on the first layer's curve) and each tile goes
// to its key's owner in rounds of about round_bytes. The layers must share one layout and CRS (throws
// JobError naming `names[i]` otherwise, on every rank alike); their cell types and bands may differ.
// `layers` must stay alive (and unchanged) while the result is used: it points into them.
AlignedLayers align_layers(std::span<const TiledLayer* const> layers, std::span<const std::string> names,
                           Join join, std::size_t round_bytes = kDefaultRoundBytes);

// f(key, tiles): one tile from the key's tiles (tiles[i] from layer i, null where missing), or nullopt.
using AlignedFn = std::function<std::optional<Tile>(const SpaceTimeKey&, std::span<const Tile* const>)>;

// Not collective. The output layer (metadata `md`, bounds as given) of the aligned keys. `consumed[i]`,
// when given and not null, is aligned layer i itself, which nothing reads after this call: each of its
// tiles is freed (left empty in its map) as soon as f has made its key's output, so the outputs reuse
// its memory, and the peak is about the larger layer rather than the sum. Deterministic; throws what f
// throws (the tiles of keys f has not done are left as they were).
TiledLayer map_aligned(const AlignedLayers& aligned, const LayerMetadata& md, const AlignedFn& f,
                       std::span<TiledLayer* const> consumed = {});

// Collective. Every rank gets `empty` with every tile of the layer added: add(acc, key, tile) on a
// per-thread copy, threads merged in thread order, ranks merged in rank order (mpi::allreduce). Acc has
// merge, serialize and static deserialize (mpi/reduce.hpp); with an exact, commutative merge the result
// does not depend on the number of ranks or threads. Throws what add throws, PeerFailure.
template <class Acc>
Acc reduce_tiles(const TiledLayer& layer, const Acc& empty,
                 const std::function<void(Acc&, const SpaceTimeKey&, const Tile&)>& add) {
  std::vector<const std::pair<const SpaceTimeKey, Tile>*> items;
  items.reserve(layer.tiles.size());
  for (const auto& kv : layer.tiles) items.push_back(&kv);
  std::vector<Acc> per_thread(static_cast<std::size_t>(std::max(1, max_threads())), empty);
  parallel_for(items.size(),
               [&](std::size_t i) { add(per_thread[thread_index()], items[i]->first, items[i]->second); });
  Acc local = empty;
  for (const Acc& a : per_thread) local.merge(a);
  return allreduce(local);
}

}  // namespace trellis::mpi
