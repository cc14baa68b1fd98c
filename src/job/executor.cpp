#include "job/executor.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "job/context.hpp"
#include "job/planner.hpp"
#include "mpi/failure.hpp"
#include "mpi/reduce.hpp"
#include "mpi/runtime.hpp"
#include "mpi/signals.hpp"
#include "mpi/stats.hpp"

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
    for (std::size_t i = 0; i < cols.size(); ++i)
      os << (i ? "," : "") << (r.contains(cols[i]) ? csv_cell(r[cols[i]]) : "");
    os << "\n";
  }
  return os.str();
}

std::size_t tiles_of(const StepValue& v) {
  if (const auto* t = std::get_if<TiledLayer>(&v)) return t->tiles.size();
  if (const auto* p = std::get_if<Pyramid>(&v)) {
    std::size_t n = 0;
    for (const auto& [z, l] : p->levels) n += l.tiles.size();
    return n;
  }
  if (const auto* r = std::get_if<RasterLayer>(&v)) return r->windows.size();
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
      const std::string why = std::strerror(errno);
      fs::remove(tmp, ec);
      throw IoError("cannot write '" + path + "': " + why);
    }
  }
  fs::rename(tmp, p, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw IoError("cannot write '" + path + "': " + ec.message());
  }
}

std::any bound_args_with_site(const Step& step, const RunOptions& o, const Logger& log) {
  std::any args = step.args;
  if (!step.spec->schema) return args;
  for (const auto& note : step.spec->schema->apply_site(args, step.params, o))
    log.debug("step '" + step.id + "': " + note + " (site configuration)",
              {{"event", "site_default"}, {"step", step.id}});
  return args;
}

void label_step_error(Error& e, const Step& step) {
  if (e.located() || dynamic_cast<const mpi::PeerFailure*>(&e) || dynamic_cast<const mpi::StopRequested*>(&e))
    return;
  const std::string at = step.mark.str();
  e.add_context((at.empty() ? std::string() : at + ": ") + "step '" + step.id + "' (" + step.spec->name +
                ")");
}

namespace {

std::string step_list(const std::vector<std::string>& ids) {
  std::string s;
  for (std::size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + ids[i];
  return s.empty() ? "none" : s;
}

// The outputs the first `finished` steps wrote: "'out.tif' (step 'w')", comma-separated; "" if none.
std::string outputs_of(const Job& job, std::size_t finished) {
  std::string s;
  for (std::size_t i = 0; i < finished && i < job.steps.size(); ++i)
    for (const auto& p : job.steps[i].spec->params)
      if ((p.type == ParamType::OutputPath || p.type == ParamType::OutputFolder) &&
          job.steps[i].params.has(p.name) && job.steps[i].params.raw(p.name).is_string())
        s += (s.empty() ? "'" : ", '") + job.steps[i].params.raw(p.name).as_string() + "' (step '" +
             job.steps[i].id + "')";
  return s;
}

}  // namespace

nlohmann::json stats_json(const std::vector<StepStats>& stats) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& s : stats)
    rows.push_back({{"step", s.id},
                    {"op", s.op},
                    {"wall_s", s.wall_seconds},
                    {"tiles", s.tiles},
                    {"bytes_moved", s.bytes_moved},
                    {"peak_rss_bytes", s.peak_rss}});
  return rows;
}

