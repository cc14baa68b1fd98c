#pragma once
// The MPI runtime: initialisation, the rank and size. The communicators trellis uses are in
// mpi/comm.hpp, which only src/mpi includes: this header does not include <mpi.h>, so ops and the job
// engine can ask for the rank without seeing MPI. Without a launcher, MPI runs as a singleton (one
// rank). Only src/mpi makes MPI calls.

namespace trellis::mpi {

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
  // The ranks on this rank's node, this one included (1 before init()).
  static int node_size();
  // The thread support MPI provided (an MPI_THREAD_* level).
  static int thread_level();
  // How many of the launcher's TCP sockets init() set TCP_NODELAY on (mpi/sockets.hpp); 0 before init(),
  // for a singleton, with TRELLIS_PMIX_NODELAY=0, or when MPI was initialised by someone else.
  static int nodelay_sockets();
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

}  // namespace trellis::mpi
