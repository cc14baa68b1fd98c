#include "job/executor.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unistd.h>

#include "dist/failure.hpp"
#include "dist/reduce.hpp"
#include "dist/runtime.hpp"
#include "dist/stats.hpp"
#include "job/context.hpp"

namespace trellis::job {

namespace fs = std::filesystem;

const StepValue& StepContext::input(const std::string& name) const {
  auto it = inputs.find(name);
  if (it == inputs.end() || !it->second) throw params.step_error("internal: missing input '" + name + "'");
  return *it->second;
}

namespace {

std::string csv_cell(const nlohmann::json& v) {
  std::string s = v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump();
  if (s.find_first_of(",\"\n") != std::string::npos) {
    std::string q = "\"";
    for (char c : s) q += (c == '"') ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }
  return s;
}

std::string to_csv(const nlohmann::json& data) {
  nlohmann::json rows = data.is_array() ? data : nlohmann::json::array({data});
  std::vector<std::string> cols;
  std::set<std::string> seen;
  for (const auto& r : rows)
    if (r.is_object())
      for (const auto& [k, _] : r.items())
        if (seen.insert(k).second) cols.push_back(k);
  std::ostringstream os;
  if (cols.empty()) {
    os << "value\n";
    for (const auto& r : rows) os << csv_cell(r) << "\n";
    return os.str();
  }
  for (std::size_t i = 0; i < cols.size(); ++i) os << (i ? "," : "") << csv_cell(cols[i]);
  os << "\n";
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < cols.size(); ++i) os << (i ? "," : "") << (r.contains(cols[i]) ? csv_cell(r[cols[i]]) : "");
    os << "\n";
  }
  return os.str();
}

std::size_t tiles_of(const StepValue& v) {
  if (const auto* t = std::get_if<dist::TiledLayer>(&v)) return t->tiles.size();
  if (const auto* p = std::get_if<dist::Pyramid>(&v)) {
    std::size_t n = 0;
    for (const auto& [z, l] : p->levels) n += l.tiles.size();
    return n;
  }
  if (const auto* r = std::get_if<dist::RasterLayer>(&v)) return r->windows.size();
  return 0;
}

}  // namespace

void write_result(const Result& r, const std::string& path) {
  fs::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  fs::path tmp = p.parent_path() / ("." + p.filename().string() + ".trellis-tmp-" + std::to_string(getpid()));
  {
    std::ofstream f(tmp, std::ios::binary);
    bool csv = p.extension() == ".csv";
    f << (csv ? to_csv(r.data) : r.data.dump(2) + "\n");
    f.close();
    if (!f) {
      fs::remove(tmp, ec);
      throw IoError("cannot write '" + path + "'");
    }
  }
  fs::rename(tmp, p, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw IoError("cannot write '" + path + "': " + ec.message());
  }
}

std::vector<StepStats> run_job(const Job& job, Logger& log) {
  JobInfo info{job.file, job.dir, job.name};
  std::map<std::string, StepValue> values;
  // The last step that uses each value: values are freed after it.
  std::map<std::string, std::size_t> last_use;
  for (std::size_t i = 0; i < job.steps.size(); ++i)
    for (const auto& [name, id] : job.steps[i].inputs) last_use[id] = i;

  std::vector<StepStats> all;
  const std::size_t n = job.steps.size();
  log.info("job '" + job.name + "': " + std::to_string(n) + " step(s) on " + std::to_string(dist::Runtime::size()) +
           " rank(s)");
  for (std::size_t i = 0; i < n; ++i) {
    const Step& step = job.steps[i];
    const std::string label = "step " + std::to_string(i + 1) + "/" + std::to_string(n) + " '" + step.id + "' (" +
                              step.spec->name + ")";
    log.info(label + " started");
    double t0 = dist::Runtime::wtime();
    std::size_t bytes0 = dist::stats().bytes_sent;
    Progress progress(log, label);
    StepContext ctx{step.params, {}, info, log, progress};
    for (const auto& [name, id] : step.inputs) ctx.inputs[name] = &values.at(id);
    StepValue v = step.spec->run(ctx);
    if (const auto* r = std::get_if<Result>(&v)) {
      log.info(label + ": " + r->data.dump());
      if (step.params.has("output") && dist::Runtime::rank() == 0) write_result(*r, step.params.get_string("output"));
    }
    dist::check_in();
    StepStats s;
    s.id = step.id;
    s.op = step.spec->name;
    s.wall_seconds = dist::allreduce_max(dist::Runtime::wtime() - t0);
    s.tiles = static_cast<std::size_t>(dist::allreduce_sum(static_cast<std::int64_t>(tiles_of(v))));
    s.bytes_moved =
        static_cast<std::size_t>(dist::allreduce_sum(static_cast<std::int64_t>(dist::stats().bytes_sent - bytes0)));
    s.peak_rss = static_cast<std::size_t>(dist::allreduce_max(static_cast<std::int64_t>(dist::peak_rss_bytes())));
    char buf[160];
    std::snprintf(buf, sizeof buf, " done in %.2f s", s.wall_seconds);
    log.info(label + buf);
    all.push_back(s);
    values[step.id] = std::move(v);
    for (auto it = values.begin(); it != values.end();) {
      auto lu = last_use.find(it->first);
      if (lu == last_use.end() || lu->second <= i) it = values.erase(it);
      else ++it;
    }
  }
  return all;
}

std::string format_stats_table(const std::vector<StepStats>& stats) {
  std::ostringstream os;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-20s %-18s %10s %10s %12s %14s\n", "step", "op", "wall s", "tiles", "moved MiB",
                "peak MiB/rank");
  os << buf;
  double total = 0;
  for (const auto& s : stats) {
    std::snprintf(buf, sizeof buf, "%-20s %-18s %10.2f %10zu %12.1f %14.1f\n", s.id.c_str(), s.op.c_str(),
                  s.wall_seconds, s.tiles, static_cast<double>(s.bytes_moved) / 1048576.0,
                  static_cast<double>(s.peak_rss) / 1048576.0);
    os << buf;
    total += s.wall_seconds;
  }
  std::snprintf(buf, sizeof buf, "%-20s %-18s %10.2f\n", "total", "", total);
  os << buf;
  return os.str();
}

}  // namespace trellis::job