std::vector<StepStats> run_job(const Job& job, Logger& log, const RunOptions& opts, JobPlan* plan) {
  JobInfo info{job.file, job.dir, job.name};
  std::map<std::string, StepValue> values;
  // The last step that uses each value: values are freed after it.
  std::map<std::string, std::size_t> last_use;
  for (std::size_t i = 0; i < job.steps.size(); ++i)
    for (const auto& [name, id] : job.steps[i].inputs) last_use[id] = i;

  std::vector<StepStats> all;
  const std::size_t n = job.steps.size();
  log.info("job '" + job.name + "': " + std::to_string(n) + " step(s) on " +
               std::to_string(mpi::Runtime::size()) + " rank(s)",
           {{"event", "job_start"}, {"steps", n}, {"ranks", mpi::Runtime::size()}});
  // Steps whose run completed on this rank, outputs committed. A stop is agreed at a check-in, which
  // every rank reaches at the same point of the same step, so every rank holds the same count then.
  std::size_t finished = 0;
  bool warned_memory = false;
  try {
    for (std::size_t i = 0; i < n; ++i) {
      const Step& step = job.steps[i];
      const std::string label = "step " + std::to_string(i + 1) + "/" + std::to_string(n) + " '" + step.id +
                                "' (" + step.spec->name + ")";
      log.info(label + " started", {{"event", "step_start"}, {"step", step.id}, {"op", step.spec->name}});
      double t0 = mpi::Runtime::wtime();
      std::size_t bytes0 = mpi::stats().bytes_sent;
      Progress progress(log, label, opts.progress_interval);
      const std::any args = bound_args_with_site(step, opts, log);
      StepContext ctx{step.params, {}, info, log, progress};
      ctx.bound_args = &args;
      ctx.schema = step.spec->schema.get();
      if (plan) {
        // A step that could not be planned at load is planned now, from its real inputs.
        if (!plan->steps[i].known && step.spec->plan) replan_step(job, i, *plan, values, opts, log);
        if (plan->steps[i].known) ctx.planned = &plan->steps[i].shape;
      }
      for (const auto& [name, id] : step.inputs) {
        ctx.inputs[name] = &values.at(id);
        const bool once = std::count_if(step.inputs.begin(), step.inputs.end(),
                                        [&](const auto& in) { return in.second == id; }) == 1;
        if (last_use.at(id) == i && once) ctx.last_uses[name] = &values.at(id);
      }
      StepValue v;
      try {
        v = step.spec->run(ctx);
      } catch (Error& e) {
        label_step_error(e, step);
        throw;
      }
      if (const auto* r = std::get_if<Result>(&v)) {
        log.info(label + ": " + r->data.dump(),
                 {{"event", "result"}, {"step", step.id}, {"result", r->data}});
        if (step.params.has("output") && mpi::Runtime::rank() == 0)
          write_result(*r, step.params.get_string("output"));
      }
      finished = i + 1;
      mpi::check_in();
      StepStats s;
      s.id = step.id;
      s.op = step.spec->name;
      s.wall_seconds = mpi::allreduce_max(mpi::Runtime::wtime() - t0);
      s.tiles = static_cast<std::size_t>(mpi::allreduce_sum(static_cast<std::int64_t>(tiles_of(v))));
      s.bytes_moved = static_cast<std::size_t>(
          mpi::allreduce_sum(static_cast<std::int64_t>(mpi::stats().bytes_sent - bytes0)));
      s.peak_rss =
          static_cast<std::size_t>(mpi::allreduce_max(static_cast<std::int64_t>(mpi::peak_rss_bytes())));
      char buf[160];
      std::snprintf(buf, sizeof buf, " done in %.2f s", s.wall_seconds);
      log.info(label + buf, {{"event", "step_done"},
                             {"step", step.id},
                             {"op", step.spec->name},
                             {"wall_s", s.wall_seconds},
                             {"tiles", s.tiles},
                             {"bytes_moved", s.bytes_moved},
                             {"peak_rss_bytes", s.peak_rss}});
      if (opts.memory_per_rank && s.peak_rss > *opts.memory_per_rank && !warned_memory) {
        warned_memory = true;
        std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(s.peak_rss) / 1048576.0);
        std::string budget = std::to_string(*opts.memory_per_rank >> 20) + " MiB";
        log.warn(label + ": peak memory " + buf + " on a rank exceeds the site's memory_per_rank (" + budget +
                     "): use more ranks, or smaller rounds (round_mb)",
                 {{"event", "memory_budget_exceeded"},
                  {"step", step.id},
                  {"peak_rss_bytes", s.peak_rss},
                  {"memory_per_rank_bytes", *opts.memory_per_rank}});
      }
      all.push_back(s);
      values[step.id] = std::move(v);
      for (auto it = values.begin(); it != values.end();) {
        auto lu = last_use.find(it->first);
        if (lu == last_use.end() || lu->second <= i)
          it = values.erase(it);
        else
          ++it;
      }
    }
  } catch (const mpi::StopRequested& stop) {
    const std::string why = "stop requested by " + mpi::signal_name(stop.signal());
    if (finished == n) {
      log.info(why + " after the last step finished: the job is complete",
               {{"event", "stop_after_end"}, {"signal", mpi::signal_name(stop.signal())}});
      return all;
    }
    std::vector<std::string> done, not_done;
    for (std::size_t i = 0; i < n; ++i) {
      if (i < finished)
        done.push_back(job.steps[i].id);
      else if (i == finished)
        not_done.push_back(job.steps[i].id + " (interrupted)");
      else
        not_done.push_back(job.steps[i].id);
    }
    const Step& cur = job.steps[finished];
    if (!all.empty() && log.level() <= LogLevel::Info) {
      const std::string table = format_stats_table(all);
      log.info("steps finished before the stop:\n" + table.substr(0, table.size() - 1),
               {{"event", "stopped_stats"}, {"steps", stats_json(all)}});
    }
    const std::string msg = "stopped by " + mpi::signal_name(stop.signal()) + " during step " +
                            std::to_string(finished + 1) + "/" + std::to_string(n) + " '" + cur.id + "' (" +
                            cur.spec->name + "): finished: " + step_list(done) +
                            "; not finished: " + step_list(not_done) + "; no partial output left";
    throw mpi::StopRequested(stop.signal(), msg);
  } catch (const mpi::PeerFailure&) {
    throw;  // the failing rank reports
  } catch (const Error& e) {
    // A failure after earlier steps wrote their outputs: those are complete, and the job did not run
    // to its end, so this is a runtime failure (exit 3) whatever its cause; exit 2 means nothing was
    // written. The failing step leaves no partial output (writers commit by renaming).
    const std::string written = outputs_of(job, finished);
    if (written.empty()) throw;
    Error failed(kExitIo, std::string(e.what()) + " (complete before the failure: " + written + ")");
    if (e.located()) failed.set_located();
    throw failed;
  }
  return all;
}

std::string format_stats_table(const std::vector<StepStats>& stats) {
  std::ostringstream os;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-20s %-18s %10s %10s %12s %14s\n", "step", "op", "wall s", "tiles",
                "moved MiB", "peak MiB/rank");
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
