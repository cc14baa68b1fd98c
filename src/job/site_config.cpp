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
#include <limits>
#include <set>
#include <sstream>

#include "core/text.hpp"
#include "job/did_you_mean.hpp"
#include "job/executor.hpp"
#include "job/job.hpp"
#include "job/schema.hpp"
#include "job/yaml_convert.hpp"

namespace trellis::job {

namespace fs = std::filesystem;

namespace {

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

// The settings as the file gives them: each key is a typed parameter of this struct, read by the
// machinery that reads job parameters (schema.hpp, yaml_convert.hpp).
struct MemorySetting {
  std::uint64_t bytes = 0;
  bool is_auto = false;
};
struct ThreadSetting {
  int threads = 0;  // 0: auto
};
struct LogFormatSetting {
  LogFormat format = LogFormat::Text;
};

struct SiteSettings {
  std::optional<MemorySetting> memory_per_rank;
  std::optional<std::string> scratch;
  std::optional<io::Compression> compression;
  ThreadSetting threads;
  LogFormatSetting log_format;
  double progress_interval = 5.0;
  std::optional<double> failure_timeout;
};

std::string quoted_text(const ParamValue& v) {
  return "'" + (v.is_string() ? v.as_string() : v.to_string()) + "'";
}

}  // namespace

template <>
struct ParamTraits<MemorySetting> {
  static constexpr ParamType shape = ParamType::String;
  static std::string type_name() { return "size"; }
  static MemorySetting parse(const ParamValue& v, const ValueContext& c) {
    const std::string s = v.as_string();
    if (lower(s) == "auto") return {0, true};
    auto b = parse_size(s);
    if (!b) c.fail(v.mark, quoted_text(v) + " is not a size (e.g. 4GiB, 512MiB, or auto)");
    if (*b < (std::uint64_t{16} << 20)) c.fail(v.mark, quoted_text(v) + " is too small (at least 16MiB)");
    return {*b, false};
  }
};

template <>
struct ParamTraits<ThreadSetting> {
  static constexpr ParamType shape = ParamType::String;
  static std::string type_name() { return "thread count"; }
  static ThreadSetting parse(const ParamValue& v, const ValueContext& c) {
    const std::string s = v.as_string();
    if (lower(s) == "auto") return {0};
    auto n = parse_number(s);
    if (!n || *n != std::floor(*n) || *n < 1 || *n > 4096)
      c.fail(v.mark, quoted_text(v) + " is not a thread count (a whole number from 1, or auto)");
    return {static_cast<int>(*n)};
  }
};

template <>
struct ParamTraits<LogFormatSetting> {
  static constexpr ParamType shape = ParamType::String;
  static std::string type_name() { return "log format"; }
  static LogFormatSetting parse(const ParamValue& v, const ValueContext& c) {
    try {
      return {parse_log_format(lower(v.as_string()))};
    } catch (const JobError&) {
      c.fail(v.mark, "unknown format " + quoted_text(v) + " (text or json)");
    }
  }
};

namespace {

void declare_site(Schema<SiteSettings>& s) {
  s.add("memory_per_rank", &SiteSettings::memory_per_rank,
        "memory per rank: 4GiB, 512MiB, 1.5G, 4096 (MiB), or auto (from the Slurm allocation)");
  s.add("scratch", &SiteSettings::scratch, "node-local folder for temporary files");
  s.add("compression", &SiteSettings::compression, "default GeoTIFF compression");
  s.add("threads", &SiteSettings::threads, "OpenMP threads per rank, or auto");
  s.add("log_format", &SiteSettings::log_format, "text, or json (one object per line)");
  s.add("progress_interval", &SiteSettings::progress_interval, "seconds between progress lines");
  s.add("failure_timeout", &SiteSettings::failure_timeout,
        "seconds a failing rank waits for the others before aborting (0: forever)");
  s.check([](const SiteSettings& a, const Checker<SiteSettings>& c) {
    const Params& p = c.params();
    if (a.scratch) {
      const std::string& v = *a.scratch;
      if (v.empty()) c.fail(&SiteSettings::scratch, "scratch: empty folder name");
      if (is_virtual_path(v))
        c.fail(&SiteSettings::scratch, "scratch: '" + v + "' must be a local folder, not a URL or /vsi path");
    }
    if (!(a.progress_interval > 0) || !std::isfinite(a.progress_interval))
      c.fail(&SiteSettings::progress_interval,
             "progress_interval: " + quoted_text(p.raw("progress_interval")) +
                 " is not a number of seconds > 0");
    if (a.failure_timeout && (!(*a.failure_timeout >= 0) || !std::isfinite(*a.failure_timeout)))
      c.fail(&SiteSettings::failure_timeout, "failure_timeout: " + quoted_text(p.raw("failure_timeout")) +
                                                 " is not a number of seconds >= 0 (0: wait forever)");
  });
}

const Schema<SiteSettings>& site_schema() {
  static const Schema<SiteSettings> s = [] {
    Schema<SiteSettings> schema;
    declare_site(schema);
    return schema;
  }();
  return s;
}

class SiteLoader {
 public:
  SiteLoader(std::string file, std::string dir) : file_(std::move(file)), dir_(std::move(dir)) {}

