#pragma once
// Stop requests: SIGTERM, SIGUSR1, SIGINT and SIGHUP (what Slurm sends before the time limit with
// --signal, what `scancel --signal=TERM` sends, what mpirun forwards, Ctrl-C, a closed terminal) ask
// trellis to stop cleanly. SIGPIPE is ignored: a closed log stream never ends a job.
//
// Mechanism. The handler only stores the signal number in a lock-free atomic (async-signal-safe); it
// never unwinds, prints or communicates. The request takes effect at the next safe point, which is the
// failure agreement (failure.hpp): every check_in() also contributes this rank's stop request, so a
// request on any rank is seen by every rank at the same check-in, and every rank throws StopRequested
// there, in step (no collective is left unmatched). The executor checks in after every step, and every
// collective of src/mpi checks in first, so a stop lands within one exchange round of any rank
// receiving the signal. A failure reported at the same check-in wins over a stop (its code is kept).
// After an agreed stop, report_failure() answers {kExitIo, -1} without communicating.
//
// Code may also poll stop_requested() locally to skip the rest of a long local loop, provided the next
// thing it does is a collective (which then stops every rank) and it commits nothing in between.
//
// Repeated SIGTERM/SIGUSR1 keep the first request. A second SIGINT ends the process at once (the
// default action), for an interactive user who does not want to wait.
#include <string>

#include "core/error.hpp"

namespace trellis::mpi {

// Thrown by check_in() on every rank when any rank asked to stop. Exit status 3 (kExitIo).
class StopRequested : public Error {
 public:
  explicit StopRequested(int signal, const std::string& what = "");
  int signal() const { return signal_; }

 private:
  int signal_;
};

// Installs the handlers for SIGTERM, SIGUSR1, SIGINT and SIGHUP (SA_RESTART, so interrupted system calls
// are resumed and writes are not cut short), and ignores SIGPIPE. Idempotent.
void install_stop_handlers();
// Restores the handlers that were there before install_stop_handlers() (for tests).
void restore_stop_handlers();

// This rank's own request: the first signal received (or request_stop()'s argument), 0 when none.
int stop_signal();
bool stop_requested();
// Records a request as the handler does (async-signal-safe); sig must be > 0.
void request_stop(int sig);
// Forgets this rank's request (tests; a job that completed anyway).
void clear_stop();

// "SIGTERM", "SIGUSR1", "SIGINT", or "signal N".
std::string signal_name(int sig);

}  // namespace trellis::mpi
