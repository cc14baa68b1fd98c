// The site configuration (site_config.hpp): loading, validation with FILE:LINE:COL, and what the
// cluster's environment (Slurm) tells about memory and threads.
#include "job/site_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/text.hpp"
#include "job/did_you_mean.hpp"
#include "job/executor.hpp"
#include "job/job.hpp"

namespace trellis::job {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kKeys = {"version", "memory_per_rank", "scratch",           "compression",
                                        "threads", "log_format",      "progress_interval", "failure_timeout"};

std::optional<double> parse_number(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<long> parse_env_int(const char* s) {
  if (!s || !*s) return std::nullopt;
  long v = 0;
  auto r = std::from_chars(s, s + std::strlen(s), v);
  if (r.ec != std::errc() || r.ptr == s) return std::nullopt;  // "2(x3)" style values: the leading number
  return v;
}

// Every compression name the registry's ops accept (the choices of their `compression` parameters).
std::vector<std::string> compression_choices(const Registry& reg) {
  std::vector<std::string> out;
  for (const OpSpec* op : reg.all())
    for (const auto& p : op->params)
      if (p.name == "compression")
        for (const auto& c : p.choices)
          if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  return out;
}

class SiteLoader {
 public:
  SiteLoader(std::string file, std::string dir, const Registry& reg)
      : file_(std::move(file)), dir_(std::move(dir)), reg_(reg) {}

  SiteConfig load(const std::string& text) {
    SiteConfig site;
    site.file = file_;
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      fail(Mark{file_, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.mark.column >= 0 ? e.mark.column + 1 : 0},
           e.msg);
    }
    if (!root || root.IsNull()) return site;  // an empty file: every default
    if (!root.IsMap()) fail(mark_of(root), "a site configuration is a map of settings (" + join(kKeys) + ")");
    std::set<std::string> seen;
    for (auto it = root.begin(); it != root.end(); ++it) {
      const YAML::Node k = it->first, v = it->second;
      if (!k.IsScalar()) fail(mark_of(k), "keys must be plain names");
      const std::string key = k.Scalar();
      if (!seen.insert(key).second) fail(mark_of(k), "duplicate key '" + key + "'");
      if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
        std::string hint = did_you_mean_suffix(key, kKeys);
        fail(mark_of(k),
             "unknown setting '" + key + "'" + (hint.empty() ? " (settings: " + join(kKeys) + ")" : hint));
      }
      const Mark m = v.IsNull() ? mark_of(k) : mark_of(v);
      site.marks[key] = m;
      if (v.IsNull()) continue;  // `key:` alone: the default
      if (!v.IsScalar())
        fail(m, "'" + key + "' must be a single value, got " + std::string(v.IsMap() ? "a map" : "a list"));
      const std::string s = std::string(trim(value(v, m, key)));
      set(site, key, s, m);
    }
    return site;
  }

 private:
  Mark mark_of(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    return Mark{file_, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0};
  }
  [[noreturn]] static void fail(const Mark& m, const std::string& message) {
    const std::string where = m.str();
    throw JobError(where.empty() ? message : where + ": " + message);
  }
  // The scalar with ${VAR} substituted from the environment (the job's rules and messages).
  std::string value(const YAML::Node& n, const Mark& m, const std::string& key) const {
    try {
      return substitute_vars(n.Scalar(), {}, Mark{});
    } catch (const JobError& e) {
      fail(m, key + ": " + e.what());
    }
  }

  void set(SiteConfig& site, const std::string& key, const std::string& s, const Mark& m) const {
    const std::string q = "'" + s + "'";
    if (key == "version") {
      if (s != "1")
        fail(m, "unsupported site configuration version " + q + " (this trellis reads version 1)");
    } else if (key == "memory_per_rank") {
      if (lower(s) == "auto") {
        site.memory_auto = true;
        return;
      }
      auto b = parse_size(s);
      if (!b) fail(m, "memory_per_rank: " + q + " is not a size (e.g. 4GiB, 512MiB, or auto)");
      if (*b < (std::uint64_t{16} << 20)) fail(m, "memory_per_rank: " + q + " is too small (at least 16MiB)");
      site.memory_per_rank = *b;
      site.memory_source = m.str();
    } else if (key == "scratch") {
      if (s.empty()) fail(m, "scratch: empty folder name");
      if (is_virtual_path(s)) fail(m, "scratch: " + q + " must be a local folder, not a URL or /vsi path");
      site.scratch = resolve_job_path(dir_, s);
    } else if (key == "compression") {
      const auto choices = compression_choices(reg_);
      if (choices.empty()) {
        site.compression = normalize_choice(s);
        return;
      }
      const std::string c = match_choice(s, choices);
      if (c.empty()) {
        const std::string hint = did_you_mean_suffix(s, choices);
        fail(m, "compression: unknown compression " + q + (hint.empty() ? " (" + join(choices) + ")" : hint));
      }
      site.compression = c;
    } else if (key == "threads") {
      if (lower(s) == "auto") {
        site.threads = 0;
        return;
      }
      auto n = parse_number(s);
      if (!n || *n != std::floor(*n) || *n < 1 || *n > 4096)
        fail(m, "threads: " + q + " is not a thread count (a whole number from 1, or auto)");
      site.threads = static_cast<int>(*n);
    } else if (key == "log_format") {
      try {
        site.log_format = parse_log_format(lower(s));
      } catch (const JobError&) {
        fail(m, "log_format: unknown format " + q + " (text or json)");
      }
    } else if (key == "progress_interval") {
      auto n = parse_number(s);
      if (!n || *n <= 0) fail(m, "progress_interval: " + q + " is not a number of seconds > 0");
      site.progress_interval = *n;
    } else if (key == "failure_timeout") {
      auto n = parse_number(s);
      if (!n || *n < 0)
        fail(m, "failure_timeout: " + q + " is not a number of seconds >= 0 (0: wait forever)");
      site.failure_timeout = *n;
    }
  }

