#pragma once
// The launcher's sockets. Open MPI's PMIx client (Debian 12: PMIx 4.2) talks to its server (mpirun's
// daemon; slurmstepd's under srun --mpi=pmix, not measured) over loopback TCP without TCP_NODELAY. Its
// messages are small and come in bursts, so Nagle's algorithm holds each burst's second message until the
// server's delayed acknowledgement: about 40 ms per exchange. MPI_Finalize has one such exchange (its fence),
// and each trellis command paid it: 0.045-0.05 s of MPI_Finalize here, 0.005-0.013 s with TCP_NODELAY.

namespace trellis::mpi {

// Not collective, deterministic, does not throw. Sets TCP_NODELAY on every TCP stream socket (IPv4 or
// IPv6) this process has open, and returns how many it set. Runtime::init calls it right after MPI's
// initialisation, when the only such sockets are the launcher's; other sockets are left alone. The
// option changes how segments are sent, never what arrives.
int set_nodelay_on_tcp_sockets();

}  // namespace trellis::mpi
