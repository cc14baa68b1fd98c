#include "mpi/gather.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>

#include "mpi/collectives.hpp"
#include "mpi/comm.hpp"
#include "mpi/failure.hpp"
#include "mpi/runtime.hpp"
#include "mpi/serialize.hpp"
#include "mpi/stats.hpp"

namespace trellis::mpi {

bool global_order_less(const SpaceTimeKey& a, const SpaceTimeKey& b) {
  return std::tie(a.instant, a.row, a.col) < std::tie(b.instant, b.row, b.col);
}

namespace {

struct KeySize {
  SpaceTimeKey key;
  std::uint64_t bytes = 0;
};

// Root plans the rounds from every rank's (key, size) and every rank gets the first key of each round.
// On root, `largest` gets the most bytes a round holds (every rank's items in it).
// With `per_rank`, root also gets each rank's records as that rank sent them.
std::vector<SpaceTimeKey> plan_rounds(const std::vector<KeySize>& sizes, int root, std::size_t round_bytes,
                                      std::size_t& largest,
                                      std::vector<std::vector<KeySize>>* per_rank = nullptr) {
  largest = 0;
  std::vector<std::byte> plan;
  {
    std::vector<std::size_t> counts;
    auto all = gatherv_bytes(std::as_bytes(std::span<const KeySize>(sizes)), root, &counts);
    if (Runtime::rank() == root) {
      std::vector<KeySize> recs(all.size() / sizeof(KeySize));
      if (!recs.empty()) std::memcpy(recs.data(), all.data(), recs.size() * sizeof(KeySize));
      if (per_rank) {
        per_rank->assign(counts.size(), {});
        std::size_t first = 0;
        for (std::size_t r = 0; r < counts.size(); ++r) {
          const std::size_t c = counts[r] / sizeof(KeySize);
          (*per_rank)[r].assign(recs.begin() + static_cast<std::ptrdiff_t>(first),
                                recs.begin() + static_cast<std::ptrdiff_t>(first + c));
          first += c;
        }
      }
      std::stable_sort(recs.begin(), recs.end(),
                       [](const KeySize& a, const KeySize& b) { return global_order_less(a.key, b.key); });
      std::vector<SpaceTimeKey> cuts;
      std::size_t acc = 0;
      for (std::size_t i = 0; i < recs.size(); ++i) {
        const bool same_key = i > 0 && recs[i].key == recs[i - 1].key;  // never split a key
        if (cuts.empty() || (acc > 0 && acc + recs[i].bytes > round_bytes && !same_key)) {
          cuts.push_back(recs[i].key);
          acc = 0;
        }
        acc += recs[i].bytes;
        largest = std::max(largest, acc);
      }
      plan.resize(cuts.size() * sizeof(SpaceTimeKey));
      if (!cuts.empty()) std::memcpy(plan.data(), cuts.data(), plan.size());
    }
  }
  broadcast_bytes(plan, root);
  std::vector<SpaceTimeKey> cuts(plan.size() / sizeof(SpaceTimeKey));
  if (!cuts.empty()) std::memcpy(cuts.data(), plan.data(), plan.size());
  return cuts;
}

// The ordered gather of items of type Item (tiles; byte strings have their own, below): `local` holds this
// rank's items, sorted in global order; size(item) is its encoded size without the key; put(writer, item)
// encodes it; get(reader) decodes one; deliver(key, item) runs on root in global order (rank order for equal
// keys).
template <class Item, class Size, class Put, class Get, class Deliver>
void gather_rounds(const std::vector<std::pair<SpaceTimeKey, const Item*>>& local, int root,
                   std::size_t round_bytes, Size size, Put put, Get get, Deliver deliver) {
  const int n = Runtime::size();
  const int me = Runtime::rank();
  if (root < 0 || root >= n) throw std::out_of_range("gather_ordered: bad root rank " + std::to_string(root));
  std::vector<KeySize> sizes;
  sizes.reserve(local.size());
  for (const auto& [k, item] : local) sizes.push_back({k, kKeyBytes + size(*item)});
  std::size_t largest = 0;
  const std::vector<SpaceTimeKey> cuts = plan_rounds(sizes, root, round_bytes, largest);

  // Rounds: round i holds the keys in [cuts[i], cuts[i + 1]). One send buffer and one receive buffer
  // serve every round, reserved at once for the largest: fresh memory costs more than the copy into it,
  // and a vector that grew round by round would fault in, and copy, ever larger blocks.
  std::vector<std::size_t> ends(cuts.size());
  std::size_t largest_send = 0;
  for (std::size_t i = 0, next = 0; i < cuts.size(); ++i) {
    std::size_t end = next, total = 0;
    while (end < local.size() && (i + 1 == cuts.size() || global_order_less(local[end].first, cuts[i + 1])))
      total += sizes[end++].bytes;
    ends[i] = end;
    largest_send = std::max(largest_send, total);
    next = end;
  }
  std::vector<std::byte> buf, all;
  if (me == root)
    all.reserve(largest);
  else
    buf.reserve(largest_send);
  std::size_t next = 0;  // first local item not yet sent
  for (std::size_t i = 0; i < cuts.size(); ++i) {
    const std::size_t end = ends[i];
    buf.clear();
    if (me != root) {
      ByteWriter w(buf);
      for (std::size_t j = next; j < end; ++j) {
        write_key(w, local[j].first);
        put(w, *local[j].second);
      }
    }
    std::vector<std::size_t> counts;
    gatherv_bytes_into(buf, root, all, &counts);
    add_bytes_sent(buf.size());
    add_tiles_moved(me != root ? end - next : 0);
    if (me == root) {
      // (key, source rank, item): root's own items by pointer, the others decoded.
      std::vector<Item> decoded;
      std::vector<std::pair<SpaceTimeKey, int>> decoded_keys;
      std::size_t off = 0;
      for (int s = 0; s < n; ++s) {
        ByteReader r(std::span<const std::byte>(all.data() + off, counts[s]));
        off += counts[s];
        while (!r.at_end()) {
          SpaceTimeKey k = read_key(r);
          decoded.push_back(get(r));
          decoded_keys.emplace_back(k, s);
        }
      }
      // Decoded spans point into `all`, which is next written in the next round, after their delivery.
      std::vector<std::tuple<SpaceTimeKey, int, const Item*>> items;
      for (std::size_t j = 0; j < decoded.size(); ++j)
        items.emplace_back(decoded_keys[j].first, decoded_keys[j].second, &decoded[j]);
      for (std::size_t j = next; j < end; ++j) items.emplace_back(local[j].first, root, local[j].second);
      std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
        if (global_order_less(std::get<0>(a), std::get<0>(b))) return true;
        if (global_order_less(std::get<0>(b), std::get<0>(a))) return false;
        return std::get<1>(a) < std::get<1>(b);
      });
      for (const auto& [k, s, item] : items) deliver(k, *item);
    }
    next = end;
  }
}

