// The render slots of the tile server: never more holders than slots, and waiters admitted in the order
// they arrived.
#include "serve/fifo_slots.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace trellis::serve {
namespace {

void wait_until(const std::function<bool()>& ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!ready()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "timed out";
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

TEST(FifoSlots, NeverAdmitsMoreHoldersThanSlots) {
  FifoSlots slots(3);
  std::atomic<int> holders{0}, most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        SlotGuard guard(slots);
        const int now = ++holders;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        --holders;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_LE(most.load(), 3);
  EXPECT_GE(most.load(), 1);
  EXPECT_EQ(slots.waiting(), 0u);
}

TEST(FifoSlots, AdmitsWaitersInArrivalOrder) {
  FifoSlots slots(1);
  slots.acquire();  // every thread below has to wait
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::thread> threads;
  constexpr int kWaiters = 12;
  for (int i = 0; i < kWaiters; ++i) {
    threads.emplace_back([&, i] {
      SlotGuard guard(slots);
      std::lock_guard lock(mu);
      order.push_back(i);
    });
    // The next thread starts only once this one waits, so arrival order is i's order.
    wait_until([&] { return slots.waiting() == static_cast<std::size_t>(i + 1); });
  }
  slots.release();
  for (auto& t : threads) t.join();
  std::vector<int> expected;
  for (int i = 0; i < kWaiters; ++i) expected.push_back(i);
  EXPECT_EQ(order, expected);
  // The slot came back: a new caller gets it at once.
  slots.acquire();
  EXPECT_EQ(slots.waiting(), 0u);
  slots.release();
}

TEST(FifoSlots, ReleaseHandsTheSlotToTheFirstWaiter) {
  // Two slots, both held, one waiter: a release admits the waiter at once, and the next release frees
  // a slot that a new caller takes without waiting.
  FifoSlots slots(2);
  slots.acquire();
  slots.acquire();
  std::atomic<int> admitted{0};
  std::thread first([&] {
    SlotGuard guard(slots);
    ++admitted;
    wait_until([&] { return admitted.load() == 2; });
  });
  wait_until([&] { return slots.waiting() == 1; });
  slots.release();
  wait_until([&] { return admitted.load() == 1; });
  EXPECT_EQ(slots.waiting(), 0u);
  slots.release();
  slots.acquire();  // the second slot, free: no wait
  ++admitted;
  first.join();
  slots.release();
}

}  // namespace
}  // namespace trellis::serve
