#pragma once
// Helpers for end-to-end tests: write a job into a temporary folder and run it on N ranks.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "util/test_util.hpp"

namespace trellis::test {

// Runs `trellis run job.yaml` in `dir` (the job text is written there first) on np ranks.
inline RunResult run_job_text(const TempDir& dir, const std::string& yaml, int np,
                              const std::string& extra = "") {
  write_file(dir / "job.yaml", yaml);
  return run_trellis("run '" + (dir / "job.yaml").string() + "' " + extra, np);
}

// Runs, in `dir` on np ranks, read_geotiff of `src`, tile_to_layout with `tile_size`, then `steps` (YAML
// list items, indented as steps: "  - op: ...\n    ...\n"), then write_geotiff to dir/out.tif.
inline RunResult run_tiled_to_out(const TempDir& dir, const fs::path& src, int tile_size,
                                  const std::string& steps, int np) {
  return run_job_text(dir,
                      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: " + src.string() +
                          "\n  - op: tile_to_layout\n    tile_size: " + std::to_string(tile_size) + "\n" +
                          steps + "  - op: write_geotiff\n    uri: out.tif\n",
                      np);
}

// Starts `trellis run JOB --log-level warn` (one process, in its own process group) and kills it with
// SIGKILL as soon as `ready()` holds (polled every 5 ms, for at most 30 s). Returns whether it was
// killed by that signal (false: it ended first, or ended otherwise).
inline bool run_and_kill_when(const fs::path& job, const std::function<bool()>& ready) {
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    ::setpgid(0, 0);
    ::execl(TRELLIS_BINARY, TRELLIS_BINARY, "run", job.c_str(), "--log-level", "warn",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  bool killed = false;
  for (int i = 0; i < 6000 && !killed; ++i) {
    if (ready()) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

// The bytes of a file written on several rank counts, which must all be the first one's.
class SameOnEveryRankCount {
 public:
  void check(const fs::path& file, int np) {
    const std::string bytes = read_file(file);
    if (first_np_ == 0) {
      first_ = bytes, first_np_ = np;
      return;
    }
    EXPECT_TRUE(bytes == first_) << file << " on " << np << " rank(s) differs from " << first_np_
                                 << " rank(s)";
  }

 private:
  std::string first_;
  int first_np_ = 0;
};

// The lines trellis itself printed on stderr ("trellis: ...").
inline std::vector<std::string> trellis_lines(const std::string& err) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < err.size()) {
    std::size_t nl = err.find('\n', pos);
    std::string line = err.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (line.rfind("trellis: ", 0) == 0) out.push_back(line);
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return out;
}

// What the ranks' debug lines of a shared step say (mpi::share_work: "<marker> N own and M other ...;
// shipped K to other ranks"): how many lines, and the sums of M (done for others) and K (shipped).
struct SharedCounts {
  int ranks = 0;
  long foreign = 0, shipped = 0;
};
inline SharedCounts shared_counts(const std::string& err, const std::string& marker) {
  SharedCounts s;
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);) {
    const auto at = line.find(marker);
    if (at == std::string::npos) continue;
    ++s.ranks;
    if (const auto o = line.find(" own and ", at); o != std::string::npos)
      s.foreign += std::stol(line.substr(o + 9));
    if (const auto k = line.find("shipped ", at); k != std::string::npos)
      s.shipped += std::stol(line.substr(k + 8));
  }
  return s;
}

inline nlohmann::json read_json(const fs::path& p) {
  return nlohmann::json::parse(read_file(p));
}

// The real sample data fetched by scripts/fetch-data.sh; skips the test when it is missing.
#define TRELLIS_REQUIRE_DATA(name)                                                                \
  do {                                                                                            \
    if (!fs::exists(::trellis::test::data_dir() / (name)))                                        \
      GTEST_SKIP() << "sample data " << (name) << " not found in " << ::trellis::test::data_dir() \
                   << " (run scripts/fetch-data.sh)";                                             \
  } while (0)

#define TRELLIS_REQUIRE_SHARED()                                                             \
  do {                                                                                       \
    if (!::trellis::test::shared_dir()) GTEST_SKIP() << "../shared is absent: test skipped"; \
  } while (0)

}  // namespace trellis::test
