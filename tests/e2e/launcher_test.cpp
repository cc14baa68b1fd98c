// The `trellis` launcher (src/launcher/main.cpp): it execs the engine found beside it, with the same
// arguments, and says in one line when there is none. And mpirun's sockets: every rank sets TCP_NODELAY
// on them (mpi/sockets.hpp), unless TRELLIS_PMIX_NODELAY=0.
#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

TEST(Launcher, RunsTheEngineBesideItWithTheSameArguments) {
  const RunResult r = run_command("'" + std::string(TRELLIS_BINARY) + "' --version");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("trellis ", 0), 0u) << r.out;
  // A refusal of the engine comes back with its exit status.
  const RunResult bad = run_command("'" + std::string(TRELLIS_BINARY) + "' run no-such-job.yaml");
  EXPECT_EQ(bad.status, 2) << bad.err;
}

TEST(Launcher, WithoutItsEngineSaysSoInOneLine) {
  TempDir d;
  const std::filesystem::path lonely = d / "trellis";
  std::filesystem::copy_file(TRELLIS_BINARY, lonely);
  const RunResult r = run_command("'" + lonely.string() + "' --version");
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_NE(r.err.find("trellis: cannot start the engine '" + (d / "trellis-engine").string() + "'"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

// The count each rank logs at debug level, from its line "TCP_NODELAY set on N launcher socket(s)".
std::vector<int> nodelay_counts(const std::string& err) {
  std::vector<int> out;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    const auto at = line.find("TCP_NODELAY set on ");
    if (at != std::string::npos) out.push_back(std::stoi(line.substr(at + 19)));
  }
  return out;
}

TEST(Launcher, EveryRankSetsNodelayOnMpirunsSockets) {
  TempDir d;
  write_raster(d / "src.tif", "Byte", 4, 3, 1, {0, 1, 0, 3, 0, -1}, "EPSG:32633", 0.0,
               {std::vector<double>(12, 7)});
  write_file(d / "job.yaml",
             "version: 1\nsteps:\n  - op: read_geotiff\n    uri: " + (d / "src.tif").string() + "\n");
  for (const char* setting : {"", "0"}) {
    const std::string env = *setting ? " -x TRELLIS_PMIX_NODELAY=" + std::string(setting) : "";
    const RunResult r =
        run_command(std::string(TRELLIS_MPIEXEC) + " -n 2 --oversubscribe --allow-run-as-root" + env + " '" +
                    TRELLIS_BINARY + "' run --log-level debug '" + (d / "job.yaml").string() + "'");
    ASSERT_EQ(r.status, 0) << r.err;
    const std::vector<int> counts = nodelay_counts(r.err);
    ASSERT_EQ(counts.size(), 2u) << r.err;
    for (int c : counts) {
      if (*setting) {
        EXPECT_EQ(c, 0) << "TRELLIS_PMIX_NODELAY=0 leaves the sockets alone";
      } else {
        EXPECT_GE(c, 1) << "the PMIx client's connection to mpirun, at least";
      }
    }
  }
  // A singleton has no launcher.
  const RunResult one = run_trellis("run --log-level debug '" + (d / "job.yaml").string() + "'", 0);
  ASSERT_EQ(one.status, 0) << one.err;
  EXPECT_EQ(nodelay_counts(one.err), std::vector<int>{0});
}

}  // namespace
}  // namespace trellis::test
