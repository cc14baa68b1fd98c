// Planning a job and checking its memory (planner.hpp).
#include "job/planner.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <limits>

#include "io/geotiff.hpp"
#include "job/context.hpp"
#include "job/environment_checks.hpp"
#include "job/site_config.hpp"
#include "mpi/reduce.hpp"
#include "mpi/runtime.hpp"
#include "mpi/stats.hpp"

namespace trellis::job {

namespace {

std::uint64_t physical_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) : 0;
}

// The memory limit of this process' cgroup (v2; Slurm confines jobs with one), when it has one.
std::optional<std::uint64_t> cgroup_limit() {
  std::ifstream f("/sys/fs/cgroup/memory.max");
  std::string s;
  if (!(f >> s) || s == "max") return std::nullopt;
  try {
    return std::stoull(s);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// This process' virtual size (/proc/self/statm), in bytes; 0 if unknown.
std::uint64_t virtual_size() {
  std::ifstream f("/proc/self/statm");
  std::uint64_t pages = 0;
  if (!(f >> pages)) return 0;
  return pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGE_SIZE));
}

// The steps' indexes by id, and the last step that reads each value.
struct Uses {
  std::map<std::string, std::size_t> index, last_use;
  explicit Uses(const Job& job) {
    for (std::size_t i = 0; i < job.steps.size(); ++i) {
      index[job.steps[i].id] = i;
      for (const auto& [name, id] : job.steps[i].inputs) last_use[id] = i;
    }
  }
  // Whether the value of step `j` is still held while step `i` runs (j < i).
  bool held_during(std::size_t j, std::size_t i, const Job& job) const {
    auto it = last_use.find(job.steps[j].id);
    return it != last_use.end() && it->second >= i;
  }
};

std::string what_fits(const Shape& out, std::uint64_t held_total, const MemoryBudget& b, int ranks) {
  std::string fits = out.fits_hint;
  const std::uint64_t avail = sat_sub(*b.per_rank, sat_add(b.base, out.working_bytes_per_rank));
  const std::uint64_t total = sat_add(held_total, out.bytes_per_rank(1));
  if (avail > 0) {
    const std::uint64_t n = total / avail + 1;
    if (n > static_cast<std::uint64_t>(ranks) && n < (std::uint64_t{1} << 31))
      fits += (fits.empty() ? "" : ", or ") + std::to_string(n) + " ranks";
  }
  return fits.empty() ? "" : ": " + fits + " would fit";
}

// Plans step i from its inputs' shapes (all known) and checks its memory.
void plan_step(const Job& job, std::size_t i, JobPlan& jp, const Uses& uses, const RunOptions& opts,
               const Logger& log, bool replanning) {
  const Step& step = job.steps[i];
  StepPlan& sp = jp.steps[i];
  sp = StepPlan{};
  // Without a plan, or reading what an earlier step writes, the step is planned when it starts.
  if (!step.spec->plan || (!replanning && reads_earlier_output(job, i))) return;
  std::map<std::string, const Shape*> inputs;
  for (const auto& [name, id] : step.inputs) {
    const StepPlan& in = jp.steps[uses.index.at(id)];
    if (!in.known) return;
    inputs[name] = &in.shape;
  }
  // What earlier steps' values keep on the busiest rank while this step runs.
  std::uint64_t held = 0, held_total = 0, reused = 0, reused_total = 0;
  for (std::size_t j = 0; j < i; ++j) {
    if (!jp.steps[j].known || !uses.held_during(j, i, job)) continue;
    held = sat_add(held, jp.steps[j].shape.bytes_per_rank(jp.ranks));
    held_total = sat_add(held_total, jp.steps[j].shape.bytes_per_rank(1));
  }
  const JobInfo info{job.file, job.dir, job.name};
  const std::any args = bound_args_with_site(step, opts, log);
  PlanContext ctx(step.params, info, log);
  ctx.bound_args = &args;
  ctx.schema = step.spec->schema.get();
  ctx.inputs = inputs;
  ctx.ranks = jp.ranks;
  if (jp.budget.per_rank) ctx.headroom_per_rank = sat_sub(*jp.budget.per_rank, sat_add(jp.budget.base, held));
  try {
    sp.shape = step.spec->plan(ctx);
  } catch (Error& e) {
    label_step_error(e, step);
    throw;
  }
  sp.known = true;
  jp.warnings.insert(jp.warnings.end(), ctx.warnings.begin(), ctx.warnings.end());
  // A value built from its input in place (the input's last use) does not hold both.
  if (sp.shape.reuses_input && inputs.count("input") && uses.last_use.at(step.inputs.at("input")) == i) {
    reused = inputs.at("input")->bytes_per_rank(jp.ranks);
    reused_total = inputs.at("input")->bytes_per_rank(1);
  }
  const std::uint64_t value = sp.shape.bytes_per_rank(jp.ranks);
  sp.peak_per_rank = sat_add(sat_add(jp.budget.base, sat_sub(held, reused)),
                             sat_add(value, sp.shape.working_bytes_per_rank));
  if (!jp.budget.per_rank || sp.peak_per_rank <= *jp.budget.per_rank) return;
  std::string what = format_size(sp.shape.bytes_per_rank(1));
  if (sp.shape.levels.size() == 1) what = describe(sp.shape.levels.front());
  if (sp.shape.levels.size() > 1)
    what = std::to_string(sp.shape.levels.size()) + " levels, " + what +
           " in all; the largest: " + describe(sp.shape.levels.front());
  throw step.params.step_error(
      (sp.peak_per_rank == std::numeric_limits<std::uint64_t>::max() ? "needs " : "needs about ") +
      format_size(sp.peak_per_rank) + " per rank on " + std::to_string(jp.ranks) +
      " rank(s) (its value: " + what + "; values of earlier steps: " + format_size(sat_sub(held, reused)) +
      " per rank), over the memory budget of " + format_size(*jp.budget.per_rank) + " per rank (" +
      jp.budget.source + ")" + what_fits(sp.shape, sat_sub(held_total, reused_total), jp.budget, jp.ranks));
}

}  // namespace

