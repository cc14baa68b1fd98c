#pragma once
// Process-wide communication counters (this rank) that the executor reads per step, and peak memory.
// exchange(), halo_exchange() and gather_ordered() add to them.
#include <cstdint>

namespace trellis::mpi {

struct CommStats {
  std::uint64_t bytes_sent = 0;   // bytes this rank sent to other ranks (never to itself)
  std::uint64_t tiles_moved = 0;  // tiles / pieces / strips this rank sent to other ranks
};

// A snapshot of the counters since the start (or the last reset_stats()).
CommStats stats();
void reset_stats();
void add_bytes_sent(std::uint64_t bytes);
void add_tiles_moved(std::uint64_t tiles);

// Peak resident set size of this process (VmHWM of /proc/self/status), in bytes; 0 if unknown.
std::uint64_t peak_rss_bytes();
// Current resident set size (VmRSS), in bytes; 0 if unknown.
std::uint64_t current_rss_bytes();

}  // namespace trellis::mpi
