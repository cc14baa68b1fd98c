#pragma once
// A counting semaphore that admits its waiters in arrival order, for the tile server's render slots.
// std::counting_semaphore promises no order: under load some requests would wait far longer than others,
// and the server's p99 latency is what its users see.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>

namespace trellis::serve {

class FifoSlots {
 public:
  // n slots; n >= 1 (the server checks its --threads before building one).
  explicit FifoSlots(int n) : free_(n) {}
  FifoSlots(const FifoSlots&) = delete;
  FifoSlots& operator=(const FifoSlots&) = delete;

  // Takes a slot, waiting behind every earlier caller still waiting. Thread-safe; throws only what
  // std::mutex and std::condition_variable throw (std::system_error).
  void acquire() {
    std::unique_lock lock(mu_);
    if (free_ > 0 && waiters_.empty()) {
      --free_;
      return;
    }
    Waiter self;
    waiters_.push_back(&self);
    self.cv.wait(lock, [&] { return self.granted; });
  }

  // Gives a slot back: straight to the first waiter, waking that one thread only. One condition
  // variable broadcast to all waiters woke ~30 threads per tile at 32 connections, and that futex
  // traffic took a quarter of the server's CPU. Thread-safe; noexcept in practice (std::system_error
  // from the mutex only).
  void release() {
    std::lock_guard lock(mu_);
    if (waiters_.empty()) {
      ++free_;
      return;
    }
    Waiter* next = waiters_.front();
    waiters_.pop_front();
    next->granted = true;
    // Notified under the lock: the waiter's frame (and its cv) lives until it has seen `granted`.
    next->cv.notify_one();
  }

  // How many callers wait in acquire() now. Thread-safe; a snapshot, for tests and diagnostics.
  std::size_t waiting() const {
    std::lock_guard lock(mu_);
    return waiters_.size();
  }

 private:
  struct Waiter {
    std::condition_variable cv;
    bool granted = false;
  };
  mutable std::mutex mu_;
  std::deque<Waiter*> waiters_;
  int free_;
};

// Holds one slot of a FifoSlots for its lifetime.
class SlotGuard {
 public:
  explicit SlotGuard(FifoSlots& slots) : slots_(slots) { slots_.acquire(); }
  ~SlotGuard() { slots_.release(); }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;

 private:
  FifoSlots& slots_;
};

}  // namespace trellis::serve
