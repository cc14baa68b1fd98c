#pragma once
// Reductions for summaries: mergeable accumulators (histograms, statistics, polygonal summaries) and
// scalar helpers. All are collective and call check_in() first.
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "core/error.hpp"
#include "mpi/collectives.hpp"
#include "mpi/runtime.hpp"

namespace trellis::mpi {

// Acc provides:
//   void serialize(std::vector<std::byte>& out) const;          // appends its encoding
//   static Acc deserialize(std::span<const std::byte> bytes);
//   void merge(const Acc& other);
// Every rank gets acc(0) merged with acc(1), then acc(2), ... in rank order (deterministic: the same
// result on every rank). The accumulators are gathered on rank 0, merged there and the result is
// broadcast; serialize() runs before the check-in, and a throwing deserialize/merge on rank 0 reaches
// the other ranks through the broadcast's check-in.
template <class Acc>
Acc allreduce(const Acc& local) {
  std::vector<std::byte> mine;
  local.serialize(mine);
  std::vector<std::size_t> counts;
  std::vector<std::byte> all = gatherv_bytes(mine, 0, &counts);
  std::vector<std::byte> merged;
  if (Runtime::rank() == 0) {
    std::span<const std::byte> bytes(all);
    std::size_t off = 0;
    Acc acc = Acc::deserialize(bytes.subspan(off, counts[0]));
    off += counts[0];
    for (std::size_t r = 1; r < counts.size(); ++r) {
      acc.merge(Acc::deserialize(bytes.subspan(off, counts[r])));
      off += counts[r];
    }
    acc.serialize(merged);
  }
  broadcast_bytes(merged, 0);
  return Acc::deserialize(merged);
}

// Collective. Every rank's items (trivially copyable) reach rank 0, where fold(items of rank 0, then
// rank 1, ...) computes the results; every rank gets the results (trivially copyable). For results
// that do not depend on the rank count, fold orders the items itself (e.g. by feature, then key) before
// combining them. fold runs on rank 0 only, after its MPI calls; if it throws, the other ranks meet the
// failure at the broadcast's check-in. Throws IoError on a corrupt message, PeerFailure.
template <class Item, class Result>
std::vector<Result> gather_fold_broadcast(
    const std::vector<Item>& mine, const std::function<std::vector<Result>(std::vector<Item>&&)>& fold) {
  static_assert(std::is_trivially_copyable_v<Item> && std::is_trivially_copyable_v<Result>);
  std::vector<std::byte> gathered = gatherv_bytes(std::as_bytes(std::span<const Item>(mine)), 0);
  std::vector<std::byte> folded;
  if (Runtime::rank() == 0) {
    if (gathered.size() % sizeof(Item) != 0) throw IoError("corrupt message: gathered items");
    std::vector<Item> all(gathered.size() / sizeof(Item));
    if (!all.empty()) std::memcpy(all.data(), gathered.data(), gathered.size());
    std::vector<std::byte>().swap(gathered);
    const std::vector<Result> results = fold(std::move(all));
    folded.resize(results.size() * sizeof(Result));
    if (!folded.empty()) std::memcpy(folded.data(), results.data(), folded.size());
  }
  broadcast_bytes(folded, 0);
  if (folded.size() % sizeof(Result) != 0) throw IoError("corrupt message: folded results");
  std::vector<Result> out(folded.size() / sizeof(Result));
  if (!out.empty()) std::memcpy(out.data(), folded.data(), folded.size());
  return out;
}

double allreduce_max(double v);
double allreduce_min(double v);
// Summed in rank order on every rank (deterministic for a given rank count).
double allreduce_sum(double v);
std::int64_t allreduce_max(std::int64_t v);
std::int64_t allreduce_min(std::int64_t v);
std::int64_t allreduce_sum(std::int64_t v);
// Logical or / and over ranks.
bool allreduce_or(bool v);
bool allreduce_and(bool v);

// Every rank's string, indexed by rank, on every rank.
std::vector<std::string> allgather_strings(const std::string& local);

}  // namespace trellis::mpi
