#pragma once
// How trellis' heap is set up, first thing in main(): transparent huge pages and malloc's thresholds.
//
// A rank allocates many large buffers (tiles, pieces, strips) and touches each once. On a virtual
// machine every page fault is a trip to the hypervisor, and with 4 KiB pages the faults cost more than
// the work itself: tiling a 21600x10800 raster spent over half its time in them (docs/benchmarks.md).
// glibc (2.35 and later) backs its heap with transparent huge pages when the tunable
// glibc.malloc.hugetlb=1 is set, but reads tunables only when a process starts. So, when the kernel
// gives huge pages only on request (THP mode "madvise"), the `trellis` launcher (launcher/main.cpp)
// adds that tunable to GLIBC_TUNABLES before it execs this engine. An engine started otherwise (without
// the tunable) re-executes itself once, first thing in main() and before MPI starts, with the tunable
// added. Nothing happens when THP is "always" (already on) or "never", when GLIBC_TUNABLES already names
// glibc.malloc.hugetlb, under valgrind, or when TRELLIS_HUGEPAGES=0 (launcher/huge_pages.hpp decides).
namespace trellis::cli {

// Returns only when no re-execution was needed or it failed (then trellis runs as it is).
void reexec_with_huge_pages(char** argv);

// Keeps freed memory in the heap for reuse. A rank allocates and frees buffers of a few MiB per tile
// (GDAL's warp buffers, pieces, mosaics); glibc serves those above its mmap threshold with fresh
// mappings, and trims the heap's top as soon as 128 KiB are free, so every tile faulted its pages in
// anew (and zeroed whole huge pages). Raises the mmap threshold to 32 MiB (glibc's maximum) and turns
// trimming off: a value freed after its last step is the next steps' memory, and a trim threshold of
// 256 MiB still returned it (0.45 GiB of NDVI tiles per rank in bench/jobs/ndvi-ops.yaml), only for the
// next step to fault it in again. A rank's heap then stays at its peak, which the memory budget bounds
// anyway. GLIBC_TUNABLES that set either keep their value.
void tune_malloc();

// A line for the debug log: whether the heap uses huge pages, and why (not).
const char* huge_pages_state();

// Whether this process is the engine's own re-execution (started without the launcher).
bool reexecuted_for_huge_pages();

}  // namespace trellis::cli
