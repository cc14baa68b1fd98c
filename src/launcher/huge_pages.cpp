#include "launcher/huge_pages.hpp"

#include <gnu/libc-version.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string_view>

namespace trellis::launcher {

namespace {

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

HugePagesPlan plan_huge_pages() {
  HugePagesPlan p;
  p.state = "heap on the kernel's default pages";
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && std::strstr(tunables, "glibc.malloc.hugetlb")) {
    p.state = std::strstr(tunables, "glibc.malloc.hugetlb=0")
                  ? "heap on default pages (GLIBC_TUNABLES)"
                  : "heap on transparent huge pages (glibc.malloc.hugetlb)";
    return p;
  }
  const char* opt = std::getenv("TRELLIS_HUGEPAGES");
  if (opt && std::strcmp(opt, "0") == 0) {
    p.state = "heap on default pages (TRELLIS_HUGEPAGES=0)";
    return p;
  }
  const char* preload = std::getenv("LD_PRELOAD");
  if (preload && std::strstr(preload, "vgpreload")) return p;  // under valgrind: /proc/self/exe is valgrind
  const std::string mode = thp_mode();
  if (mode == "always") {
    p.state = "heap on transparent huge pages (THP always)";
    return p;
  }
  if (mode != "madvise" || !glibc_has_hugetlb_tunable()) return p;
  p.set_tunable = true;
  p.tunables = tunables && *tunables ? std::string(tunables) + ":" : std::string();
  p.tunables += "glibc.malloc.hugetlb=1";
  return p;
}

bool runs_a_job(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "run") return true;
  return false;
}

}  // namespace trellis::launcher
