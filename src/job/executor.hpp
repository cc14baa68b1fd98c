#pragma once
// Runs a validated job on every rank: steps in order, values freed after their last use, a check-in
// after every step so that a failure anywhere stops every rank, result outputs written by rank 0,
// progress and a per-step timing table on stderr.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "job/job.hpp"
#include "job/log.hpp"
#include "job/schema.hpp"

namespace trellis::job {

struct StepStats {
  std::string id, op;
  double wall_seconds = 0;      // max over ranks
  std::size_t tiles = 0;        // tiles of the step's value, all ranks
  std::size_t bytes_moved = 0;  // bytes sent between ranks, all ranks
  std::size_t peak_rss = 0;     // max over ranks of the process' peak resident memory so far
};

// What the site configuration (site_config.hpp) changes in a run: the defaults of the parameters
// declared with a site default (round_mb, compression; SiteDefaults) where the job does not set them,
// and:
struct RunOptions : SiteDefaults {
  // The memory budget per rank: jobs whose plan exceeds it are refused (planner.hpp), and a step whose
  // measured peak exceeds it is warned about.
  std::optional<std::uint64_t> memory_per_rank;
  std::string memory_source;       // "memory_per_rank (FILE:L:C)", for messages
  double progress_interval = 5.0;  // seconds between progress lines
};

// Collective. Throws trellis::Error (or mpi::PeerFailure) on failure.
// A stop request (mpi/signals.hpp) is agreed at a check-in: every rank then throws mpi::StopRequested
// whose message says which steps finished and which did not. A stop agreed after the last step has
// finished is not an error: the job is complete, run_job() returns normally.
// With a `plan` (planner.hpp), each step's planned shape is passed to its op, and a step whose shape
// was unknown at load is planned and checked against the budget when it starts.
struct JobPlan;
std::vector<StepStats> run_job(const Job& job, Logger& log, const RunOptions& opts = {},
                               JobPlan* plan = nullptr);

// The step's typed arguments, with the site's defaults where the job relies on the op's own (logged at
// debug level). Not collective.
std::any bound_args_with_site(const Step& step, const RunOptions& o, const Logger& log);
// Names the step in an error that does not name it yet: "FILE:L:C: step 'x' (op): why". Errors raised at
// a parameter's place already do; agreed failures and stops are not the step's.
void label_step_error(Error& e, const Step& step);

// The table printed at the end of a run, and the same rows as JSON (for JSON-lines logs).
std::string format_stats_table(const std::vector<StepStats>& stats);
nlohmann::json stats_json(const std::vector<StepStats>& stats);

// Writes a result as JSON, or as CSV when the path ends in .csv; atomically (temporary + rename).
void write_result(const Result& r, const std::string& path);

}  // namespace trellis::job
