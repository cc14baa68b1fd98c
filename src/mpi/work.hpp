#pragma once
// Work split over the ranks by index, with every result on every rank: e.g. reading the headers of a
// list of files once each (rank r takes items r, r + size, ...) and sharing them.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace trellis::mpi {

// Collective. Rank r calls item(i) for the indexes i = r, r + size, r + 2 size, ... of [0, n) (n must be
// the same on every rank); every rank gets all n results, in index order. Deterministic. item() may
// throw (it runs before the check-in); throws PeerFailure when another rank failed.
std::vector<std::string> allgather_indexed(std::size_t n,
                                           const std::function<std::string(std::size_t)>& item);

}  // namespace trellis::mpi
