#pragma once
// Balancing a layer's keys over the ranks (see layer/partitioner.hpp).
#include <vector>

#include "core/key.hpp"
#include "index/key_index.hpp"
#include "layer/partitioner.hpp"

namespace trellis::mpi {

// Collective: every rank passes the keys it will produce (duplicates allowed, across ranks too).
// Returns the same partitioner on every rank, splitting the distinct keys into Runtime::size()
// contiguous curve ranges of (nearly) equal counts (Partitioner::split). Deterministic. Throws what
// the index functions throw (before the check-in) and PeerFailure.
Partitioner balance(const std::vector<SpaceTimeKey>& local_keys, IndexKind kind, const KeyBounds& bounds);

}  // namespace trellis::mpi
