#include "dist/gather.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <tuple>

#include "dist/collectives.hpp"
#include "dist/runtime.hpp"
#include "dist/serialize.hpp"
#include "dist/stats.hpp"

namespace trellis::dist {

bool global_order_less(const SpaceTimeKey& a, const SpaceTimeKey& b) {
  return std::tie(a.instant, a.row, a.col) < std::tie(b.instant, b.row, b.col);
}

namespace {

struct KeySize {
  SpaceTimeKey key;
  std::uint64_t bytes = 0;
};

}  // namespace

void gather_ordered(const TiledLayer& layer, int root, std::size_t round_bytes,
                    const std::function<void(const SpaceTimeKey&, const Tile&)>& on_root) {
  const int n = Runtime::size();
  const int me = Runtime::rank();
  if (root < 0 || root >= n) throw std::out_of_range("gather_ordered: bad root rank " + std::to_string(root));

  // This rank's tiles in global order, and their sizes.
  std::vector<std::pair<SpaceTimeKey, const Tile*>> local;
  local.reserve(layer.tiles.size());
  for (const auto& [k, t] : layer.tiles) local.emplace_back(k, &t);
  std::sort(local.begin(), local.end(),
            [](const auto& a, const auto& b) { return global_order_less(a.first, b.first); });
  std::vector<KeySize> sizes;
  sizes.reserve(local.size());
  for (const auto& [k, t] : local) sizes.push_back({k, kKeyBytes + tile_bytes(*t)});

  // Root plans the rounds: the first key of each round, broadcast to every rank.
  std::vector<std::byte> plan;
  {
    std::vector<std::size_t> counts;
    auto all = gatherv_bytes(std::as_bytes(std::span<const KeySize>(sizes)), root, &counts);
    if (me == root) {
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
      }
      plan.resize(cuts.size() * sizeof(SpaceTimeKey));
      if (!cuts.empty()) std::memcpy(plan.data(), cuts.data(), plan.size());
    }
  }
  broadcast_bytes(plan, root);
  std::vector<SpaceTimeKey> cuts(plan.size() / sizeof(SpaceTimeKey));
  if (!cuts.empty()) std::memcpy(cuts.data(), plan.data(), plan.size());

  // Rounds: round i holds the keys in [cuts[i], cuts[i + 1]).
  std::size_t next = 0;  // first local tile not yet sent
  for (std::size_t i = 0; i < cuts.size(); ++i) {
    std::size_t end = next;
    while (end < local.size() && (i + 1 == cuts.size() || global_order_less(local[end].first, cuts[i + 1])))
      ++end;
    std::vector<std::byte> buf;
    std::uint64_t tiles_sent = 0;
    if (me != root) {
      ByteWriter w(buf);
      for (std::size_t j = next; j < end; ++j) {
        write_key(w, local[j].first);
        write_tile(w, *local[j].second);
        ++tiles_sent;
      }
    }
    std::vector<std::size_t> counts;
    auto all = gatherv_bytes(buf, root, &counts);
    add_bytes_sent(buf.size());
    add_tiles_moved(tiles_sent);
    if (me == root) {
      // (key, source rank, tile): root's own tiles by pointer, the others decoded.
      std::vector<Tile> decoded;
      std::vector<std::tuple<SpaceTimeKey, int, const Tile*>> items;
      std::vector<std::pair<SpaceTimeKey, int>> decoded_keys;
      std::size_t off = 0;
      for (int s = 0; s < n; ++s) {
        ByteReader r(std::span<const std::byte>(all.data() + off, counts[s]));
        off += counts[s];
        while (!r.at_end()) {
          SpaceTimeKey k = read_key(r);
          decoded.push_back(read_tile(r));
          decoded_keys.emplace_back(k, s);
        }
      }
      std::vector<std::byte>().swap(all);
      for (std::size_t j = 0; j < decoded.size(); ++j)
        items.emplace_back(decoded_keys[j].first, decoded_keys[j].second, &decoded[j]);
      for (std::size_t j = next; j < end; ++j) items.emplace_back(local[j].first, root, local[j].second);
      std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
        if (global_order_less(std::get<0>(a), std::get<0>(b))) return true;
        if (global_order_less(std::get<0>(b), std::get<0>(a))) return false;
        return std::get<1>(a) < std::get<1>(b);
      });
      for (const auto& [k, s, t] : items) on_root(k, *t);
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

}  // namespace trellis::dist
