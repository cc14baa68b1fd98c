#include "mpi/skeletons.hpp"

#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "mpi/halo.hpp"
#include "mpi/partition.hpp"
#include "mpi/reduce.hpp"
#include "mpi/runtime.hpp"

namespace trellis::mpi {

namespace {

// Runs f over `n` inputs in parallel; keys[i] gets outputs[i] when f gave one.
TiledLayer collect(const LayerMetadata& md, const Partitioner& partitioner,
                   const std::vector<SpaceTimeKey>& keys, std::vector<std::optional<Tile>>& outputs) {
  TiledLayer out;
  out.md = md;
  out.partitioner = partitioner;
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (outputs[i]) out.tiles.emplace_hint(out.tiles.end(), keys[i], std::move(*outputs[i]));
  return out;
}

bool same_partitioner(const Partitioner& a, const Partitioner& b) {
  return a.kind() == b.kind() && a.bounds() == b.bounds() && a.starts() == b.starts() &&
         a.total_keys() == b.total_keys() && a.ranks() == b.ranks();
}

}  // namespace

TiledLayer map_tiles(const TiledLayer& in, const LayerMetadata& md, const TileFn& f) {
  std::vector<SpaceTimeKey> keys;
  std::vector<const Tile*> tiles;
  keys.reserve(in.tiles.size());
  tiles.reserve(in.tiles.size());
  for (const auto& [k, t] : in.tiles) {
    keys.push_back(k);
    tiles.push_back(&t);
  }
  std::vector<std::optional<Tile>> outputs(keys.size());
  parallel_for(keys.size(), [&](std::size_t i) { outputs[i] = f(keys[i], *tiles[i]); });
  return collect(md, in.partitioner, keys, outputs);
}

TiledLayer map_tiles_with_halo(const TiledLayer& in, int radius, const LayerMetadata& md, const TileFn& f,
                               std::size_t round_bytes, HaloKeys which) {
  std::map<SpaceTimeKey, Tile> buffered = buffer_tiles(in, radius, round_bytes, which);
  std::vector<SpaceTimeKey> keys;
  std::vector<Tile*> tiles;
  for (auto& [k, t] : buffered) {
    keys.push_back(k);
    tiles.push_back(&t);
  }
  std::vector<std::optional<Tile>> outputs(keys.size());
  // Each buffered tile is freed once used: the outputs then reuse its memory (the allocator's free
  // chunks) rather than touching new pages, and the step's peak holds one copy of the layer less.
  parallel_for(keys.size(), [&](std::size_t i) {
    outputs[i] = f(keys[i], *tiles[i]);
    *tiles[i] = Tile();
  });
  return collect(md, in.partitioner, keys, outputs);
}

AlignedLayers align_layers(std::span<const TiledLayer* const> layers, std::span<const std::string> names,
                           Join join, std::size_t round_bytes) {
  if (layers.empty()) throw std::logic_error("align_layers: no layer");
  if (names.size() != layers.size()) throw std::logic_error("align_layers: a name per layer");
  const TiledLayer& first = *layers[0];
  for (std::size_t i = 1; i < layers.size(); ++i) {
    const LayerMetadata& m = layers[i]->md;
    if (!(m.layout == first.md.layout))
      throw JobError("inputs '" + names[0] + "' and '" + names[i] + "' have different layouts (" +
                     first.md.layout.extent.to_string() + " in " +
                     std::to_string(first.md.layout.tile_layout.layout_cols) + "x" +
                     std::to_string(first.md.layout.tile_layout.layout_rows) + " tiles, and " +
                     m.layout.extent.to_string() + " in " + std::to_string(m.layout.tile_layout.layout_cols) +
                     "x" + std::to_string(m.layout.tile_layout.layout_rows) +
                     " tiles): tile them to one layout first");
    if (first.md.crs.valid() && m.crs.valid() && !first.md.crs.equivalent(m.crs))
      throw JobError("inputs '" + names[0] + "' and '" + names[i] + "' have different CRSs (" +
                     first.md.crs.label() + " and " + m.crs.label() + "): reproject one first");
  }
  const std::size_t n = layers.size();
  AlignedLayers out;
  out.received.resize(n);

  bool moved = false;
  for (std::size_t i = 1; i < n; ++i)
    moved = moved || !same_partitioner(layers[i]->partitioner, first.partitioner);
  // Every tile each rank holds, per layer (its own, or received), by key.
  std::map<SpaceTimeKey, std::vector<const Tile*>> held;
  if (!moved) {
    out.partitioner = first.partitioner;
    for (std::size_t i = 0; i < n; ++i)
      for (const auto& [k, t] : layers[i]->tiles) {
        auto& v = held[k];
        v.resize(n, nullptr);
        v[i] = &t;
      }
  } else {
    // Balanced anew over every key of every layer, on the first layer's curve and bounds grown to all.
    std::vector<SpaceTimeKey> local;
    KeyBounds bounds = first.md.bounds;
    for (std::size_t i = 0; i < n; ++i) {
      for (const auto& [k, t] : layers[i]->tiles) local.push_back(k);
      bounds = bounds.combine(layers[i]->md.bounds);
    }
    out.partitioner = balance(local, first.partitioner.kind(), bounds);
    const int me = Runtime::rank();
    // Tiles staying on this rank are used where they are; the others travel (order = layer index).
    for (std::size_t i = 0; i < n; ++i)
      for (const auto& [k, t] : layers[i]->tiles)
        if (out.partitioner.owner(k) == me) {
          auto& v = held[k];
          v.resize(n, nullptr);
          v[i] = &t;
        }
    std::size_t layer = 0;
    auto it = layers[0]->tiles.begin();
    auto produce = [&](std::vector<Outgoing>& sends) {
      std::size_t bytes = 0;
      while (layer < n && (bytes < round_bytes || bytes == 0)) {
        if (it == layers[layer]->tiles.end()) {
          if (++layer < n) it = layers[layer]->tiles.begin();
          continue;
        }
        const int dest = out.partitioner.owner(it->first);
        if (dest != me) {
          bytes += it->second.byte_size();
          sends.push_back({dest, Piece{it->first, layer, 0, 0, it->second}});
        }
        ++it;
      }
      return layer < n;
    };
    exchange(produce, [&](Piece&& p) {
      if (p.order >= n) throw IoError("corrupt message: a tile of layer " + std::to_string(p.order));
      const std::size_t i = static_cast<std::size_t>(p.order);
      auto [pos, fresh] = out.received[i].emplace(p.key, std::move(p.tile));
      if (!fresh)
        throw IoError("corrupt message: tile (" + std::to_string(p.key.col) + ", " +
                      std::to_string(p.key.row) + ") of one layer received twice");
      auto& v = held[p.key];
      v.resize(n, nullptr);
      v[i] = &pos->second;
    });
  }
  for (auto& [k, v] : held) {
    const bool all = std::none_of(v.begin(), v.end(), [](const Tile* t) { return t == nullptr; });
    if (join == Join::Inner && !all) continue;
    out.keys.push_back(k);
    out.tiles.push_back(std::move(v));
  }
  return out;
}

TiledLayer map_aligned(const AlignedLayers& aligned, const LayerMetadata& md, const AlignedFn& f,
                       std::span<TiledLayer* const> consumed) {
  std::vector<std::optional<Tile>> outputs(aligned.keys.size());
  parallel_for(aligned.keys.size(), [&](std::size_t i) {
    outputs[i] = f(aligned.keys[i], aligned.tiles[i]);
    // Each key is one thread's: its tiles are elements no other thread writes (and finding a key reads
    // no element), so emptying them here is free of races.
    for (std::size_t j = 0; j < consumed.size() && j < aligned.tiles[i].size(); ++j) {
      if (!consumed[j]) continue;
      const auto it = consumed[j]->tiles.find(aligned.keys[i]);
      if (it != consumed[j]->tiles.end() && &it->second == aligned.tiles[i][j]) it->second = Tile();
    }
  });
  return collect(md, aligned.partitioner, aligned.keys, outputs);
}

}  // namespace trellis::mpi
