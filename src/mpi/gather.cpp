#include "mpi/gather.hpp"

#include <algorithm>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>

#include "mpi/collectives.hpp"
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
std::vector<SpaceTimeKey> plan_rounds(const std::vector<KeySize>& sizes, int root, std::size_t round_bytes,
                                      std::size_t& largest) {
  largest = 0;
  std::vector<std::byte> plan;
  {
    std::vector<std::size_t> counts;
    auto all = gatherv_bytes(std::as_bytes(std::span<const KeySize>(sizes)), root, &counts);
    if (Runtime::rank() == root) {
      std::vector<KeySize> recs(all.size() / sizeof(KeySize));
      if (!recs.empty()) std::memcpy(recs.data(), all.data(), recs.size() * sizeof(KeySize));
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

// The ordered gather of items of type Item (a Tile, or bytes): `local` holds this rank's items, sorted in
// global order; size(item) is its encoded size without the key; put(writer, item) encodes it; get(reader)
// decodes one; deliver(key, item) runs on root in global order (rank order for equal keys).
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
  // The items travel as spans: root delivers the others' bytes from the receive buffer, not from copies.
  using Bytes = std::span<const std::byte>;
  std::vector<Bytes> spans;
  spans.reserve(local_items.size());
  for (const auto& kb : local_items) spans.emplace_back(kb.bytes);
  std::vector<std::pair<SpaceTimeKey, const Bytes*>> local;
  local.reserve(local_items.size());
  for (std::size_t i = 0; i < local_items.size(); ++i) local.emplace_back(local_items[i].key, &spans[i]);
  sort_global(local);
  gather_rounds<Bytes>(
      local, root, round_bytes, [](const Bytes& b) { return sizeof(std::uint64_t) + b.size(); },
      [](ByteWriter& w, const Bytes& b) {
        w.put<std::uint64_t>(b.size());
        w.put_bytes(b.data(), b.size());
      },
      [](ByteReader& r) { return r.get_bytes(r.get<std::uint64_t>()); },
      [&](const SpaceTimeKey& k, const Bytes& b) { on_root(k, b); });
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
