#pragma once
// Runs a validated job on every rank: steps in order, values freed after their last use, a check-in
// after every step so that a failure anywhere stops every rank, result outputs written by rank 0,
// progress and a per-step timing table on stderr.
#include "job/job.hpp"
#include "job/log.hpp"

namespace trellis::job {

struct StepStats {
  std::string id, op;
  double wall_seconds = 0;       // max over ranks
  std::size_t tiles = 0;         // tiles of the step's value, all ranks
  std::size_t bytes_moved = 0;   // bytes sent between ranks, all ranks
  std::size_t peak_rss = 0;      // max over ranks of the process' peak resident memory so far
};

// Collective. Throws trellis::Error (or dist::PeerFailure) on failure.
std::vector<StepStats> run_job(const Job& job, Logger& log);

// The table printed at the end of a run.
std::string format_stats_table(const std::vector<StepStats>& stats);

// Writes a result as JSON, or as CSV when the path ends in .csv; atomically (temporary + rename).
void write_result(const Result& r, const std::string& path);

}  // namespace trellis::job
