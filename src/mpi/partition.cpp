#include "mpi/partition.hpp"

#include <algorithm>

#include "mpi/collectives.hpp"
#include "mpi/runtime.hpp"

namespace trellis::mpi {

Partitioner balance(const std::vector<SpaceTimeKey>& local_keys, IndexKind kind, const KeyBounds& bounds) {
  Partitioner p(kind, bounds, Runtime::size());
  // Everything that may throw (the index functions) runs before the check-in in allgatherv_values.
  std::vector<CurvePos> mine;
  mine.reserve(local_keys.size());
  for (const auto& k : local_keys) mine.push_back(p.position(k));
  std::sort(mine.begin(), mine.end());
  mine.erase(std::unique(mine.begin(), mine.end()), mine.end());

  std::vector<CurvePos> all = allgatherv_values(mine);
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  p.split(all);
  return p;
}

}  // namespace trellis::mpi
