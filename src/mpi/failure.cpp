#include "mpi/failure.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>

#include "mpi/comm.hpp"
#include "mpi/runtime.hpp"
#include "mpi/signals.hpp"

namespace trellis::mpi {

namespace {

double initial_timeout() {
  if (const char* s = std::getenv("TRELLIS_FAILURE_TIMEOUT")) {
    char* end = nullptr;
    double v = std::strtod(s, &end);
    if (end != s) return v;
  }
  return 300.0;
}

double g_timeout = initial_timeout();
// The failure agreed by the last check_in() on this rank (it threw PeerFailure or StopRequested), until
// the next one.
std::optional<Failure> g_agreed;

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

ExitCode to_code(int c) {
  return static_cast<ExitCode>(c);
}

std::string describe(ExitCode code, int rank) {
  return "rank " + std::to_string(rank) + " failed (exit status " + std::to_string(static_cast<int>(code)) +
         ")";
}

}  // namespace

PeerFailure::PeerFailure(ExitCode code, int failed_rank)
    : Error(code, describe(code, failed_rank)), failed_rank_(failed_rank) {}

void check_in() {
  if (!Runtime::initialized()) return;
  g_agreed.reset();
  // {failure code, -failing rank, stop signal}: a healthy rank contributes {0, INT_MIN, its own stop
  // request (0 when none)}.
  int in[3] = {0, INT_MIN, stop_signal()};
  int out[3] = {0, INT_MIN, 0};
  // Non-blocking on every side: report_failure() polls an MPI_Iallreduce (for its timeout), and a
  // blocking collective does not match a non-blocking one.
  MPI_Request req;
  MPI_Iallreduce(in, out, 3, MPI_INT, MPI_MAX, control_comm(), &req);
  MPI_Wait(&req, MPI_STATUS_IGNORE);
  if (out[0] != 0) {
    Failure f{to_code(out[0]), -out[1]};
    g_agreed = f;
    throw PeerFailure(f.code, f.rank);
  }
  if (out[2] != 0) {  // some rank asked to stop: every rank stops here
    g_agreed = Failure{kExitIo, -1};
    throw StopRequested(out[2]);
  }
}

Failure report_failure(ExitCode code) {
  int c = static_cast<int>(code) <= 0 ? static_cast<int>(kExitInternal) : static_cast<int>(code);
  if (g_agreed) {  // this rank already took part in the agreement (it caught a PeerFailure or a stop)
    Failure f = *g_agreed;
    g_agreed.reset();
    return f;
  }
  if (!Runtime::initialized()) return {to_code(c), 0};
  int in[3] = {c, -Runtime::rank(), stop_signal()};
  int out[3] = {0, INT_MIN, 0};
  MPI_Request req;
  MPI_Iallreduce(in, out, 3, MPI_INT, MPI_MAX, control_comm(), &req);
  const double t0 = Runtime::wtime();
  int done = 0;
  for (long spins = 0;; ++spins) {
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (done) break;
    if (g_timeout > 0 && Runtime::wtime() - t0 > g_timeout)
      abort_all(to_code(c), "the other ranks did not reach a check-in within " + seconds_text(g_timeout) +
                                " after this rank failed; aborting");
    if (spins > 1000) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return {to_code(out[0]), -out[1]};
}

void set_failure_timeout(double seconds) {
  g_timeout = seconds;
}
double failure_timeout() {
  return g_timeout;
}

void abort_all(ExitCode code, const std::string& why) noexcept {
  std::fprintf(stderr, "trellis: rank %d: %s\n", Runtime::rank(), why.c_str());
  std::fflush(stderr);
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  if (init && !fin) MPI_Abort(MPI_COMM_WORLD, static_cast<int>(code));
  std::_Exit(static_cast<int>(code));
}

}  // namespace trellis::mpi
