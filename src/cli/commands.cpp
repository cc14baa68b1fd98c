#include "cli/commands.hpp"

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "cli/memory.hpp"
#include "core/error.hpp"
#include "io/catalog/catalog.hpp"
#include "io/geotiff.hpp"
#include "io/object_store.hpp"
#include "job/agreement.hpp"
#include "job/executor.hpp"
#include "job/job.hpp"
#include "job/ops_doc.hpp"
#include "job/planner.hpp"
#include "job/site_config.hpp"
#include "mpi/failure.hpp"
#include "mpi/runtime.hpp"
#include "mpi/signals.hpp"
#include "ops/catalog/layer_reader.hpp"
#include "ops/registry.hpp"

namespace trellis::cli {

void print_error(const std::string& msg) {
  std::string line = msg;
  for (auto& c : line)
    if (c == '\n') c = ' ';
  if (job::log_format() == job::LogFormat::Json) {
    std::fputs(job::format_log_line("error", mpi::Runtime::rank(), line).c_str(), stderr);
    std::fflush(stderr);
    return;
  }
  if (mpi::Runtime::size() > 1 && mpi::Runtime::rank() != 0)
    line = "rank " + std::to_string(mpi::Runtime::rank()) + ": " + line;
  std::fprintf(stderr, "trellis: %s\n", line.c_str());
  std::fflush(stderr);
}

void print_stopped(const std::string& msg, int signal) {
  if (mpi::Runtime::rank() != 0) return;
  std::fputs(
      job::format_log_line("warn", 0, msg, {{"event", "stopped"}, {"signal", mpi::signal_name(signal)}})
          .c_str(),
      stderr);
  std::fflush(stderr);
}

namespace {

void out(const std::string& s) {
  if (mpi::Runtime::rank() == 0) {
    std::fputs(s.c_str(), stdout);
    std::fflush(stdout);
  }
}

std::map<std::string, std::string> parse_vars(const std::vector<std::string>& vars) {
  std::map<std::string, std::string> m;
  for (const auto& v : vars)
    m.insert_or_assign(job::parse_var_assignment(v).first, job::parse_var_assignment(v).second);
  return m;
}

// The job, loaded on every rank and checked to be the same on every rank (collective).
job::Job load(const RunArgs& a) {
  if (!std::filesystem::exists(a.job)) throw JobError(a.job + ": no such job file");
  job::Job j = job::load_job(a.job, parse_vars(a.vars), ops::registry());
  job::check_ranks_agree(j);
  return j;
}

// The site configuration named by --config or $TRELLIS_CONFIG (none: every default).
job::SiteConfig load_site(const RunArgs& a) {
  const std::string path = job::site_config_path(a.config);
  if (path.empty()) return {};
  if (!std::filesystem::exists(path))
    throw JobError(path + ": no such site configuration file" +
                   (a.config.empty() ? std::string(" (from TRELLIS_CONFIG)") : std::string()));
  return job::load_site_config(path);
}

// This rank's private folder for temporary files under the site's scratch folder, removed at the end
// (also on failure or stop). GDAL puts its temporary files there (CPL_TMPDIR); jobs can name the
// scratch folder itself as ${TRELLIS_SCRATCH}.
class ScratchDir {
 public:
  explicit ScratchDir(const job::SiteConfig& site) {
    if (site.scratch.empty()) return;
    namespace fs = std::filesystem;
    const char* jid = std::getenv("SLURM_JOB_ID");
    const std::string tag = jid && *jid ? std::string(jid) : std::to_string(::getpid());
    fs::path p = fs::path(site.scratch) / ("trellis-" + tag + "-rank" + std::to_string(mpi::Runtime::rank()));
    std::error_code ec;
    fs::create_directories(p, ec);
    if (ec || ::access(p.c_str(), W_OK | X_OK) != 0)
      throw JobError(site.mark("scratch").str() + ": scratch: cannot create a writable folder in '" +
                     site.scratch + "'" + (ec ? ": " + ec.message() : std::string()));
    path_ = p.string();
    ::setenv("TRELLIS_SCRATCH", site.scratch.c_str(), 1);
    ::setenv("CPL_TMPDIR", path_.c_str(), 1);
  }
  ~ScratchDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

