#pragma once
// Progress of the running step, reported on stderr by rank 0: periodic lines with items done/total,
// rate and elapsed time (every `interval` seconds at most). Ops call begin() and advance(); ranks
// other than 0 count silently.
#include <atomic>
#include <chrono>
#include <string>

#include "job/log.hpp"

namespace trellis::job {

class Progress {
 public:
  Progress(Logger& log, std::string label, double interval_seconds = 5.0)
      : log_(log), label_(std::move(label)), interval_(interval_seconds) {}

  // `total` items (this rank's share) named `unit` ("windows", "tiles").
  void begin(std::size_t total, std::string unit);
  // Thread-safe.
  void advance(std::size_t n = 1);
  std::size_t done() const { return done_; }
  // True when this rank was asked to stop (mpi/signals.hpp): a long local loop may skip its remaining
  // work, provided the next thing the op does is a collective (which then stops every rank, in step)
  // and it commits no output in between.
  bool stop_requested() const;

 private:
  Logger& log_;
  std::string label_, unit_;
  double interval_;
  std::size_t total_ = 0;
  std::atomic<std::size_t> done_{0};
  std::chrono::steady_clock::time_point start_, last_;
  std::atomic_flag printing_ = ATOMIC_FLAG_INIT;
};

}  // namespace trellis::job
