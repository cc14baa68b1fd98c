// `trellis`: the launcher. It starts the engine (`trellis-engine`, the program itself) with glibc's huge
// page tunable already in its environment when the command runs a job, so that the engine need not
// re-execute itself for it: that second start loaded the engine's ~120 libraries again, about 0.1 s
// of every rank's start on the benchmark machine. The launcher loads libc only, and execs in place
// (the same process: a launcher such as mpirun or srun sees no difference). The engine is looked for
// beside the launcher (the build tree), then in the install tree's libexec folder.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "launcher/huge_pages.hpp"

#ifndef TRELLIS_ENGINE_FROM_BINDIR
#define TRELLIS_ENGINE_FROM_BINDIR "../libexec/trellis"
#endif

namespace {

constexpr const char* kEngine = "trellis-engine";

// The folder of this executable (from /proc/self/exe), or "" when it cannot be read.
std::string own_folder() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  buf[n] = '\0';
  std::string path(buf);
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

bool executable(const std::string& path) {
  return access(path.c_str(), X_OK) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (trellis::launcher::runs_a_job(argc, argv)) {
    const trellis::launcher::HugePagesPlan plan = trellis::launcher::plan_huge_pages();
    if (plan.set_tunable) setenv("GLIBC_TUNABLES", plan.tunables.c_str(), 1);
  }
  const std::string folder = own_folder();
  const std::string beside = folder + "/" + kEngine;
  const std::string installed = folder + "/" + TRELLIS_ENGINE_FROM_BINDIR + "/" + kEngine;
  const std::string engine = executable(beside) ? beside : installed;
  execv(engine.c_str(), argv);
  std::fprintf(stderr, "trellis: cannot start the engine '%s' (nor '%s'): %s\n", beside.c_str(),
               installed.c_str(), std::strerror(errno));
  return 3;
}
