// How trellis sets its heap up (cli/memory.hpp): transparent huge pages through glibc's tunable when the
// kernel gives them on request, nothing when TRELLIS_HUGEPAGES=0; the debug log says which. The run's
// result is the same either way.
#include <filesystem>
#include <fstream>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

std::string thp_mode() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  std::getline(f, line);
  const auto a = line.find('['), b = line.find(']');
  return a != std::string::npos && b != std::string::npos ? line.substr(a + 1, b - a - 1) : "";
}

TEST(Memory, HugePagesAreLoggedAndCanBeTurnedOff) {
  TempDir d;
  write_raster(d / "in.tif", "Int16", 40, 30, 1, {0, 1, 0, 30, 0, -1}, "EPSG:32631", -1,
               {std::vector<double>(1200, 7.0)});
  const std::string job = "version: 1\nsteps:\n  - op: read_geotiff\n    uri: " + (d / "in.tif").string() +
                          "\n  - op: tile_to_layout\n    tile_size: 16\n  - op: get_min_max\n    output: " +
                          (d / "mm.json").string() + "\n";
  for (bool off : {false, true}) {
    SCOPED_TRACE(off ? "TRELLIS_HUGEPAGES=0" : "default");
    write_file(d / "job.yaml", job);
    const std::string env = off ? "TRELLIS_HUGEPAGES=0 " : "";
    const RunResult r = run_command(env + "'" + std::string(TRELLIS_BINARY) + "' run '" +
                                    (d / "job.yaml").string() + "' --log-level debug");
    ASSERT_EQ(r.status, 0) << r.err;
    const std::string mode = thp_mode();
    std::string want = "heap on the kernel's default pages";
    if (off)
      want = "heap on default pages (TRELLIS_HUGEPAGES=0)";
    else if (mode == "madvise")
      want = "heap on transparent huge pages (glibc.malloc.hugetlb)";
    else if (mode == "always")
      want = "heap on transparent huge pages (THP always)";
    EXPECT_NE(r.err.find("trellis: " + want + "\n"), std::string::npos) << "THP mode '" << mode << "'\n"
                                                                        << r.err;
    const auto mm = read_json(d / "mm.json");
    EXPECT_EQ(mm["min"].get<double>(), 7.0);
    EXPECT_EQ(mm["max"].get<double>(), 7.0);
  }
}

// The launcher sets glibc's tunable before the engine starts, so the engine starts once; the engine
// started directly sets it by starting again, and says so in its debug log.
TEST(Memory, TheLauncherSparesTheEngineASecondStart) {
  if (thp_mode() != "madvise") GTEST_SKIP() << "THP mode '" << thp_mode() << "': no tunable to set";
  TempDir d;
  write_raster(d / "in.tif", "Int16", 40, 30, 1, {0, 1, 0, 30, 0, -1}, "EPSG:32631", -1,
               {std::vector<double>(1200, 7.0)});
  write_file(d / "job.yaml", "version: 1\nsteps:\n  - op: read_geotiff\n    uri: " + (d / "in.tif").string() +
                                 "\n  - op: tile_to_layout\n    tile_size: 16\n");
  const std::string engine =
      (std::filesystem::path(TRELLIS_BINARY).parent_path() / "trellis-engine").string();
  const std::string again = "the engine started again to set glibc's tunable";
  for (const std::string& program : {std::string(TRELLIS_BINARY), engine}) {
    SCOPED_TRACE(program);
    const RunResult r =
        run_command("'" + program + "' run '" + (d / "job.yaml").string() + "' --log-level debug");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("trellis: heap on transparent huge pages (glibc.malloc.hugetlb)\n"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find(again) != std::string::npos, program == engine) << r.err;
  }
}

}  // namespace
}  // namespace trellis::test
