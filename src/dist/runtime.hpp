#pragma once
// The MPI runtime: initialisation, the rank and size, and the two communicators trellis uses.
//   comm()          a duplicate of MPI_COMM_WORLD for data (exchanges, halos, reductions, gathers);
//   control_comm()  a second duplicate used only for the failure agreement (failure.hpp), so that the
//                   check-in allreduce can never match a data collective.
// Without a launcher, MPI runs as a singleton (one rank). Only src/dist makes MPI calls.
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1  // the C API only (no deprecated C++ bindings)
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

namespace trellis::dist {

class Runtime {
 public:
  // Initialises MPI with MPI_THREAD_FUNNELED (OpenMP threads inside a rank, MPI from the main thread)
  // and creates the communicators. Idempotent. When MPI is already initialised (by a test main, say),
  // adopts it: finalize() then frees the communicators but leaves MPI_Finalize to its owner.
  static void init(int* argc, char*** argv);
  // Frees the communicators and, if init() initialised MPI, finalises it. Idempotent. Does not check
  // in: the executor calls check_in() after its last step.
  static void finalize();

  static bool initialized();
  // This rank and the number of ranks (0 and 1 before init()).
  static int rank();
  static int size();
  // The data communicator (throws std::logic_error before init()).
  static MPI_Comm comm();
  // The control communicator for the failure agreement (throws std::logic_error before init()).
  static MPI_Comm control_comm();
  // The thread support MPI provided.
  static int thread_level();
  // Seconds since an arbitrary origin (steady clock; usable before init()).
  static double wtime();
};

// Calls Runtime::init on construction and Runtime::finalize on destruction.
class RuntimeScope {
 public:
  RuntimeScope(int* argc, char*** argv) { Runtime::init(argc, argv); }
  ~RuntimeScope() { Runtime::finalize(); }
  RuntimeScope(const RuntimeScope&) = delete;
  RuntimeScope& operator=(const RuntimeScope&) = delete;
};

}  // namespace trellis::dist
