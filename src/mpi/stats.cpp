#include "mpi/stats.hpp"

#include <atomic>
#include <cstdio>
#include <cstring>

namespace trellis::mpi {

namespace {

std::atomic<std::uint64_t> g_bytes_sent{0};
std::atomic<std::uint64_t> g_tiles_moved{0};

// Reads "<field>:   <n> kB" from /proc/self/status.
std::uint64_t proc_status_kb(const char* field) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  std::uint64_t kb = 0;
  const std::size_t len = std::strlen(field);
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, field, len) == 0 && line[len] == ':') {
      unsigned long long v = 0;
      if (std::sscanf(line + len + 1, "%llu", &v) == 1) kb = v;
      break;
    }
  }
  std::fclose(f);
  return kb;
}

}  // namespace

CommStats stats() {
  return {g_bytes_sent.load(), g_tiles_moved.load()};
}

void reset_stats() {
  g_bytes_sent = 0;
  g_tiles_moved = 0;
}

void add_bytes_sent(std::uint64_t bytes) {
  g_bytes_sent += bytes;
}
void add_tiles_moved(std::uint64_t tiles) {
  g_tiles_moved += tiles;
}

std::uint64_t peak_rss_bytes() {
  return proc_status_kb("VmHWM") * 1024;
}
std::uint64_t current_rss_bytes() {
  return proc_status_kb("VmRSS") * 1024;
}

}  // namespace trellis::mpi