  std::string file_, dir_;
  const Registry& reg_;
};

}  // namespace

Mark SiteConfig::mark(const std::string& key) const {
  auto it = marks.find(key);
  return it == marks.end() ? Mark{file, 0, 0} : it->second;
}

const char* process_env(const char* name) {
  return std::getenv(name);
}

std::string site_config_path(const std::string& flag, const EnvFn& env) {
  if (!flag.empty()) return flag;
  const char* e = env("TRELLIS_CONFIG");
  return e ? std::string(e) : std::string();
}

SiteConfig site_config_from_string(const std::string& yaml_text, const std::string& file_for_messages,
                                   const std::string& dir, const Registry& reg) {
  const std::string abs_dir =
      dir.empty() ? fs::current_path().string() : fs::absolute(dir).lexically_normal().string();
  return SiteLoader(file_for_messages, abs_dir, reg).load(yaml_text);
}

SiteConfig load_site_config(const std::string& path, const Registry& reg) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw JobError(path + ": is a folder, not a site configuration file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw JobError(path + ": cannot read the site configuration: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  const fs::path parent = fs::absolute(path).lexically_normal().parent_path();
  return site_config_from_string(text.str(), path, parent.string(), reg);
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  text = trim(text);
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  auto number = parse_number(text.substr(0, i));
  if (!number || *number < 0) return std::nullopt;
  const std::string unit = lower(trim(text.substr(i)));
  double mult = 0;
  if (unit.empty())
    mult = 1024.0 * 1024;  // MiB, like Slurm's --mem
  else if (unit == "b")
    mult = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib")
    mult = 1024.0;
  else if (unit == "m" || unit == "mb" || unit == "mib")
    mult = 1024.0 * 1024;
  else if (unit == "g" || unit == "gb" || unit == "gib")
    mult = 1024.0 * 1024 * 1024;
  else if (unit == "t" || unit == "tb" || unit == "tib")
    mult = 1024.0 * 1024 * 1024 * 1024;
  else
    return std::nullopt;
  const double bytes = *number * mult;
  if (bytes >= 1.8e19) return std::nullopt;
  return static_cast<std::uint64_t>(std::llround(bytes));
}