std::string describe(const PlannedLayer& l) {
  const auto& tl = l.md.layout.tile_layout;
  return std::to_string(l.tiles) + " tiles of " + std::to_string(tl.tile_cols) + "x" +
         std::to_string(tl.tile_rows) + " " + l.md.cell_type.name() +
         (l.md.bands > 1 ? " x " + std::to_string(l.md.bands) + " bands" : "") +
         (l.md.zoom && *l.md.zoom > 0 ? " at zoom " + std::to_string(*l.md.zoom) : "") + ", " +
         format_size(l.bytes_per_rank(1));
}

MemoryBudget run_budget(const RunOptions& o, bool this_machine) {
  MemoryBudget b;
  if (o.memory_per_rank) {
    b.per_rank = *o.memory_per_rank;
    b.source = o.memory_source.empty() ? "the site's memory_per_rank" : o.memory_source;
  } else if (this_machine) {
    std::uint64_t node = physical_memory();
    std::string what = "this node's memory";
    if (auto cg = cgroup_limit(); cg && *cg < node) node = *cg, what = "this job's memory limit (cgroup)";
    const int n = std::max(1, mpi::Runtime::node_size());
    b.per_rank = node / static_cast<std::uint64_t>(n);
    b.source = what + ", " + format_size(node) + ", shared by " + std::to_string(n) +
               " rank(s); a site configuration's memory_per_rank sets another";
  }
  const std::uint64_t rss = mpi::current_rss_bytes();
  rlimit as{};
  if (this_machine && ::getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    // Address space already mapped without being resident (MPI's segments, libraries) is not available.
    const std::uint64_t left = sat_sub(static_cast<std::uint64_t>(as.rlim_cur), sat_sub(virtual_size(), rss));
    if (!b.per_rank || left < *b.per_rank) {
      b.per_rank = left;
      b.source = "the address space `ulimit -v` leaves a rank";
    }
  }
  b.base = sat_add(rss, io::ensure_gdal_cache(0));
  // Every rank gives a number (none: the largest) so that all take part in the same reductions.
  constexpr auto kNone = std::numeric_limits<std::int64_t>::max();
  const std::int64_t mine =
      b.per_rank ? static_cast<std::int64_t>(std::min<std::uint64_t>(*b.per_rank, kNone - 1)) : kNone;
  const std::int64_t agreed = mpi::allreduce_min(mine);
  b.per_rank.reset();
  if (agreed != kNone) b.per_rank = static_cast<std::uint64_t>(agreed);
  b.base = static_cast<std::uint64_t>(mpi::allreduce_max(static_cast<std::int64_t>(b.base)));
  return b;
}

std::uint64_t JobPlan::peak_per_rank() const {
  std::uint64_t p = 0;
  for (const auto& s : steps) p = std::max(p, s.peak_per_rank);
  return p;
}

JobPlan plan_job(const Job& job, const Logger& log, const RunOptions& opts, int ranks, MemoryBudget budget) {
  JobPlan jp;
  jp.ranks = std::max(1, ranks);
  jp.budget = std::move(budget);
  jp.steps.resize(job.steps.size());
  const Uses uses(job);
  for (std::size_t i = 0; i < job.steps.size(); ++i) plan_step(job, i, jp, uses, opts, log, false);
  for (const auto& [msg, fields] : jp.warnings) log.warn(msg, fields);
  return jp;
}

void replan_step(const Job& job, std::size_t i, JobPlan& jp, const std::map<std::string, StepValue>& values,
                 const RunOptions& opts, const Logger& log) {
  const Uses uses(job);
  // The values this step reads or that stay held, as they are (in id order: the same on every rank).
  for (const auto& [id, v] : values) {
    StepPlan& sp = jp.steps[uses.index.at(id)];
    if (sp.known) continue;
    sp.shape = shape_of(v);
    sp.known = true;
  }
  const std::size_t before = jp.warnings.size();
  plan_step(job, i, jp, uses, opts, log, true);
  for (std::size_t w = before; w < jp.warnings.size(); ++w)
    log.warn(jp.warnings[w].first, jp.warnings[w].second);
}

}  // namespace trellis::job