  SiteConfig load(const std::string& text) {
    SiteConfig site;
    site.file = file_;
    const YAML::Node root = parse_yaml(text, file_);
    const Schema<SiteSettings>& schema = site_schema();
    std::vector<std::string> keys{"version"};
    for (const auto& spec : schema.specs()) keys.push_back(spec.name);
    if (!root || root.IsNull()) return site;  // an empty file: every default
    if (!root.IsMap())
      conv_.fail(conv_.mark_of(root), "a site configuration is a map of settings (" + join(keys) + ")");
    ParamMap values;
    std::set<std::string> given;
    for (auto it = root.begin(); it != root.end(); ++it) {
      const YAML::Node k = it->first, v = it->second;
      if (!k.IsScalar()) conv_.fail(conv_.mark_of(k), "keys must be plain names");
      const std::string key = k.Scalar();
      if (site.marks.count(key)) conv_.fail(conv_.mark_of(k), "duplicate key '" + key + "'");
      const auto spec = std::find_if(schema.specs().begin(), schema.specs().end(),
                                     [&](const ParamSpec& p) { return p.name == key; });
      if (key != "version" && spec == schema.specs().end()) {
        std::string hint = did_you_mean_suffix(key, keys);
        conv_.fail(conv_.mark_of(k), "unknown setting '" + key + "'" +
                                         (hint.empty() ? " (settings: " + join(keys) + ")" : hint));
      }
      const Mark m = conv_.value_mark(k, v);
      site.marks[key] = m;
      if (v.IsNull()) continue;  // `key:` alone: the default
      if (!v.IsScalar())
        conv_.fail(
            m, "'" + key + "' must be a single value, got " + std::string(v.IsMap() ? "a map" : "a list"));
      if (key == "version") {
        const std::string s(trim(conv_.scalar(v, m, "version: ")));
        if (s != "1")
          conv_.fail(m, "unsupported site configuration version '" + s + "' (this trellis reads version 1)");
        continue;
      }
      values[key] = conv_.convert(*spec, key, v, m, "");
      given.insert(key);
    }
    Params p("", "", Mark{file_, 1, 1}, std::move(values));
    p.set_job_dir(dir_);
    p.set_given(std::move(given));
    const auto a = std::any_cast<SiteSettings>(schema.bind(p));
    if (a.memory_per_rank) {
      site.memory_auto = a.memory_per_rank->is_auto;
      if (!site.memory_auto) {
        site.memory_per_rank = a.memory_per_rank->bytes;
        site.memory_source = site.mark("memory_per_rank").str();
      }
    }
    if (a.scratch) site.scratch = resolve_job_path(dir_, *a.scratch);
    if (a.compression) site.compression = enum_name(*a.compression);
    site.threads = a.threads.threads;
    site.log_format = a.log_format.format;
    site.progress_interval = a.progress_interval;
    site.failure_timeout = a.failure_timeout;
    return site;
  }

 private:
  std::string file_, dir_;
  const std::map<std::string, std::string> no_vars_;
  YamlConverter conv_{file_, dir_, no_vars_, Voice::Setting};
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
                                   const std::string& dir) {
  const std::string abs_dir =
      dir.empty() ? fs::current_path().string() : fs::absolute(dir).lexically_normal().string();
  return SiteLoader(file_for_messages, abs_dir).load(yaml_text);
}

SiteConfig load_site_config(const std::string& path) {
  const std::string text = read_job_text(path, "site configuration");
  const fs::path parent = fs::absolute(path).lexically_normal().parent_path();
  return site_config_from_string(text, path, parent.string());
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
  // Estimates saturate at the largest number: say so rather than print 16 EiB.
  if (bytes == std::numeric_limits<std::uint64_t>::max()) return "more than 16 EiB";
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 6) {
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
    o.memory_source = "memory_per_rank, " +
                      (site.memory_source.empty() ? site.mark("memory_per_rank").str() : site.memory_source);
  }
  o.compression = enum_from_name<io::Compression>(site.compression);
  o.progress_interval = site.progress_interval;
  return o;
}

}  // namespace trellis::job
