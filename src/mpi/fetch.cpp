#include "mpi/fetch.hpp"

#include <algorithm>

#include "mpi/reduce.hpp"
#include "mpi/runtime.hpp"

namespace trellis::mpi {

namespace {

// Keys per round for a round budget (a key message is about 64 bytes).
std::size_t keys_per_round(std::size_t round_bytes) {
  return std::max<std::size_t>(1, round_bytes / 64);
}

}  // namespace

std::set<SpaceTimeKey> gather_owned_keys(const std::vector<SpaceTimeKey>& keys, const Partitioner& owners,
                                         std::size_t round_bytes) {
  std::set<SpaceTimeKey> owned;
  std::size_t next = 0;
  const std::size_t per_round = keys_per_round(round_bytes);
  exchange(
      [&](std::vector<Outgoing>& o) {
        const std::size_t end = std::min(keys.size(), next + per_round);
        for (; next < end; ++next) {
          Piece pc;
          pc.key = keys[next];
          o.push_back({owners.owner(pc.key), std::move(pc)});
        }
        return next < keys.size();
      },
      [&](Piece&& pc) { owned.insert(pc.key); });
  return owned;
}

TileFetch::TileFetch(const Partitioner& owners, const std::vector<std::vector<SpaceTimeKey>>& wanted,
                     const std::function<bool(const SpaceTimeKey&)>& have, std::size_t round_bytes) {
  const int nranks = Runtime::size(), me = Runtime::rank();
  // A request's order: batch * ranks + requesting rank.
  std::vector<Outgoing> all;
  for (std::size_t b = 0; b < wanted.size(); ++b)
    for (const auto& k : wanted[b]) {
      Piece pc;
      pc.key = k;
      pc.order =
          static_cast<std::uint64_t>(b) * static_cast<std::uint64_t>(nranks) + static_cast<std::uint64_t>(me);
      all.push_back({owners.owner(k), std::move(pc)});
    }
  std::size_t next = 0;
  const std::size_t per_round = keys_per_round(round_bytes);
  exchange(
      [&](std::vector<Outgoing>& o) {
        const std::size_t end = std::min(all.size(), next + per_round);
        for (; next < end; ++next) o.push_back(std::move(all[next]));
        return next < all.size();
      },
      [&](Piece&& pc) {
        if (!have(pc.key)) return;  // a hole in a sparse layer: nothing to send
        const std::size_t b = pc.order / static_cast<std::uint64_t>(nranks);
        const int rank = static_cast<int>(pc.order % static_cast<std::uint64_t>(nranks));
        if (requests_.size() <= b) requests_.resize(b + 1);
        requests_[b].push_back({pc.key, rank});
      });
  rounds_ = static_cast<std::size_t>(allreduce_max(static_cast<std::int64_t>(wanted.size())));
}

std::map<SpaceTimeKey, Tile> TileFetch::round(std::size_t b, const std::map<SpaceTimeKey, Tile>& source) {
  std::map<SpaceTimeKey, Tile> received;
  exchange(
      [&](std::vector<Outgoing>& o) {
        if (b < requests_.size()) {
          for (const auto& [k, rank] : requests_[b]) {
            Piece pc;
            pc.key = k;
            pc.tile = source.at(k);
            o.push_back({rank, std::move(pc)});
          }
          std::vector<std::pair<SpaceTimeKey, int>>().swap(requests_[b]);
        }
        return false;
      },
      [&](Piece&& pc) { received[pc.key] = std::move(pc.tile); });
  return received;
}

}  // namespace trellis::mpi
