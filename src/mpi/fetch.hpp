#pragma once
// Tiles and keys fetched from the ranks that own them, in rounds of bounded memory (reprojection; any
// op whose output tile needs input tiles that are not its neighbours).
#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "core/key.hpp"
#include "core/tile.hpp"
#include "layer/partitioner.hpp"
#include "mpi/exchange.hpp"

namespace trellis::mpi {

// Collective. The keys this rank owns (by `owners`) among the keys every rank passes (duplicates
// allowed, across ranks too), sent in rounds of about round_bytes. Deterministic. Throws PeerFailure.
std::set<SpaceTimeKey> gather_owned_keys(const std::vector<SpaceTimeKey>& keys, const Partitioner& owners,
                                         std::size_t round_bytes = kDefaultRoundBytes);

// Tiles fetched by key in batches: batch b of every rank travels in round b, so a rank holds at most one
// batch of remote tiles at a time (the caller sizes its batches: about a round's bytes each).
class TileFetch {
 public:
  // Collective. wanted[b] holds the keys (owned by other ranks) this rank needs in batch b. The requests
  // reach the keys' owners (in rounds of about round_bytes); an owner drops the keys it does not hold
  // (holes of a sparse layer: have(key) is false). Throws PeerFailure.
  TileFetch(const Partitioner& owners, const std::vector<std::vector<SpaceTimeKey>>& wanted,
            const std::function<bool(const SpaceTimeKey&)>& have,
            std::size_t round_bytes = kDefaultRoundBytes);

  // The rounds every rank takes part in (the most batches of any rank): the same on every rank.
  std::size_t rounds() const { return rounds_; }
  // What the other ranks asked this rank for, per batch: (key, requesting rank), in rank order.
  const std::vector<std::vector<std::pair<SpaceTimeKey, int>>>& requests() const { return requests_; }

  // Collective: every rank calls it for b = 0, 1, ..., rounds() - 1. Sends the tiles requested in batch b
  // (copies of source's; a requested key must still be in `source`) and returns the tiles this rank
  // asked for in batch b. Throws std::out_of_range for a requested key `source` no longer holds (before
  // the round's check-in), PeerFailure.
  std::map<SpaceTimeKey, Tile> round(std::size_t b, const std::map<SpaceTimeKey, Tile>& source);

 private:
  std::vector<std::vector<std::pair<SpaceTimeKey, int>>> requests_;
  std::size_t rounds_ = 0;
};

}  // namespace trellis::mpi
