#pragma once
// The two communicators trellis uses (for src/mpi and its tests only: nothing above src/mpi sees MPI):
//   data_comm()     a duplicate of MPI_COMM_WORLD for data (exchanges, halos, reductions, gathers);
//   control_comm()  a second duplicate used only for the failure agreement (failure.hpp), so that the
//                   check-in allreduce can never match a data collective.
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1  // the C API only (no deprecated C++ bindings)
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include "mpi/runtime.hpp"

namespace trellis::mpi {

// The data communicator. Not collective; throws std::logic_error before Runtime::init().
MPI_Comm data_comm();
// The control communicator for the failure agreement. Not collective; throws std::logic_error before
// Runtime::init().
MPI_Comm control_comm();

}  // namespace trellis::mpi
