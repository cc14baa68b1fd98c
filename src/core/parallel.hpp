#pragma once
// OpenMP over a rank's tiles (or any items), for the ops and the MPI runtime's skeletons.
#include <omp.h>

#include <cstddef>
#include <exception>

namespace trellis {

// The threads parallel_for runs on, and the calling thread's index among them (0 outside a parallel
// region): per-thread state is indexed by it.
inline int max_threads() {
  return omp_get_max_threads();
}
inline std::size_t thread_index() {
  return static_cast<std::size_t>(omp_get_thread_num());
}

// Runs body(i) for i in [0, n) on the rank's OpenMP threads (dynamic schedule: tiles differ in cost);
// the first exception thrown by any iteration is rethrown on the calling thread after the loop.
template <class F>
void parallel_for(std::size_t n, F&& body) {
  std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t i = 0; i < n; ++i) {
    try {
      body(i);
    } catch (...) {
#pragma omp critical(trellis_parallel_for_failure)
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
}

// parallel_for with a static schedule: each thread gets one contiguous run of the indexes (for items
// that share what a thread caches, e.g. neighbouring windows of one file).
template <class F>
void parallel_for_static(std::size_t n, F&& body) {
  std::exception_ptr failure;
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i) {
    try {
      body(i);
    } catch (...) {
#pragma omp critical(trellis_parallel_for_failure)
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace trellis