std::string format_size(std::uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (v == std::floor(v))
    std::snprintf(buf, sizeof buf, "%.0f %s", v, units[u]);
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

std::optional<std::uint64_t> slurm_memory_per_rank(const EnvFn& env, std::string* source) {
  constexpr std::uint64_t MiB = 1024 * 1024;
  if (!env("SLURM_JOB_ID")) return std::nullopt;
  const long cpus = parse_env_int(env("SLURM_CPUS_PER_TASK")).value_or(1);
  if (auto per_cpu = parse_env_int(env("SLURM_MEM_PER_CPU")); per_cpu && *per_cpu > 0) {
    if (source) *source = "SLURM_MEM_PER_CPU x SLURM_CPUS_PER_TASK";
    return static_cast<std::uint64_t>(*per_cpu) * static_cast<std::uint64_t>(std::max(1L, cpus)) * MiB;
  }
  if (auto per_node = parse_env_int(env("SLURM_MEM_PER_NODE")); per_node && *per_node > 0) {
    long tasks = parse_env_int(env("SLURM_NTASKS_PER_NODE")).value_or(0);
    if (tasks <= 0) {
      // SLURM_TASKS_PER_NODE looks like "4(x2),3": the first node's count is the largest share.
      tasks = parse_env_int(env("SLURM_STEP_TASKS_PER_NODE")).value_or(0);
      if (tasks <= 0) tasks = parse_env_int(env("SLURM_TASKS_PER_NODE")).value_or(1);
    }
    if (source) *source = "SLURM_MEM_PER_NODE / tasks per node";
    return static_cast<std::uint64_t>(*per_node) * MiB / static_cast<std::uint64_t>(std::max(1L, tasks));
  }
  return std::nullopt;
}

void resolve_memory(SiteConfig& site, const EnvFn& env) {
  if (!site.memory_auto) return;
  std::string source;
  site.memory_per_rank = slurm_memory_per_rank(env, &source);
  site.memory_source = site.memory_per_rank ? "auto: " + source : "";
}

std::int64_t round_mb_for_budget(std::uint64_t bytes) {
  const std::uint64_t mb = bytes / (16ull << 20);
  return static_cast<std::int64_t>(std::clamp<std::uint64_t>(mb, 1, 1024));
}

ThreadChoice choose_threads(const SiteConfig& site, int openmp_default, const EnvFn& env) {
  if (auto n = parse_env_int(env("OMP_NUM_THREADS")); n && *n > 0)
    return {static_cast<int>(*n), "OMP_NUM_THREADS"};
  if (site.threads > 0) return {site.threads, "site configuration " + site.mark("threads").str()};
  if (auto n = parse_env_int(env("SLURM_CPUS_PER_TASK")); n && *n > 0)
    return {static_cast<int>(*n), "SLURM_CPUS_PER_TASK"};
  if (env("SLURM_STEP_ID") && env("SLURM_JOB_ID")) {
    const long cpus = parse_env_int(env("SLURM_CPUS_ON_NODE")).value_or(0);
    long tasks = parse_env_int(env("SLURM_STEP_TASKS_PER_NODE")).value_or(0);
    if (tasks <= 0) tasks = parse_env_int(env("SLURM_NTASKS_PER_NODE")).value_or(0);
    if (cpus > 0 && tasks > 0)
      return {static_cast<int>(std::max(1L, cpus / tasks)),
              "Slurm allocation (SLURM_CPUS_ON_NODE / tasks on the node)"};
  }
  return {std::max(1, openmp_default), "OpenMP default (the CPUs this process may use)"};
}

std::optional<SlurmInfo> slurm_info(const EnvFn& env) {
  const char* job = env("SLURM_JOB_ID");
  if (!job || !*job) return std::nullopt;
  auto str = [&](const char* name) {
    const char* v = env(name);
    return v ? std::string(v) : std::string();
  };
  SlurmInfo s;
  s.job_id = job;
  s.step_id = str("SLURM_STEP_ID");
  s.array_job_id = str("SLURM_ARRAY_JOB_ID");
  s.array_task_id = str("SLURM_ARRAY_TASK_ID");
  s.job_name = str("SLURM_JOB_NAME");
  s.nodelist = str("SLURM_STEP_NODELIST");
  if (s.nodelist.empty()) s.nodelist = str("SLURM_JOB_NODELIST");
  s.node = str("SLURMD_NODENAME");
  s.ntasks = static_cast<int>(
      parse_env_int(env("SLURM_STEP_NUM_TASKS")).value_or(parse_env_int(env("SLURM_NTASKS")).value_or(0)));
  s.nnodes = static_cast<int>(parse_env_int(env("SLURM_STEP_NUM_NODES"))
                                  .value_or(parse_env_int(env("SLURM_JOB_NUM_NODES")).value_or(0)));
  s.procid = static_cast<int>(parse_env_int(env("SLURM_PROCID")).value_or(-1));
  return s;
}

std::string describe_slurm(const SlurmInfo& s) {
  std::string d = "slurm job " + s.job_id;
  if (!s.step_id.empty()) d += " step " + s.step_id;
  if (!s.array_job_id.empty()) d += " (array " + s.array_job_id + "_" + s.array_task_id + ")";
  if (!s.job_name.empty()) d += " '" + s.job_name + "'";
  if (s.ntasks > 0) d += ": " + std::to_string(s.ntasks) + " task(s)";
  if (s.nnodes > 0) d += " on " + std::to_string(s.nnodes) + " node(s)";
  if (!s.nodelist.empty()) d += " (" + s.nodelist + ")";
  return d;
}

RunOptions run_options(const SiteConfig& site) {
  RunOptions o;
  if (site.memory_per_rank) {
    o.round_mb = round_mb_for_budget(*site.memory_per_rank);
    o.memory_per_rank = site.memory_per_rank;
  }
  o.compression = site.compression;
  o.progress_interval = site.progress_interval;
  return o;
}

}  // namespace trellis::job
