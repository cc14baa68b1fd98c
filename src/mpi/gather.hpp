#pragma once
// Gathers for single-file writers and for global key lists.
#include <cstddef>
#include <functional>
#include <span>
#include <vector>

#include "core/key.hpp"
#include "core/tile.hpp"
#include "layer/layer.hpp"

namespace trellis::mpi {

// The global order of tiles for writers: instant, then row, then column.
bool global_order_less(const SpaceTimeKey& a, const SpaceTimeKey& b);

// Collective. `root` receives every tile of the layer in global (instant, row, col) order, in bounded
// rounds: each round is a contiguous run of that order of about round_bytes (at least one tile), sent
// by the owners to root (root's own tiles are not copied). Only root's callback is called; if it
// throws, root leaves and the other ranks meet the failure at their next check-in. Tiles with the same
// key on several ranks (not expected in a TiledLayer) come in rank order.
void gather_ordered(const TiledLayer& layer, int root, std::size_t round_bytes,
                    const std::function<void(const SpaceTimeKey&, const Tile&)>& on_root);

// An encoded piece of a single-file output (e.g. a compressed GeoTIFF block) and its place.
struct KeyedBytes {
  SpaceTimeKey key;
  std::vector<std::byte> bytes;
};

// Collective. Like gather_ordered, for byte strings: `root` receives every rank's items in global
// (instant, row, col) order, in rounds of about round_bytes. Root's own items are not copied, and the
// others' are sent from where they are, not packed (point-to-point messages, at most
// detail::message_limit() bytes each); root delivers each from a buffer of its own. Keys are expected to
// be unique across ranks; equal keys come in rank order. If on_root throws, root leaves and the other
// ranks meet the failure at their next check-in.
void gather_ordered_bytes(
    const std::vector<KeyedBytes>& local, int root, std::size_t round_bytes,
    const std::function<void(const SpaceTimeKey&, std::span<const std::byte>)>& on_root);

// Collective. Every key of the layer (from every rank), in global (instant, row, col) order, on every rank.
std::vector<SpaceTimeKey> allgather_keys(const TiledLayer& layer);

}  // namespace trellis::mpi
