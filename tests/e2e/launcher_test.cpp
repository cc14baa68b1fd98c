// The `trellis` launcher (src/launcher/main.cpp): it execs the engine found beside it, with the same
// arguments, and says in one line when there is none.
#include <algorithm>
#include <filesystem>

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

}  // namespace
}  // namespace trellis::test
