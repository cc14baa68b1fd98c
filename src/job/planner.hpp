#pragma once
// Planning a whole job before any work (plan.hpp): each step's shape from its inputs' shapes, and each
// step's memory on the busiest rank against the budget. `trellis validate` and `trellis run` both plan;
// run_job() re-plans, at its start, a step whose shape was unknown at load.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "job/executor.hpp"
#include "job/job.hpp"
#include "job/log.hpp"
#include "job/plan.hpp"

namespace trellis::job {

// What a rank may use, and what it uses before holding any value.
struct MemoryBudget {
  std::optional<std::uint64_t> per_rank;  // none: estimate only
  std::uint64_t base = 0;                 // the process itself (libraries, MPI) and GDAL's block cache
  std::string source;                     // where per_rank comes from, for messages
};

// The run's budget: the site's memory_per_rank; without one, this node's memory (or its cgroup's limit)
// shared by the ranks on the node; in both cases no more than the address space `ulimit -v` leaves.
// With `this_machine` false (validate, perhaps on a login node) only the site's memory_per_rank.
// Collective: the ranks agree on the smallest budget and the largest base. Deterministic.
MemoryBudget run_budget(const RunOptions& o, bool this_machine = true);

struct StepPlan {
  bool known = false;  // the shape was known before the run
  Shape shape;
  std::uint64_t peak_per_rank = 0;  // estimated memory of the busiest rank during the step, base included
};

struct JobPlan {
  int ranks = 1;
  MemoryBudget budget;
  std::vector<StepPlan> steps;                                   // in job.steps' order
  std::vector<std::pair<std::string, nlohmann::json>> warnings;  // the plans' (logged by plan_job)
  // The largest step's estimate (0 when no step is known).
  std::uint64_t peak_per_rank() const;
};

// Plans every step in order for a run on `ranks` ranks (validate may plan a run on another rank count).
// Collective when `ranks` is the run's own (source ops share the headers they read), deterministic.
// Throws JobError "FILE:L:C: step 'x' (op): ..." at the first step whose inputs' metadata contradicts
// its parameters, or whose estimate exceeds the budget (naming the estimate, the budget and what would
// fit).
JobPlan plan_job(const Job& job, const Logger& log, const RunOptions& opts, int ranks, MemoryBudget budget);

// Plans step `i` again, its plan unknown at load, from the values that exist now (`values`: by step
// id, every value still held) and checks the budget. Collective (tile counts are summed over the
// ranks). Throws JobError like plan_job().
void replan_step(const Job& job, std::size_t i, JobPlan& plan, const std::map<std::string, StepValue>& values,
                 const RunOptions& opts, const Logger& log);

// "262144 tiles of 256x256 float32 (1 band), 64 GiB": a planned layer in a message.
std::string describe(const PlannedLayer& l);

}  // namespace trellis::job
