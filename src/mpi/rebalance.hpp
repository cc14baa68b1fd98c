#pragma once
// Evening out a layer's tiles over the ranks once they exist. Keys are balanced before the tiles are
// made (from every key a step may produce), but a sparse layer keeps only the tiles with data: a coast
// leaves the ranks that own the sea with few tiles, and every later step then waits for the busiest.
#include <cstddef>

#include "layer/layer.hpp"
#include "mpi/exchange.hpp"

namespace trellis::mpi {

// A rank holds too many tiles when it has more than tolerance x the mean count, plus one.
inline constexpr double kRebalanceTolerance = 1.02;

// Collective, deterministic (the outcome depends on the layer's keys and the rank count only). When some
// rank holds too many of the layer's tiles, gives the layer a partitioner balanced on the keys it has
// (mpi::balance, on the same curve and bounds) and moves each tile to its new owner in rounds of about
// round_bytes (mpi::exchange); otherwise leaves the layer as it is. Returns whether it rebalanced.
// Throws what the index functions throw (before any check-in), PeerFailure.
bool rebalance(TiledLayer& layer, std::size_t round_bytes = kDefaultRoundBytes,
               double tolerance = kRebalanceTolerance);

}  // namespace trellis::mpi
