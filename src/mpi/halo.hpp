#pragma once
// Halo exchange for focal operations (and slope, aspect, cost distance).
#include <cstddef>
#include <map>

#include "core/key.hpp"
#include "core/tile.hpp"
#include "layer/layer.hpp"
#include "mpi/exchange.hpp"

namespace trellis::mpi {

// Collective. For every tile this rank owns, a buffered tile of (cols + 2r) x (rows + 2r) cells (same
// cell type and bands): the centre is the tile, the border holds the strips of its 8 neighbours (same
// instant) wherever they exist on whichever rank, NoData (zeros for raw types) elsewhere.
// Each rank sends the border strips of its tiles to the owners (layer.partitioner.owner()) of the
// neighbour keys that lie inside the layout (and, for Hilbert and RowMajor partitioners, inside the
// partitioner's bounds), in rounds of about round_bytes; strips for
// keys the receiver does not hold are dropped; strips between tiles of the same rank are copied
// directly. Throws JobError (on every rank alike) unless 0 <= radius <= the layout's tile size.
std::map<SpaceTimeKey, Tile> halo_exchange(const TiledLayer& layer, int radius,
                                           std::size_t round_bytes = kDefaultRoundBytes);

}  // namespace trellis::mpi
