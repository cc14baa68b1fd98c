#include "mpi/runtime.hpp"

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "mpi/comm.hpp"
#include "mpi/sockets.hpp"

namespace trellis::mpi {

namespace {

struct State {
  bool initialized = false;
  bool owns_mpi = false;
  int rank = 0;
  int size = 1;
  int node_size = 1;
  int nodelay_sockets = 0;
  int thread_level = MPI_THREAD_SINGLE;
  MPI_Comm data = MPI_COMM_NULL;
  MPI_Comm control = MPI_COMM_NULL;
};

State& state() {
  static State s;
  return s;
}

// Whether a launcher (mpirun, srun with PMI/PMIx, MPICH's hydra) started this process; if not, MPI_Init
// makes it a singleton.
bool launched() {
  for (const char* v :
       {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "PMI_FD", "MPI_LOCALNRANKS"})
    if (std::getenv(v)) return true;
  return false;
}

// A singleton started the default way spends about 0.4 s in MPI_Init: Open MPI forks a daemon and
// probes every transport. Alone, it needs neither; without these, every short command (validate,
// info, a one-tile query) is mostly MPI start-up. Settings the user made are kept.
void prefer_quick_singleton() {
  if (launched()) return;
  ::setenv("OMPI_MCA_ess_singleton_isolated", "1", 0);
  ::setenv("OMPI_MCA_pml", "ob1", 0);
  ::setenv("OMPI_MCA_btl", "self", 0);
}

}  // namespace

void Runtime::init(int* argc, char*** argv) {
  State& s = state();
  if (s.initialized) return;
  int already = 0;
  MPI_Initialized(&already);
  if (!already) {
    prefer_quick_singleton();
    int provided = MPI_THREAD_SINGLE;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    // The launcher's sockets, which MPI_Finalize uses again (sockets.hpp); TRELLIS_PMIX_NODELAY=0
    // leaves them as MPI made them.
    const char* nodelay = std::getenv("TRELLIS_PMIX_NODELAY");
    if (!(nodelay && std::string_view(nodelay) == "0")) s.nodelay_sockets = set_nodelay_on_tcp_sockets();
    s.owns_mpi = true;
    s.thread_level = provided;
  } else {
    MPI_Query_thread(&s.thread_level);
  }
  MPI_Comm_dup(MPI_COMM_WORLD, &s.data);
  MPI_Comm_dup(MPI_COMM_WORLD, &s.control);
  MPI_Comm_set_name(s.data, const_cast<char*>("trellis-data"));
  MPI_Comm_set_name(s.control, const_cast<char*>("trellis-control"));
  MPI_Comm_rank(s.data, &s.rank);
  MPI_Comm_size(s.data, &s.size);
  // The ranks sharing this node's memory (the memory budget's default divides the node among them).
  MPI_Comm node = MPI_COMM_NULL;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, s.rank, MPI_INFO_NULL, &node);
  MPI_Comm_size(node, &s.node_size);
  MPI_Comm_free(&node);
  s.initialized = true;
}

void Runtime::finalize() {
  State& s = state();
  if (!s.initialized) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) {
    MPI_Comm_free(&s.data);
    MPI_Comm_free(&s.control);
  }
  s.data = MPI_COMM_NULL;
  s.control = MPI_COMM_NULL;
  s.initialized = false;
  s.rank = 0;
  s.size = 1;
  s.node_size = 1;
  s.nodelay_sockets = 0;
  if (s.owns_mpi && !finalized) MPI_Finalize();
  s.owns_mpi = false;
}

bool Runtime::initialized() {
  return state().initialized;
}
int Runtime::rank() {
  return state().rank;
}
int Runtime::size() {
  return state().size;
}
int Runtime::node_size() {
  return state().node_size;
}
int Runtime::nodelay_sockets() {
  return state().nodelay_sockets;
}
int Runtime::thread_level() {
  return state().thread_level;
}

MPI_Comm data_comm() {
  if (!state().initialized) throw std::logic_error("trellis::mpi::Runtime::init() was not called");
  return state().data;
}

MPI_Comm control_comm() {
  if (!state().initialized) throw std::logic_error("trellis::mpi::Runtime::init() was not called");
  return state().control;
}

double Runtime::wtime() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace trellis::mpi