template <class Item>
void sort_global(std::vector<std::pair<SpaceTimeKey, const Item*>>& v) {
  std::stable_sort(v.begin(), v.end(),
                   [](const auto& a, const auto& b) { return global_order_less(a.first, b.first); });
}

}  // namespace

void gather_ordered(const TiledLayer& layer, int root, std::size_t round_bytes,
                    const std::function<void(const SpaceTimeKey&, const Tile&)>& on_root) {
  std::vector<std::pair<SpaceTimeKey, const Tile*>> local;
  local.reserve(layer.tiles.size());
  for (const auto& [k, t] : layer.tiles) local.emplace_back(k, &t);
  sort_global(local);
  gather_rounds<Tile>(
      local, root, round_bytes, [](const Tile& t) { return tile_bytes(t); },
      [](ByteWriter& w, const Tile& t) { write_tile(w, t); }, [](ByteReader& r) { return read_tile(r); },
      on_root);
}

void gather_ordered_bytes(
    const std::vector<KeyedBytes>& local_items, int root, std::size_t round_bytes,
    const std::function<void(const SpaceTimeKey&, std::span<const std::byte>)>& on_root) {
  // Root learns every item's key and size from the plan, so the bytes need no packing: each rank sends
  // its items from where they are (point to point, one message per item or per message_limit() piece),
  // and root receives each item into a buffer of its own. Packing first cost the senders a copy into
  // fresh memory, and root waited for it; and one receive buffer for a round, larger than the heap's
  // mmap threshold (cli/memory.cpp), was fresh memory too, where item buffers reuse the heap's free
  // memory. On the benchmark machine, gathering and writing 35 MB of blocks on root took 0.11-0.13 s
  // before, and 0.02-0.04 s so.
  const int n = Runtime::size();
  const int me = Runtime::rank();
  if (root < 0 || root >= n) throw std::out_of_range("gather_ordered: bad root rank " + std::to_string(root));
  using Bytes = std::span<const std::byte>;
  std::vector<std::pair<SpaceTimeKey, Bytes>> local;
  local.reserve(local_items.size());
  for (const auto& kb : local_items) local.emplace_back(kb.key, kb.bytes);
  std::stable_sort(local.begin(), local.end(),
                   [](const auto& a, const auto& b) { return global_order_less(a.first, b.first); });
  std::vector<KeySize> sizes;
  sizes.reserve(local.size());
  for (const auto& [k, b] : local) sizes.push_back({k, b.size()});
  std::size_t largest = 0;
  std::vector<std::vector<KeySize>> from;  // root: every rank's (key, size), in that rank's order
  const std::vector<SpaceTimeKey> cuts = plan_rounds(sizes, root, round_bytes, largest, &from);
  if (me != root) from.assign(1, {});

  // Round i holds the keys in [cuts[i], cuts[i + 1]); round_end(list, begin, i, key) is where it ends in
  // a sorted list whose round i starts at `begin`.
  auto round_end = [&](const auto& list, std::size_t begin, std::size_t i, auto key_of) {
    std::size_t end = begin;
    while (end < list.size() && (i + 1 == cuts.size() || global_order_less(key_of(list[end]), cuts[i + 1])))
      ++end;
    return end;
  };
  auto record_key = [](const KeySize& r) { return r.key; };
  auto local_key = [](const std::pair<SpaceTimeKey, Bytes>& p) { return p.first; };
  std::vector<std::size_t> pos(from.size(), 0);  // root: each rank's first item not yet received
  const std::size_t limit = std::max<std::size_t>(1, detail::message_limit());
  MPI_Comm comm = data_comm();
  constexpr int kTag = 7;  // trellis makes no other point-to-point calls on the data communicator
  std::vector<MPI_Request> reqs;
  // Posts the transfer of `bytes` at `at` in pieces of at most `limit` bytes.
  auto post = [&](std::byte* at, std::size_t bytes, int peer, bool send) {
    for (std::size_t off = 0; off < bytes; off += limit) {
      const int c = static_cast<int>(std::min(limit, bytes - off));
      reqs.emplace_back();
      if (send)
        MPI_Isend(at + off, c, MPI_BYTE, peer, kTag, comm, &reqs.back());
      else
        MPI_Irecv(at + off, c, MPI_BYTE, peer, kTag, comm, &reqs.back());
    }
  };
  std::size_t next = 0;  // first local item not yet sent or delivered
  for (std::size_t i = 0; i < cuts.size(); ++i) {
    const std::size_t end = round_end(local, next, i, local_key);
    std::vector<std::size_t> ends(from.size());
    // The messages of the round, and on root a buffer per item received (not zero-filled).
    std::size_t pieces = 0;
    std::vector<std::unique_ptr<std::byte[]>> bufs;
    if (me == root) {
      for (int r = 0; r < n; ++r) {
        ends[r] = round_end(from[r], pos[r], i, record_key);
        if (r == root) continue;
        for (std::size_t j = pos[r]; j < ends[r]; ++j) {
          pieces += (from[r][j].bytes + limit - 1) / limit;
          bufs.push_back(std::make_unique_for_overwrite<std::byte[]>(from[r][j].bytes));
        }
      }
    } else {
      for (std::size_t j = next; j < end; ++j) pieces += (local[j].second.size() + limit - 1) / limit;
    }
    reqs.clear();
    reqs.reserve(pieces);
    check_in();
    guarded("gather_ordered_bytes", [&] {
      if (me == root) {
        std::size_t b = 0;
        for (int r = 0; r < n; ++r)
          if (r != root)
            for (std::size_t j = pos[r]; j < ends[r]; ++j) post(bufs[b++].get(), from[r][j].bytes, r, false);
      } else {
        for (std::size_t j = next; j < end; ++j)
          post(const_cast<std::byte*>(local[j].second.data()), local[j].second.size(), root, true);
      }
      MPI_Waitall(static_cast<int>(reqs.size()), reqs.data(), MPI_STATUSES_IGNORE);
    });
    if (me != root) {
      std::size_t sent = 0;
      for (std::size_t j = next; j < end; ++j) sent += local[j].second.size();
      add_bytes_sent(sent);
      add_tiles_moved(end - next);
    } else {
      // (key, source rank, bytes) in global order, equal keys in rank order.
      std::vector<std::tuple<SpaceTimeKey, int, Bytes>> items;
      std::size_t b = 0;
      for (int r = 0; r < n; ++r) {
        if (r == root) {
          for (std::size_t j = next; j < end; ++j) items.emplace_back(local[j].first, root, local[j].second);
        } else {
          for (std::size_t j = pos[r]; j < ends[r]; ++j, ++b)
            items.emplace_back(from[r][j].key, r, Bytes(bufs[b].get(), from[r][j].bytes));
        }
        pos[r] = ends[r];
      }
      std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
        if (global_order_less(std::get<0>(a), std::get<0>(b))) return true;
        if (global_order_less(std::get<0>(b), std::get<0>(a))) return false;
        return std::get<1>(a) < std::get<1>(b);
      });
      for (const auto& [k, r, b] : items) on_root(k, b);
    }
    next = end;
  }
}

std::vector<SpaceTimeKey> allgather_keys(const TiledLayer& layer) {
  std::vector<SpaceTimeKey> mine;
  mine.reserve(layer.tiles.size());
  for (const auto& kv : layer.tiles) mine.push_back(kv.first);
  std::vector<SpaceTimeKey> all = allgatherv_values(mine);
  std::sort(all.begin(), all.end(), global_order_less);
  return all;
}

}  // namespace trellis::mpi
