#include "cli/memory.hpp"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "launcher/huge_pages.hpp"

namespace trellis::cli {

namespace {

const char* g_state = "heap on the kernel's default pages";
bool g_reexecuted = false;
// Set across the engine's own re-execution, so the new process can say it was one (and unset there).
constexpr const char* kReexecMark = "TRELLIS_ENGINE_REEXECUTED";

}  // namespace

void reexec_with_huge_pages(char** argv) {
  if (std::getenv(kReexecMark)) {
    g_reexecuted = true;
    unsetenv(kReexecMark);
  }
  const launcher::HugePagesPlan plan = launcher::plan_huge_pages();
  if (!plan.set_tunable) {
    g_state = plan.state;
    return;
  }
  const char* old = std::getenv("GLIBC_TUNABLES");
  const std::string tunables = old ? old : "";
  if (setenv("GLIBC_TUNABLES", plan.tunables.c_str(), 1) != 0) return;
  setenv(kReexecMark, "1", 1);
  execv("/proc/self/exe", argv);
  // execv failed: go on as we are, without the tunable (so that children do not inherit it either).
  unsetenv(kReexecMark);
  if (old)
    setenv("GLIBC_TUNABLES", tunables.c_str(), 1);
  else
    unsetenv("GLIBC_TUNABLES");
}

void tune_malloc() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  const std::string t = tunables ? tunables : "";
  if (t.find("glibc.malloc.mmap_threshold") == std::string::npos) mallopt(M_MMAP_THRESHOLD, 32 << 20);
  if (t.find("glibc.malloc.trim_threshold") == std::string::npos) mallopt(M_TRIM_THRESHOLD, -1);  // never
}

const char* huge_pages_state() {
  return g_state;
}

bool reexecuted_for_huge_pages() {
  return g_reexecuted;
}

}  // namespace trellis::cli
