// Stopping a run with a signal (mpi/signals.hpp): every rank stops at the same safe point, exit status
// 3, one line saying which steps finished, and no output left looking complete. Under mpirun, SIGUSR1
// sent to mpirun is forwarded to the ranks; SIGTERM to a rank (what srun and Slurm send) directly.
#include <gdal_priv.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <thread>

#include "e2e/e2e_util.hpp"

extern char** environ;

namespace trellis::test {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A 6000 x 4000 Float32 raster of pseudo-random values (so that compressing it takes a while), made
// once and kept beside the test executable (in the build tree).
fs::path big_source() {
  const fs::path p = fs::read_symlink("/proc/self/exe").parent_path() / "e2e-signals-6000x4000-v1.tif";
  if (fs::exists(p)) return p;
  GDALAllRegister();
  const fs::path part = p.string() + ".part-" + std::to_string(::getpid());
  const int cols = 6000, rows = 4000;
  {
    char** co = nullptr;
    co = CSLSetNameValue(co, "TILED", "YES");
    GDALDataset* ds = GetGDALDriverManager()->GetDriverByName("GTiff")->Create(part.c_str(), cols, rows, 1,
                                                                               GDT_Float32, co);
    CSLDestroy(co);
    if (!ds) throw std::runtime_error("cannot create " + part.string());
    double gt[6] = {-60, 0.01, 0, 20, 0, -0.01};
    ds->SetGeoTransform(gt);
    OGRSpatialReference srs;
    srs.importFromEPSG(4326);
    ds->SetSpatialRef(&srs);
    ds->GetRasterBand(1)->SetNoDataValue(-9999);
    std::vector<float> row(cols);
    std::uint64_t h = 88172645463325252ULL;
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        h ^= h << 13;
        h ^= h >> 7;
        h ^= h << 17;
        row[c] = static_cast<float>(h % 100000) / 100.0f;
      }
      if (ds->GetRasterBand(1)->RasterIO(GF_Write, 0, r, cols, 1, row.data(), cols, 1, GDT_Float32, 0, 0) !=
          CE_None)
        throw std::runtime_error("cannot write " + part.string());
    }
    GDALClose(ds);
  }
  fs::rename(part, p);
  return p;
}

// Tiling resamples (zoomed layout, Lanczos kernel) so that it takes seconds: long enough to be
// interrupted, however fast the machine.
const char* kJob = R"(version: 1
name: stop
steps:
  - id: src
    op: read_geotiff
    uri: SRC
  - id: tiled
    op: tile_to_layout
    tile_size: 256
    scheme: zoom
    resample_method: lanczos
    round_mb: 16
  - id: out
    op: write_geotiff
    uri: out/out.tif
    round_mb: 16
)";

