#pragma once
// Error agreement: an error on any rank ends every rank promptly, with one agreed exit code, and no
// collective is left waiting.
//
// Mechanism. Every rank calls check_in() at the same points of the program: each collective primitive
// of src/mpi calls it first, and the job executor calls it at the end of each step. check_in() is an
// allreduce (MPI_MAX) over the control communicator of int[2] {code, failing ? -rank : INT_MIN}; a
// healthy rank contributes {0, INT_MIN}. A rank that caught an error does not go on to the next
// collective: its top-level handler calls report_failure(code), which contributes {code, -rank} to the
// very allreduce the other ranks are blocked in (or will reach at their next check-in). Everyone then
// sees the same result: the maximum code and the lowest failing rank. report_failure() returns it;
// check_in() throws PeerFailure with it on every healthy rank. Because the failing rank left before
// the data collective that the check-in guards, and the healthy ranks throw before it, the data
// communicator stays consistent (nobody waits in an unmatched MPI call).
//
// RULE FOR CALLERS. Code between a check_in() and the completion of the MPI call(s) it guards must not
// throw. Everything that may throw (reading, decoding, allocating the send buffers, user callbacks)
// runs before the check-in; results are consumed after the MPI calls complete (throwing there is fine:
// the other ranks meet the failure at their next check-in). Two exceptions:
//   - an error whose condition every rank evaluates identically (from data all ranks share, e.g. an
//     allgathered total or a job parameter) may be thrown on every rank at the same point: every rank
//     then calls report_failure() and they agree among themselves;
//   - inside the guarded region, wrap unavoidable throwing code (buffer allocation sized by received
//     counts) in guarded(): a failure there aborts the whole job (MPI_Abort) instead of hanging.
//
// Top-level handler (what `trellis run` does on every rank):
//   try { run(); check_in(); }
//   catch (const PeerFailure& e) { exit with e.code(): another rank failed and printed its error }
//   catch (const Error& e)       { Failure f = report_failure(e.code()); print e.what() prefixed with
//                                  the rank; exit with f.code }
//   catch (const std::exception&){ Failure f = report_failure(kExitInternal); ... }
// Never call a collective after catching an error (other than report_failure). report_failure() after a
// PeerFailure on the same rank is harmless: it returns the failure already agreed without communicating.
//
// Stop requests (signals.hpp) ride on the same allreduce: a third int carries the highest stop signal
// any rank received. When no rank failed and some rank asked to stop, check_in() throws StopRequested
// (exit status 3) on every rank at that same check-in; a failure at the same check-in wins. After an
// agreed stop, report_failure() returns {kExitIo, -1} without communicating.
//
// Safety net: if the other ranks do not reach a check-in within failure_timeout() seconds after
// report_failure() (a rule was broken, or a rank is stuck), report_failure() prints one line and calls
// MPI_Abort with the code, which ends every rank.
#include <climits>
#include <exception>
#include <string>

#include "core/error.hpp"

namespace trellis::mpi {

struct Failure {
  ExitCode code = kExitOk;  // the maximum code reported
  int rank = -1;            // the lowest rank that reported a failure
};

// Thrown by check_in() (and so by every collective primitive) on the ranks that did not fail themselves.
// The failing rank prints the error; the ranks that catch a PeerFailure exit with code() silently.
class PeerFailure : public Error {
 public:
  PeerFailure(ExitCode code, int failed_rank);
  int failed_rank() const { return failed_rank_; }
  Failure failure() const { return {code(), failed_rank_}; }

 private:
  int failed_rank_;
};

// Collective over all ranks. Returns when no rank has reported a failure; otherwise throws PeerFailure
// on every rank that calls it. A no-op before Runtime::init().
void check_in();

// Called (instead of continuing) by a rank that caught an error. Joins the check-in the other ranks are
// in or will reach, marking this rank as failed; returns the agreed {max code, lowest failing rank}.
// Codes <= 0 are reported as kExitInternal. Before Runtime::init() it returns {code, 0}.
Failure report_failure(ExitCode code);

// Seconds report_failure() waits for the other ranks before aborting the job (<= 0: forever).
// Default 300, or the environment variable TRELLIS_FAILURE_TIMEOUT.
void set_failure_timeout(double seconds);
double failure_timeout();

// Prints "trellis: rank R: <why>" to stderr and ends every rank with `code` (MPI_Abort).
[[noreturn]] void abort_all(ExitCode code, const std::string& why) noexcept;

// Runs f() where an exception must not escape (between a check-in and the MPI call it guards): any
// exception aborts the job with kExitInternal, naming `where`.
template <class F>
auto guarded(const char* where, F&& f) noexcept -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    abort_all(kExitInternal, std::string(where) + ": " + e.what());
  } catch (...) {
    abort_all(kExitInternal, std::string(where) + ": unknown exception");
  }
}

}  // namespace trellis::mpi
