#include "serve/tile_cache.hpp"

#include <cstdio>
#include <exception>
#include <utility>

namespace trellis::serve {

std::string etag_of(std::string_view bytes) {
  // FNV-1a over the length then the bytes: enough to tell versions of a tile apart (an ETag is not a
  // defence against a forger), and stable, unlike std::hash.
  constexpr std::uint64_t kPrime = 0x100000001b3ULL;
  std::uint64_t h = 0xcbf29ce484222325ULL;
  std::uint64_t n = bytes.size();
  for (int i = 0; i < 8; ++i) {
    h = (h ^ ((n >> (8 * i)) & 0xff)) * kPrime;
  }
  for (unsigned char c : bytes) {
    h = (h ^ c) * kPrime;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

TileCache::TileCache(std::size_t capacity_bytes) : capacity_(capacity_bytes) {}

TileCache::Tile TileCache::touch(Lru::iterator it) {
  lru_.splice(lru_.begin(), lru_, it);
  return it->tile;
}

void TileCache::insert(const std::string& key, Tile tile) {
  const std::size_t c = charge(key, *tile);
  if (c > capacity_) return;  // would evict everything and still not fit
  if (auto found = index_.find(key); found != index_.end()) {
    // Only clear() between the lookup and the insert can lead here without an entry; a present entry
    // is replaced by the newer rendering.
    bytes_ -= found->second->charge;
    auto old = found->second;
    index_.erase(found);
    lru_.erase(old);
  }
  while (bytes_ + c > capacity_ && !lru_.empty()) {
    Entry& victim = lru_.back();
    bytes_ -= victim.charge;
    index_.erase(victim.key);
    lru_.pop_back();
    ++counters_.evictions;
  }
  lru_.push_front(Entry{key, std::move(tile), c});
  index_.emplace(lru_.front().key, lru_.begin());
  bytes_ += c;
}

TileCache::Result TileCache::get_or_render(const std::string& key,
                                           const std::function<EncodedTile()>& render) {
  std::promise<Tile> promise;
  {
    std::unique_lock lock(mu_);
    if (auto it = index_.find(key); it != index_.end()) {
      ++counters_.hits;
      return {touch(it->second), Outcome::kHit};
    }
    if (auto it = in_flight_.find(key); it != in_flight_.end()) {
      std::shared_future<Tile> pending = it->second;
      ++counters_.waits;
      lock.unlock();
      return {pending.get(), Outcome::kWait};  // rethrows the renderer's exception
    }
    in_flight_.emplace(key, promise.get_future().share());
    ++counters_.misses;
  }

  // Rendering without the lock: other keys are served meanwhile.
  Tile tile;
  std::exception_ptr failure;
  try {
    tile = std::make_shared<const EncodedTile>(render());
  } catch (...) {
    failure = std::current_exception();
  }
  {
    std::lock_guard lock(mu_);
    in_flight_.erase(key);
    if (failure) {
      ++counters_.failures;
    } else {
      insert(key, tile);
    }
  }
  // Waiters are released after the entry is in place, so a request arriving now finds it cached.
  if (failure) {
    promise.set_exception(failure);
    std::rethrow_exception(failure);
  }
  promise.set_value(tile);
  return {std::move(tile), Outcome::kMiss};
}

TileCache::Tile TileCache::find(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  ++counters_.hits;
  return touch(it->second);
}

void TileCache::clear() {
  std::lock_guard lock(mu_);
  index_.clear();
  lru_.clear();
  bytes_ = 0;
}

TileCache::Stats TileCache::stats() const {
  std::lock_guard lock(mu_);
  Stats s = counters_;
  s.entries = lru_.size();
  s.bytes = bytes_;
  s.capacity = capacity_;
  return s;
}

}  // namespace trellis::serve
