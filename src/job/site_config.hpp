#pragma once
// The site configuration: what belongs to the cluster rather than to the job (docs/slurm.md,
// configs/site.yaml). A small YAML map, validated like a job file (errors are JobError
// "FILE:LINE:COL: ..."), read on every rank from `--config FILE`, else $TRELLIS_CONFIG:
//
//   version: 1                  # optional
//   memory_per_rank: 4GiB       # or 512MiB, 1.5G, 4096 (MiB), or auto (from the Slurm allocation)
//   scratch: ${TMPDIR:-/tmp}    # node-local folder for temporary files (relative: to this file)
//   compression: zstd           # default GeoTIFF compression when a job does not set one
//   threads: auto               # OpenMP threads per rank, or a number
//   log_format: text            # or json (one JSON object per line)
//   progress_interval: 5        # seconds between progress lines of a long step
//   failure_timeout: 300        # seconds a failing rank waits for the others before aborting
//
// ${VAR} and ${VAR:-default} are replaced from the environment, as in jobs.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "job/log.hpp"
#include "job/params.hpp"

namespace trellis::job {

struct RunOptions;

struct SiteConfig {
  std::string file;  // the file it was read from; "" when there is none

  std::optional<std::uint64_t> memory_per_rank;  // bytes
  bool memory_auto = false;                      // `memory_per_rank: auto` (resolved by resolve_memory)
  std::string memory_source;                     // where the budget came from, for the log
  std::string scratch;                           // absolute folder; "" when none
  std::string compression;                       // canonical choice; "" when none
  int threads = 0;                               // 0: auto (choose_threads)
  LogFormat log_format = LogFormat::Text;
  double progress_interval = 5.0;
  std::optional<double> failure_timeout;

  // Where each key was given (for messages about its value found later, e.g. an unusable scratch).
  std::map<std::string, Mark> marks;
  Mark mark(const std::string& key) const;
};

// The environment as seen by the functions below (tests pass their own).
using EnvFn = std::function<const char*(const char*)>;
const char* process_env(const char* name);

// The file to read: `flag` when not empty, else $TRELLIS_CONFIG, else "" (no site configuration).
std::string site_config_path(const std::string& flag, const EnvFn& env = process_env);

// Reads and validates, with the machinery that reads job parameters (schema.hpp: each setting is a typed
// parameter; the op parameters a setting gives defaults to take the same type, e.g. io::Compression).
// Throws JobError "FILE:LINE:COL: ..." (also when the file cannot be read). Not collective.
SiteConfig load_site_config(const std::string& path);
SiteConfig site_config_from_string(const std::string& yaml_text, const std::string& file_for_messages,
                                   const std::string& dir);

// "4GiB", "4 GB", "512M", "1.5g", "4096" (MiB, like Slurm's --mem), "123B" -> bytes; binary multiples
// (K = KiB). nullopt when not a size.
std::optional<std::uint64_t> parse_size(std::string_view text);
// "4 GiB", "512 MiB", "1.5 GiB", "100 B".
std::string format_size(std::uint64_t bytes);

// The memory per rank of the Slurm allocation: --mem-per-cpu x CPUs per task, or --mem / tasks per
// node. nullopt outside Slurm or with --mem=0. `source` says which.
std::optional<std::uint64_t> slurm_memory_per_rank(const EnvFn& env, std::string* source);
// Resolves `memory_per_rank: auto` against the environment (no-op otherwise).
void resolve_memory(SiteConfig& site, const EnvFn& env = process_env);

// The default `round_mb` of the ops for a memory budget: a sixteenth of it (a round's pieces are held
// about twice, by the sender and by the receiver, next to the layer itself), within [1, 1024] MiB.
// 1 GiB gives the ops' built-in default, 64 MiB.
std::int64_t round_mb_for_budget(std::uint64_t bytes);

// OpenMP threads per rank, in order: OMP_NUM_THREADS when set; the site's `threads`; the Slurm
// allocation (SLURM_CPUS_PER_TASK, else the allocated CPUs on the node / the tasks on it, inside a job
// step); else `openmp_default` (OpenMP's own choice: the CPUs this process may run on).
struct ThreadChoice {
  int threads = 1;
  std::string source;  // "OMP_NUM_THREADS", "site configuration FILE:L:C", "SLURM_CPUS_PER_TASK", ...
};
ThreadChoice choose_threads(const SiteConfig& site, int openmp_default, const EnvFn& env = process_env);

// The Slurm job this process belongs to (from SLURM_* variables), if any.
struct SlurmInfo {
  std::string job_id, step_id, array_job_id, array_task_id, job_name, nodelist, node;
  int ntasks = 0, nnodes = 0, procid = -1;
};
std::optional<SlurmInfo> slurm_info(const EnvFn& env = process_env);
// "slurm job 123 step 0 (array 120_4) 'name': 2 task(s) on 1 node(s) (nodelist)".
std::string describe_slurm(const SlurmInfo& s);

// What the executor takes from the site: defaults for the ops' round_mb and compression, the memory
// budget it reports against, the progress interval.
RunOptions run_options(const SiteConfig& site);

}  // namespace trellis::job
