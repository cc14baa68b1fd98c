#pragma once
// The tile server's cache of encoded tiles: least recently used entries are evicted to keep the total
// charge (see TileCache::charge) within a bound in bytes. Thread-safe, and rendering happens outside
// its lock: a request for a tile that another thread is rendering waits for that rendering instead of
// rendering the tile a second time ("single flight"), so a burst of requests for a new tile (a browser
// and a tile prefetcher, or many users opening the same view) costs one rendering.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace trellis::serve {

// An encoded tile and its HTTP entity tag.
struct EncodedTile {
  std::string bytes;  // PNG
  std::string etag;   // quoted, e.g. "\"0123456789abcdef\""
};

// The quoted ETag of `bytes`: a 64-bit FNV-1a hash of the length and the bytes, in hex. Stable across
// runs and builds (a client's cached tile stays valid after a restart if the tile is unchanged).
// Deterministic, thread-safe; throws only std::bad_alloc.
std::string etag_of(std::string_view bytes);

class TileCache {
 public:
  using Tile = std::shared_ptr<const EncodedTile>;

  // Bookkeeping per entry (list and hash nodes, the shared tile's control block, string headers),
  // counted in an entry's charge so that many tiny tiles cannot exceed the bound in real memory.
  static constexpr std::size_t kEntryOverhead = 160;

  // Counters since construction (entries/bytes: now).
  struct Stats {
    std::uint64_t hits = 0;       // answered from the cache
    std::uint64_t misses = 0;     // rendered (whether or not then kept)
    std::uint64_t waits = 0;      // waited for another thread's rendering of the same key
    std::uint64_t evictions = 0;  // entries dropped to make room
    std::uint64_t failures = 0;   // renderings that threw (never cached)
    std::size_t entries = 0;
    std::size_t bytes = 0;  // sum of the entries' charges, always <= capacity
    std::size_t capacity = 0;
  };

  enum class Outcome { kHit, kMiss, kWait };
  struct Result {
    Tile tile;  // never null
    Outcome outcome;
  };

  // A cache holding at most `capacity_bytes` of charge; 0 disables keeping tiles (renderings of the
  // same key are still shared while in flight). Throws nothing but std::bad_alloc.
  explicit TileCache(std::size_t capacity_bytes);
  TileCache(const TileCache&) = delete;
  TileCache& operator=(const TileCache&) = delete;

  // What an entry costs against the capacity: key + tile bytes + etag + kEntryOverhead.
  static std::size_t charge(std::string_view key, const EncodedTile& tile) {
    return key.size() + tile.bytes.size() + tile.etag.size() + kEntryOverhead;
  }

  // The tile under `key`: from the cache (kHit, and it becomes the most recently used entry), from a
  // rendering of the same key already in flight in another thread (kWait: blocks until it ends), or
  // from `render()` called in this thread without the cache's lock held (kMiss); a rendered tile is
  // kept when its charge fits in the capacity, evicting least recently used entries as needed.
  // An exception thrown by render() propagates to this caller and to the callers waiting for it
  // (the same exception object); nothing is cached then, and the next request renders again.
  // Thread-safe. `render` must not call back into this cache with the same key (it would wait for
  // itself).
  Result get_or_render(const std::string& key, const std::function<EncodedTile()>& render);

  // The cached tile under `key` (counted as a hit and made most recent), or null (not counted).
  // Thread-safe.
  Tile find(const std::string& key);

  // Drops every entry (counters are kept). Thread-safe; renderings in flight are kept when they end.
  void clear();

  Stats stats() const;  // thread-safe
  std::size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    std::string key;
    Tile tile;
    std::size_t charge;
  };
  using Lru = std::list<Entry>;  // front: most recently used

  // Under mu_: moves `it` to the front and returns its tile.
  Tile touch(Lru::iterator it);
  // Under mu_: inserts (or replaces) key's entry and evicts from the back while over capacity.
  void insert(const std::string& key, Tile tile);

  const std::size_t capacity_;
  mutable std::mutex mu_;
  Lru lru_;
  // Keys view the entries' own key strings (list nodes do not move).
  std::unordered_map<std::string_view, Lru::iterator> index_;
  std::unordered_map<std::string, std::shared_future<Tile>> in_flight_;
  std::size_t bytes_ = 0;
  Stats counters_;
};

}  // namespace trellis::serve
