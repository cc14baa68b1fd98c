// The memory bandwidth of this machine, as STREAM's Copy kernel measures it (c[i] = a[i] over arrays of
// doubles, the loop split statically between the OpenMP threads), for bench/ndvi.sh, which compiles it
// itself into its cache (it is not part of the build):
//
//   c++ -O3 -fopenmp -o stream-copy bench/stream-copy.cpp
//   OMP_NUM_THREADS=2 ./stream-copy [MiB per array, default 1024] [timed copies, default 10]
//
// As in STREAM, the bytes counted are those read plus those written (2 x the array size per copy, no
// write-allocate traffic), in GB/s (10^9 bytes), and the best of the timed copies is reported. The
// arrays are first written by the threads that copy them (first touch), and one untimed copy comes
// before the timed ones, so page faults are not measured; they are asked for transparent huge pages, as
// trellis' heap is. Prints one line:
//   stream-copy: 2 thread(s), 2 x 1024 MiB, best of 10 copies: 0.1234 s, 17.40 GB/s
#include <omp.h>
#include <sys/mman.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace {

double* allocate(long n) {
  const std::size_t bytes = static_cast<std::size_t>(n) * sizeof(double);
  const std::size_t align = 2u << 20;  // a huge page
  void* p = std::aligned_alloc(align, (bytes + align - 1) / align * align);
  if (p == nullptr) {
    std::fprintf(stderr, "stream-copy: cannot allocate %zu bytes\n", bytes);
    std::exit(1);
  }
  madvise(p, bytes, MADV_HUGEPAGE);  // a hint: nothing to do when it is refused
  return static_cast<double*>(p);
}

}  // namespace

int main(int argc, char** argv) {
  const long mib = argc > 1 ? std::atol(argv[1]) : 1024;
  const int copies = argc > 2 ? std::atoi(argv[2]) : 10;
  if (mib < 1 || copies < 1) {
    std::fprintf(stderr, "usage: stream-copy [MiB per array] [timed copies]\n");
    return 2;
  }
  const long n = mib * (1L << 20) / static_cast<long>(sizeof(double));
  double* a = allocate(n);
  double* c = allocate(n);
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; ++i) {
    a[i] = 1.0 + static_cast<double>(i % 7);
    c[i] = 0.0;
  }
  double best = 1e30;
  for (int k = 0; k <= copies; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; ++i) c[i] = a[i];
    const std::chrono::duration<double> t = std::chrono::steady_clock::now() - t0;
    if (k > 0 && t.count() < best) best = t.count();
  }
  for (long i = 0; i < n; i += 4097) {
    if (c[i] != a[i]) {
      std::fprintf(stderr, "stream-copy: the copy is wrong at %ld\n", i);
      return 1;
    }
  }
  const double gbs = 2.0 * static_cast<double>(n) * sizeof(double) / best / 1e9;
  std::printf("stream-copy: %d thread(s), 2 x %ld MiB, best of %d copies: %.4f s, %.2f GB/s\n",
              omp_get_max_threads(), mib, copies, best, gbs);
  std::free(a);
  std::free(c);
  return 0;
}
