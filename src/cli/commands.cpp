#include "cli/commands.hpp"

#include <cstdio>
#include <filesystem>
#include <map>

#include "core/error.hpp"
#include "dist/failure.hpp"
#include "dist/runtime.hpp"
#include "io/geotiff.hpp"
#include "job/executor.hpp"
#include "job/job.hpp"
#include "job/ops_doc.hpp"
#include "ops/register.hpp"

namespace trellis::cli {

void print_error(const std::string& msg) {
  std::string line = msg;
  for (auto& c : line)
    if (c == '\n') c = ' ';
  if (dist::Runtime::size() > 1 && dist::Runtime::rank() != 0)
    line = "rank " + std::to_string(dist::Runtime::rank()) + ": " + line;
  std::fprintf(stderr, "trellis: %s\n", line.c_str());
  std::fflush(stderr);
}

namespace {

void out(const std::string& s) {
  if (dist::Runtime::rank() == 0) {
    std::fputs(s.c_str(), stdout);
    std::fflush(stdout);
  }
}

std::map<std::string, std::string> parse_vars(const std::vector<std::string>& vars) {
  std::map<std::string, std::string> m;
  for (const auto& v : vars) m.insert_or_assign(job::parse_var_assignment(v).first, job::parse_var_assignment(v).second);
  return m;
}

job::Job load(const RunArgs& a) {
  if (!std::filesystem::exists(a.job)) throw JobError(a.job + ": no such job file");
  return job::load_job(a.job, parse_vars(a.vars), ops::registry());
}

}  // namespace

int command_run(const RunArgs& a) {
  job::Logger log(job::parse_log_level(a.log_level), dist::Runtime::rank());
  job::Job j = load(a);
  auto stats = job::run_job(j, log);
  dist::check_in();
  if (log.level() <= job::LogLevel::Info && dist::Runtime::rank() == 0) {
    std::fprintf(stderr, "trellis: job '%s' done\n%s", j.name.c_str(), job::format_stats_table(stats).c_str());
  }
  return 0;
}

int command_validate(const RunArgs& a) {
  job::Job j = load(a);
  out(a.job + ": valid (" + std::to_string(j.steps.size()) + " step(s))\n");
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

int command_info(const std::string& path) {
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
  std::snprintf(buf, sizeof buf, "crs:        %s\n",
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
