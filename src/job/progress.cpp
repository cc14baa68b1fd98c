#include "job/progress.hpp"

#include <cstdio>

#include "mpi/signals.hpp"

namespace trellis::job {

void Progress::begin(std::size_t total, std::string unit) {
  total_ = total;
  unit_ = std::move(unit);
  done_ = 0;
  start_ = last_ = std::chrono::steady_clock::now();
}

void Progress::advance(std::size_t n) {
  std::size_t done = done_.fetch_add(n) + n;
  if (log_.rank() != 0 || log_.level() > LogLevel::Info) return;
  auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - last_).count() < interval_) return;
  if (printing_.test_and_set()) return;  // another thread is reporting
  if (std::chrono::duration<double>(now - last_).count() >= interval_) {
    last_ = now;
    double elapsed = std::chrono::duration<double>(now - start_).count();
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s: %zu/%zu %s on rank 0 (%.0f%%), %.1f %s/s, %.1f s elapsed",
                  label_.c_str(), done, total_, unit_.c_str(),
                  total_ ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0,
                  elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0, unit_.c_str(), elapsed);
    log_.info(
        buf,
        {{"event", "progress"}, {"done", done}, {"total", total_}, {"unit", unit_}, {"elapsed_s", elapsed}});
  }
  printing_.clear();
}

bool Progress::stop_requested() const {
  return mpi::stop_requested();
}

}  // namespace trellis::job
