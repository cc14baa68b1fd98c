// The start and end that every MPI program reading rasters with GDAL pays, and nothing else: bench/terrain.sh
// runs it under mpirun on 1 and 2 ranks beside trellis, which compiles it itself into its cache (it is not
// part of the build):
//
//   c++ -O2 -o mpi-start bench/mpi-start.cpp src/mpi/sockets.cpp -Isrc $(mpicxx --showme:compile) \
//       $(gdal-config --cflags) -lgdal $(mpicxx --showme:link)
//   mpirun -n 2 ./mpi-start
//
// What it does is what any such program must: the launcher starts the process, the dynamic loader loads
// GDAL's and MPI's libraries (about 115 here), MPI is initialised as trellis initialises it (funnelled
// threads, then TCP_NODELAY on the launcher's sockets, with trellis' own src/mpi/sockets.cpp, so that
// MPI_Finalize costs it what it costs trellis), GDAL registers its drivers, MPI is finalised and the process
// exits. trellis loads a dozen libraries more (its own choices: GEOS, parallel HDF5, yaml-cpp, ...), reads
// its job and plans it: that, like its steps, counts as trellis' own time.
#include <gdal.h>
#include <mpi.h>

#include "mpi/sockets.hpp"

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  trellis::mpi::set_nodelay_on_tcp_sockets();
  GDALAllRegister();
  MPI_Finalize();
  return 0;
}
