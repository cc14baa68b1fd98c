// The tile server's LRU cache: the bound in bytes, the LRU order, single-flight rendering, failures.
#include "serve/tile_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace trellis::serve {
namespace {

EncodedTile make_tile(std::size_t n, char fill = 'x') {
  std::string bytes(n, fill);
  std::string etag = etag_of(bytes);
  return {std::move(bytes), std::move(etag)};
}

TEST(Etag, StableQuotedAndDistinct) {
  EXPECT_EQ(etag_of("abc"), etag_of("abc"));
  EXPECT_NE(etag_of("abc"), etag_of("abd"));
  EXPECT_NE(etag_of(""), etag_of(std::string(1, '\0')));
  const std::string e = etag_of("tile");
  ASSERT_EQ(e.size(), 18u);
  EXPECT_EQ(e.front(), '"');
  EXPECT_EQ(e.back(), '"');
  // FNV-1a is fixed: the same bytes give the same tag in every build and run.
  EXPECT_EQ(etag_of(""), "\"" + std::string("a8c7f832281a39c5") + "\"");
}

TEST(TileCache, HitsAfterAMissAndCountsBytes) {
  TileCache cache(1 << 20);
  int renders = 0;
  auto render = [&] {
    ++renders;
    return make_tile(1000);
  };
  auto a = cache.get_or_render("k", render);
  EXPECT_EQ(a.outcome, TileCache::Outcome::kMiss);
  auto b = cache.get_or_render("k", render);
  EXPECT_EQ(b.outcome, TileCache::Outcome::kHit);
  EXPECT_EQ(a.tile, b.tile);
  EXPECT_EQ(renders, 1);
  const TileCache::Stats s = cache.stats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.entries, 1u);
  EXPECT_EQ(s.bytes, TileCache::charge("k", *a.tile));
  EXPECT_EQ(s.capacity, std::size_t{1} << 20);
}

TEST(TileCache, StaysWithinTheBoundAndEvictsLeastRecentlyUsed) {
  const std::size_t per = TileCache::charge("key00", make_tile(1000));
  TileCache cache(per * 5 + per / 2);  // room for 5
  auto key = [](int i) { return "key" + std::string(i < 10 ? "0" : "") + std::to_string(i); };
  for (int i = 0; i < 5; ++i) cache.get_or_render(key(i), [] { return make_tile(1000); });
  EXPECT_EQ(cache.stats().entries, 5u);
  ASSERT_NE(cache.find(key(0)), nullptr);  // key0 becomes the most recent: key1 is now the oldest
  cache.get_or_render(key(5), [] { return make_tile(1000); });
  EXPECT_EQ(cache.find(key(1)), nullptr);
  EXPECT_NE(cache.find(key(0)), nullptr);
  for (int i = 6; i < 40; ++i) {
    cache.get_or_render(key(i), [] { return make_tile(1000); });
    const TileCache::Stats s = cache.stats();
    ASSERT_LE(s.bytes, s.capacity);
    ASSERT_LE(s.entries, 5u);
  }
  EXPECT_EQ(cache.stats().evictions, 35u);
}

TEST(TileCache, KeepsNothingLargerThanItsCapacity) {
  TileCache cache(500);
  auto r = cache.get_or_render("big", [] { return make_tile(1000); });
  EXPECT_EQ(r.tile->bytes.size(), 1000u);
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().bytes, 0u);
  EXPECT_EQ(cache.get_or_render("big", [] { return make_tile(1000); }).outcome, TileCache::Outcome::kMiss);

  TileCache off(0);  // caching disabled
  off.get_or_render("a", [] { return make_tile(1); });
  EXPECT_EQ(off.stats().entries, 0u);
}

TEST(TileCache, ConcurrentRequestsForOneTileRenderOnce) {
  TileCache cache(1 << 20);
  std::atomic<int> renders{0};
  std::atomic<bool> release{false};
  std::vector<std::thread> threads;
  std::atomic<int> waits{0}, misses{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      auto r = cache.get_or_render("same", [&] {
        ++renders;
        while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return make_tile(100);
      });
      (r.outcome == TileCache::Outcome::kWait ? waits : misses)++;
    });
  }
  // Let every thread reach the cache while the first rendering is held back.
  while (cache.stats().waits + cache.stats().misses < 8)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  release = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(renders, 1);
  EXPECT_EQ(misses, 1);
  EXPECT_EQ(waits, 7);
}

TEST(TileCache, FailuresReachEveryWaiterAndAreNotCached) {
  TileCache cache(1 << 20);
  std::atomic<bool> release{false};
  std::atomic<int> caught{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      try {
        cache.get_or_render("bad", [&]() -> EncodedTile {
          while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
          throw std::runtime_error("render failed");
        });
      } catch (const std::runtime_error& e) {
        if (std::string(e.what()) == "render failed") ++caught;
      }
    });
  }
  while (cache.stats().waits + cache.stats().misses < 4)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  release = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(caught, 4);
  EXPECT_EQ(cache.stats().failures, 1u);
  EXPECT_EQ(cache.stats().entries, 0u);
  // The next request renders again, and succeeds.
  auto r = cache.get_or_render("bad", [] { return make_tile(10); });
  EXPECT_EQ(r.outcome, TileCache::Outcome::kMiss);
  EXPECT_EQ(cache.stats().entries, 1u);
}

TEST(TileCache, ClearDropsEntriesKeepsCounters) {
  TileCache cache(1 << 20);
  cache.get_or_render("a", [] { return make_tile(10); });
  cache.get_or_render("a", [] { return make_tile(10); });
  cache.clear();
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().bytes, 0u);
  EXPECT_EQ(cache.stats().hits, 1u);
  EXPECT_EQ(cache.find("a"), nullptr);
}

}  // namespace
}  // namespace trellis::serve
