#pragma once
// Halo exchange for focal operations (and slope, aspect, cost distance, pyramids with wide kernels).
#include <cstddef>
#include <map>

#include "core/key.hpp"
#include "core/tile.hpp"
#include "layer/layer.hpp"
#include "mpi/exchange.hpp"

namespace trellis::mpi {

// Which keys get a buffered tile.
enum class HaloKeys {
  Existing,    // the keys of the layer's tiles
  Neighbours,  // those, and each key without a tile within `radius` cells of a tile (inside the layer's
               // key bounds; on its owner), whose centre is NoData: for ops that give NoData cells a
               // value from their neighbours (focal with target all), so the result does not depend on
               // which tiles a sparse layer leaves out
};

// Collective. For every tile this rank owns, a buffered tile of (cols + 2r) x (rows + 2r) cells (same
// cell type and bands): the centre is the tile, the border holds the cells within `radius` of it from
// the tiles around it (same instant), however many tiles away (a radius larger than the tiles reaches
// beyond the 8 neighbours), wherever they exist on whichever rank; NoData (zeros for raw types) where
// no tile is (outside the layout, or missing from a sparse layer).
// Each rank sends the parts of its tiles that other tiles' buffers cover to the owners of those tiles
// (layer.partitioner.owner(); keys inside the layout and, for Hilbert and RowMajor partitioners, inside
// the partitioner's bounds), in rounds of about round_bytes; parts for keys the receiver does not hold
// are dropped (with HaloKeys::Existing; with Neighbours the receiver makes their buffered tile); parts
// between tiles of the same rank are copied directly. Deterministic (every cell has one source). Throws
// JobError (on every rank alike) for a negative radius, std::logic_error when the tiles are not all of
// the layout's size, type and bands, PeerFailure.
std::map<SpaceTimeKey, Tile> buffer_tiles(const TiledLayer& layer, int radius,
                                          std::size_t round_bytes = kDefaultRoundBytes,
                                          HaloKeys keys = HaloKeys::Existing);

// buffer_tiles limited to the 8 neighbours: throws JobError (on every rank alike) unless
// 0 <= radius <= the layout's tile size.
std::map<SpaceTimeKey, Tile> halo_exchange(const TiledLayer& layer, int radius,
                                           std::size_t round_bytes = kDefaultRoundBytes);

}  // namespace trellis::mpi