 private:
  std::string path_;
};

// Applies what the site configuration sets for the whole process: log format, failure timeout, memory
// budget (and GDAL's cache within it), threads.
job::ThreadChoice apply_site(job::SiteConfig& site) {
  job::set_log_format(site.log_format);
  if (site.failure_timeout) mpi::set_failure_timeout(*site.failure_timeout);
  job::resolve_memory(site);
  if (site.memory_per_rank && !std::getenv("GDAL_CACHEMAX")) {
    // GDAL's block cache (default: 5 % of the machine per process) within an eighth of the budget.
    const auto mb = std::max<std::uint64_t>(16, (*site.memory_per_rank >> 20) / 8);
    ::setenv("GDAL_CACHEMAX", std::to_string(mb).c_str(), 1);
  }
  const job::ThreadChoice threads = job::choose_threads(site, omp_get_max_threads());
  omp_set_num_threads(threads.threads);
  if (auto slurm = job::slurm_info()) {
    job::set_log_context("slurm_job_id", slurm->job_id);
    if (!slurm->step_id.empty()) job::set_log_context("slurm_step_id", slurm->step_id);
    if (!slurm->array_job_id.empty()) {
      job::set_log_context("slurm_array_job_id", slurm->array_job_id);
      job::set_log_context("slurm_array_task_id", slurm->array_task_id);
    }
  }
  return threads;
}

// Rank 0 logs the Slurm job and step, ranks x threads and the site settings (once the job is known to
// be valid: a wrong job is one error line and nothing else).
void log_setup(const job::SiteConfig& site, const job::ThreadChoice& threads, const job::Logger& log) {
  log.debug(huge_pages_state(), {{"event", "memory"}});
  // Every rank's count: the launcher's sockets are per process (mpi/sockets.hpp).
  log.debug_all("TCP_NODELAY set on " + std::to_string(mpi::Runtime::nodelay_sockets()) +
                " launcher socket(s)");
  if (reexecuted_for_huge_pages())
    log.debug("the engine started again to set glibc's tunable (the `trellis` launcher spares that start)",
              {{"event", "memory_reexec"}});
  if (auto slurm = job::slurm_info()) {
    log.info(job::describe_slurm(*slurm), {{"event", "slurm"},
                                           {"nodelist", slurm->nodelist},
                                           {"ntasks", slurm->ntasks},
                                           {"nnodes", slurm->nnodes}});
  }
  log.info(std::to_string(mpi::Runtime::size()) + " rank(s) x " + std::to_string(threads.threads) +
               " thread(s) (threads from " + threads.source + ")",
           {{"event", "layout"},
            {"ranks", mpi::Runtime::size()},
            {"threads", threads.threads},
            {"threads_from", threads.source}});
  if (!site.file.empty()) {
    std::string d = "site configuration " + site.file;
    if (site.memory_per_rank)
      d += ": memory_per_rank " + job::format_size(*site.memory_per_rank) + " (" + site.memory_source +
           "; exchange rounds of " + std::to_string(job::round_mb_for_budget(*site.memory_per_rank)) +
           " MiB)";
    else if (site.memory_auto)
      d += ": memory_per_rank auto, but no Slurm memory allocation (the ops' own rounds)";
    if (!site.scratch.empty()) d += ", scratch " + site.scratch;
    if (!site.compression.empty()) d += ", compression " + site.compression;
    log.info(d, {{"event", "site"}, {"file", site.file}});
  }
}

// Rank 0 logs the plan's estimate: the step that needs the most memory, and the budget.
void log_plan(const job::JobPlan& plan, const job::Logger& log) {
  std::size_t top = 0;
  for (std::size_t i = 0; i < plan.steps.size(); ++i)
    if (plan.steps[i].peak_per_rank > plan.steps[top].peak_per_rank) top = i;
  if (plan.steps.empty() || plan.steps[top].peak_per_rank == 0) return;
  std::string msg = "plan: about " + job::format_size(plan.steps[top].peak_per_rank) +
                    " per rank at most (step " + std::to_string(top + 1) + ")";
  if (plan.budget.per_rank)
    msg +=
        ", within the budget of " + job::format_size(*plan.budget.per_rank) + " (" + plan.budget.source + ")";
  log.info(msg, {{"event", "plan"},
                 {"peak_per_rank_bytes", plan.steps[top].peak_per_rank},
                 {"budget_per_rank_bytes", plan.budget.per_rank.value_or(0)}});
}

}  // namespace

int command_run(const RunArgs& a) {
  // Before anything long: a signal from now on is a request to stop at the next safe point.
  mpi::install_stop_handlers();
  job::Logger log(job::parse_log_level(a.log_level), mpi::Runtime::rank());
  job::SiteConfig site = load_site(a);
  const job::ThreadChoice threads = apply_site(site);
  ScratchDir scratch(site);  // before the job: ${TRELLIS_SCRATCH}
  job::Job j = load(a);
  job::set_log_context("job", j.name);
  const job::RunOptions opts = job::run_options(site);
  // Everything the inputs' metadata can tell, and the memory, before any work.
  job::JobPlan plan = job::plan_job(j, log, opts, mpi::Runtime::size(), job::run_budget(opts));
  log_setup(site, threads, log);
  log_plan(plan, log);
  auto stats = job::run_job(j, log, opts, &plan);
  try {
    mpi::check_in();
  } catch (const mpi::StopRequested&) {
    // Agreed after the last step had finished (every rank is here): the job is complete.
  }
  if (log.level() <= job::LogLevel::Info && mpi::Runtime::rank() == 0) {
    if (job::log_format() == job::LogFormat::Json) {
      std::fputs(job::format_log_line("info", 0, "job '" + j.name + "' done",
                                      {{"event", "job_done"}, {"steps", job::stats_json(stats)}})
                     .c_str(),
                 stderr);
      std::fflush(stderr);
    } else {
      std::fprintf(stderr, "trellis: job '%s' done\n%s", j.name.c_str(),
                   job::format_stats_table(stats).c_str());
    }
  }
  return 0;
}

int command_validate(const RunArgs& a) {
  job::SiteConfig site = load_site(a);
  job::resolve_memory(site);
  job::Job j = load(a);
  job::Logger log(job::LogLevel::Warn, mpi::Runtime::rank());
  const job::RunOptions opts = job::run_options(site);
  // The run's rank count: --ranks, else the Slurm allocation's, else this command's. The budget is
  // checked when the site configuration sets one (this machine's memory says nothing of the run's).
  int ranks = a.ranks;
  if (const char* n = std::getenv("SLURM_NTASKS"); ranks <= 0 && n)
    ranks = static_cast<int>(std::strtol(n, nullptr, 10));
  if (ranks <= 0) ranks = mpi::Runtime::size();
  const job::JobPlan plan = job::plan_job(j, log, opts, ranks, job::run_budget(opts, false));
  std::string msg = a.job + ": valid (" + std::to_string(j.steps.size()) + " step(s))";
  if (plan.peak_per_rank() > 0)
    msg += "; about " + job::format_size(plan.peak_per_rank()) + " per rank at most on " +
           std::to_string(ranks) + " rank(s)";
  if (!site.file.empty()) msg += "; " + site.file + ": valid site configuration";
  out(msg + "\n");
  return 0;
}

int command_ops(const std::string& op) {
  const auto& reg = ops::registry();
  if (op.empty()) {
    out(job::format_ops_list(reg));
    return 0;
  }
  std::string message;
  const job::OpSpec* spec = job::find_op_or_suggest(reg, op, message);
  if (!spec) throw JobError(message);
  out(job::format_op(*spec));
  return 0;
}

namespace {

// `trellis info CATALOG`: every layer of a catalog (a file catalog's folder, an S3 catalog, or an HDF5
// store's file), one line each.
int catalog_info(const std::string& uri) {
  std::string s = "catalog:    " + io::catalog::parse_catalog_uri(uri).shown() + "\n";
  char buf[1024];
  const auto ids = ops::catalog::LayerReader::layers(uri);
  for (const auto& id : ids) {
    const auto reader = ops::catalog::LayerReader::open(uri, id);
    if (!reader) continue;
    const io::catalog::LayerAttributes& a = reader->attributes();
    const LayerMetadata& md = a.md;
    const TileLayout& tl = md.layout.tile_layout;
    std::snprintf(buf, sizeof buf,
                  "layer %s zoom %d: %s, %s, %s, %zu tile(s) stored, layout %ldx%ld tiles of %dx%d cells, %s "
                  "index, extent %.10g %.10g %.10g %.10g, crs %s\n",
                  id.name.c_str(), id.zoom, md.cell_type.name().c_str(),
                  a.header.multiband() ? (std::to_string(md.bands) + " bands").c_str() : "single band",
                  md.temporal ? "spacetime" : "spatial", reader->stored_tiles(), tl.layout_cols,
                  tl.layout_rows, tl.tile_cols, tl.tile_rows, index_kind_name(a.key_index.kind),
                  md.extent.xmin, md.extent.ymin, md.extent.xmax, md.extent.ymax, md.crs.label().c_str());
    s += buf;
  }
  if (ids.empty()) s += "(no layer)\n";
  out(s);
  return 0;
}

}  // namespace

int command_info(const std::string& uri) {
  if (uri.rfind("hdf5://", 0) == 0) return catalog_info(uri);
  // On S3, an object is a raster; a prefix is a catalog (perhaps with no layer yet).
  if (uri.rfind("s3://", 0) == 0 && !io::vsi_is_object(io::gdal_path(uri))) return catalog_info(uri);
  const std::string path = io::gdal_path(uri.rfind("file://", 0) == 0 ? uri.substr(7) : uri);
  if (std::filesystem::is_directory(path + "/attributes")) return catalog_info(path);
  if (path.ends_with(".h5") || path.ends_with(".hdf5")) return catalog_info("hdf5://" + path);
  if (path.rfind("/vsi", 0) != 0 && !std::filesystem::exists(path)) throw JobError(path + ": no such file");
  io::RasterInfo i = io::read_info(path);
  const GridExtent& g = i.grid;
  char buf[1024];
  std::string s;
  std::snprintf(buf, sizeof buf, "path:       %s\n", i.path.c_str());
  s += buf;
  std::snprintf(buf, sizeof buf, "size:       %ld x %ld cells, %d band(s)\n", g.cols, g.rows, i.bands);
  s += buf;
  std::snprintf(buf, sizeof buf, "cell type:  %s\n", i.cell_type.name().c_str());
  s += buf;
  std::snprintf(
      buf, sizeof buf, "crs:        %s\n",
      i.crs.valid() ? (i.crs.epsg() ? i.crs.definition().c_str() : i.crs.proj4().c_str()) : "(none)");
  s += buf;
  std::snprintf(buf, sizeof buf, "extent:     %.10g %.10g %.10g %.10g (xmin ymin xmax ymax)\n", g.extent.xmin,
                g.extent.ymin, g.extent.xmax, g.extent.ymax);
  s += buf;
  std::snprintf(buf, sizeof buf, "cell size:  %.10g x %.10g\n", g.cell_width(), g.cell_height());
  s += buf;
  std::snprintf(buf, sizeof buf, "blocks:     %d x %d\n", i.block_cols, i.block_rows);
  s += buf;
  out(s);
  return 0;
}

}  // namespace trellis::cli