// A command started in the background with its stderr going to a file.
class Background {
 public:
  Background(const std::string& cmd, const fs::path& err) : err_(err) {
    const std::string sh = "exec " + cmd + " >/dev/null 2>'" + err.string() + "' </dev/null";
    const char* argv[] = {"/bin/sh", "-c", sh.c_str(), nullptr};
    if (posix_spawn(&pid_, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) pid_ = -1;
  }
  ~Background() {
    if (pid_ > 0 && status_ < 0) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  bool started() const { return pid_ > 0; }
  // Waits until `pred(stderr so far)` holds; false if the process ended or `timeout` passed first.
  template <class P>
  bool wait_for(P pred, double timeout) {
    const auto t0 = Clock::now();
    while (since(t0) < timeout) {
      if (pred(read_err())) return true;
      if (exited()) return pred(read_err());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  bool wait_for_text(const std::string& needle, double timeout) {
    return wait_for([&](const std::string& s) { return s.find(needle) != std::string::npos; }, timeout);
  }
  void signal(int sig) { ::kill(pid_, sig); }
  // The exit status (128 + signal when killed), or -1 after `timeout` seconds.
  int wait_exit(double timeout) {
    const auto t0 = Clock::now();
    while (status_ < 0 && since(t0) < timeout) {
      exited();
      if (status_ < 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return status_;
  }
  std::string read_err() const { return fs::exists(err_) ? read_file(err_) : std::string(); }

 private:
  bool exited() {
    if (status_ >= 0) return true;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) != pid_) return false;
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return true;
  }
  pid_t pid_ = -1;
  int status_ = -1;
  fs::path err_;
};

// The files of a folder, hidden ones included.
std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + " ";
  return s;
}

class Signals : public testing::Test {
 protected:
  void SetUp() override {
    src = big_source();
    write_file(dir / "job.yaml", std::regex_replace(std::string(kJob), std::regex("SRC"), src.string()));
    // Rounds of 16 MiB (set in the job: the 640 MiB layer needs a budget above that), progress every
    // 0.1 s: a stop lands within a fraction of a second.
    write_file(dir / "site.yaml", "memory_per_rank: 2GiB\nprogress_interval: 0.1\n");
    fs::create_directories(dir / "out");
  }
  std::string command(int np) const {
    const std::string run = "'" + std::string(TRELLIS_BINARY) + "' run '" + (dir / "job.yaml").string() +
                            "' --config '" + (dir / "site.yaml").string() + "'";
    if (np <= 0) return run;
    return std::string(TRELLIS_MPIEXEC) + " -n " + std::to_string(np) +
           " --oversubscribe --allow-run-as-root " + run;
  }
  // Exit status 3, exactly one stop line (matching `line`), no output or temporary file left.
  void expect_clean_stop(Background& b, Clock::time_point signalled, const std::string& line) {
    const int status = b.wait_exit(60);
    const double took = since(signalled);
    const std::string err = b.read_err();
    EXPECT_EQ(status, 3) << err;
    EXPECT_LT(took, 10.0) << "every rank should stop within seconds\n" << err;
    int stop_lines = 0;
    for (const auto& l : trellis_lines(err))
      if (l.find("stopped by") != std::string::npos) {
        ++stop_lines;
        EXPECT_EQ(l, line);
      }
    EXPECT_EQ(stop_lines, 1) << err;
    EXPECT_TRUE(listing(dir / "out").empty()) << "left in out/: " << joined(listing(dir / "out"));
  }

  TempDir dir;
  fs::path src;
};

TEST_F(Signals, Sigusr1ToMpirunStopsEveryRankDuringAnExchange) {
  Background b(command(2), dir / "err.txt");
  ASSERT_TRUE(b.started());
  // A progress line of the tiling step: it is running, in exchange rounds.
  ASSERT_TRUE(b.wait_for_text("'tiled' (tile_to_layout): ", 120)) << b.read_err();
  b.signal(SIGUSR1);
  expect_clean_stop(b, Clock::now(),
                    "trellis: stopped by SIGUSR1 during step 2/3 'tiled' (tile_to_layout): finished: src; "
                    "not finished: tiled (interrupted), out; no partial output left");
  EXPECT_NE(b.read_err().find("steps finished before the stop:"), std::string::npos);
}

TEST_F(Signals, AStopWhileWritingRemovesThePartialFile) {
  Background b(command(2), dir / "err.txt");
  ASSERT_TRUE(b.started());
  ASSERT_TRUE(b.wait_for_text("step 3/3 'out' (write_geotiff) started", 120)) << b.read_err();
  // The hidden temporary exists: rank 0 is writing.
  bool writing = b.wait_for([&](const std::string&) { return !listing(dir / "out").empty(); }, 30);
  ASSERT_TRUE(writing) << b.read_err();
  const auto files = listing(dir / "out");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].rfind(".out.tif.", 0), 0u) << files[0];
  b.signal(SIGUSR1);
  expect_clean_stop(
      b, Clock::now(),
      "trellis: stopped by SIGUSR1 during step 3/3 'out' (write_geotiff): finished: src, tiled; "
      "not finished: out (interrupted); no partial output left");
}

TEST_F(Signals, SigtermStopsASingleProcess) {
  Background b(command(0), dir / "err.txt");
  ASSERT_TRUE(b.started());
  ASSERT_TRUE(b.wait_for_text("'tiled' (tile_to_layout): ", 120)) << b.read_err();
  b.signal(SIGTERM);
  expect_clean_stop(b, Clock::now(),
                    "trellis: stopped by SIGTERM during step 2/3 'tiled' (tile_to_layout): finished: src; "
                    "not finished: tiled (interrupted), out; no partial output left");
}

// A closed terminal (SIGHUP) is a stop request like SIGTERM: nothing half-written is left behind.
TEST_F(Signals, SighupIsAStopRequest) {
  Background b(command(0), dir / "err.txt");
  ASSERT_TRUE(b.started());
  ASSERT_TRUE(b.wait_for_text("'tiled' (tile_to_layout): ", 120)) << b.read_err();
  b.signal(SIGHUP);
  expect_clean_stop(b, Clock::now(),
                    "trellis: stopped by SIGHUP during step 2/3 'tiled' (tile_to_layout): finished: src; "
                    "not finished: tiled (interrupted), out; no partial output left");
  for (const auto& f : listing(dir.path())) EXPECT_EQ(f.find(".trellis-tmp"), std::string::npos) << f;
}

// SIGTERM to mpirun itself is Open MPI's business: it terminates the ranks (SIGTERM, then SIGKILL a
// moment later), so trellis may not get to its safe point. Even then nothing looks complete: at most a
// hidden temporary is left.
TEST_F(Signals, SigtermToMpirunLeavesNothingThatLooksComplete) {
  // LZMA, the slowest codec: the signal lands while the ranks compress, well before the file is done.
  write_file(dir / "site.yaml", "memory_per_rank: 2GiB\nprogress_interval: 0.1\ncompression: lzma\n");
  Background b(command(2), dir / "err.txt");
  ASSERT_TRUE(b.started());
  ASSERT_TRUE(b.wait_for_text("step 3/3 'out' (write_geotiff) started", 120)) << b.read_err();
  ASSERT_TRUE(b.wait_for([&](const std::string&) { return !listing(dir / "out").empty(); }, 30))
      << b.read_err();
  b.signal(SIGTERM);
  const int status = b.wait_exit(60);
  EXPECT_NE(status, 0) << b.read_err();
  EXPECT_NE(status, -1) << "mpirun did not end";
  for (const auto& f : listing(dir / "out")) EXPECT_EQ(f[0], '.') << "a visible file was left: " << f;
}

}  // namespace
}  // namespace trellis::test
