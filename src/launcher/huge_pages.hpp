#pragma once
// Whether a process that runs a job should start with glibc's `glibc.malloc.hugetlb=1` tunable, which
// backs the heap with transparent huge pages (cli/memory.hpp says why that matters). glibc reads
// tunables only when a process starts, so the tunable is set in the environment before an exec: by the
// `trellis` launcher before it starts the engine (launcher/main.cpp), or, when the engine is started
// directly, by the engine re-executing itself. Uses libc only, so that the launcher loads nothing else.
#include <string>

namespace trellis::launcher {

struct HugePagesPlan {
  bool set_tunable = false;  // exec with GLIBC_TUNABLES = `tunables`
  std::string tunables;      // the new GLIBC_TUNABLES value (the old one, plus glibc.malloc.hugetlb=1)
  const char* state = "";    // for the debug log, when nothing is to be set (else the engine decides)
};

// Decides from the environment (GLIBC_TUNABLES, TRELLIS_HUGEPAGES, LD_PRELOAD), the kernel's THP mode
// and glibc's version. The tunable is set only when THP is "madvise", glibc is 2.35 or later, and
// neither GLIBC_TUNABLES names glibc.malloc.hugetlb nor TRELLIS_HUGEPAGES=0 nor valgrind is in the way.
// Deterministic for a given environment and machine; thread-unsafe (getenv); throws std::bad_alloc only.
HugePagesPlan plan_huge_pages();

// Whether the command line runs a job (`trellis ... run ...`): the only command whose heap is large
// enough for huge pages to pay for an exec. Deterministic; no throw.
bool runs_a_job(int argc, char** argv);

}  // namespace trellis::launcher
