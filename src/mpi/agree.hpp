#pragma once
// Whether every rank holds the same thing (the resolved job, say): ranks that read a job differently (a
// ${VAR} that resolves per rank or per node) would otherwise exchange data of different shapes.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace trellis::mpi {

// Where the ranks' lines first differ: the line index and every rank's line there ("" past its end).
struct Disagreement {
  std::size_t line = 0;
  std::vector<std::string> per_rank;
};

// Collective. nullopt when every rank passes the same lines (compared by a hash first: one small
// allgather in the common case); otherwise the first line at which some rank differs from rank 0, the
// same on every rank. Deterministic. Throws PeerFailure.
std::optional<Disagreement> first_disagreement(const std::vector<std::string>& lines);

}  // namespace trellis::mpi
