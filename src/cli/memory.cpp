#include "cli/memory.hpp"

#include <gnu/libc-version.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace trellis::cli {

namespace {

const char* g_state = "heap on the kernel's default pages";

// The selected mode in /sys/kernel/mm/transparent_hugepage/enabled ("always [madvise] never").
std::string thp_mode() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  if (!std::getline(f, line)) return "";
  const auto a = line.find('['), b = line.find(']');
  return a != std::string::npos && b != std::string::npos && b > a ? line.substr(a + 1, b - a - 1) : "";
}

bool glibc_has_hugetlb_tunable() {
  int major = 0, minor = 0;
  return std::sscanf(gnu_get_libc_version(), "%d.%d", &major, &minor) == 2 &&
         (major > 2 || (major == 2 && minor >= 35));
}

}  // namespace

void reexec_with_huge_pages(char** argv) {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && std::strstr(tunables, "glibc.malloc.hugetlb")) {
    g_state = std::strstr(tunables, "glibc.malloc.hugetlb=0")
                  ? "heap on default pages (GLIBC_TUNABLES)"
                  : "heap on transparent huge pages (glibc.malloc.hugetlb)";
    return;
  }
  const char* opt = std::getenv("TRELLIS_HUGEPAGES");
  if (opt && std::strcmp(opt, "0") == 0) {
    g_state = "heap on default pages (TRELLIS_HUGEPAGES=0)";
    return;
  }
  const char* preload = std::getenv("LD_PRELOAD");
  if (preload && std::strstr(preload, "vgpreload")) return;  // under valgrind: /proc/self/exe is valgrind
  const std::string mode = thp_mode();
  if (mode == "always") {
    g_state = "heap on transparent huge pages (THP always)";
    return;
  }
  if (mode != "madvise" || !glibc_has_hugetlb_tunable()) return;
  std::string value = tunables && *tunables ? std::string(tunables) + ":" : std::string();
  value += "glibc.malloc.hugetlb=1";
  if (setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // execv failed: go on as we are, without the tunable (so that children do not inherit it either).
  if (tunables)
    setenv("GLIBC_TUNABLES", tunables, 1);
  else
    unsetenv("GLIBC_TUNABLES");
}

void tune_malloc() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  const std::string t = tunables ? tunables : "";
  if (t.find("glibc.malloc.mmap_threshold") == std::string::npos) mallopt(M_MMAP_THRESHOLD, 32 << 20);
  if (t.find("glibc.malloc.trim_threshold") == std::string::npos) mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

const char* huge_pages_state() {
  return g_state;
}

}  // namespace trellis::cli
