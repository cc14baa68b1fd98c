#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace trellis::cli {

struct RunArgs {
  std::string job;
  std::vector<std::string> vars;
  std::string log_level = "info";
  std::string config;  // --config SITE.yaml (else $TRELLIS_CONFIG)
  int ranks = 0;       // validate --ranks N: plan for a run on N ranks (0: $SLURM_NTASKS, else this run's)
};

struct ServeArgs {
  std::string catalog;
  std::string bind = "127.0.0.1";
  int port = 8080;
  int threads = 8;
  std::int64_t cache_mb = 256;
  std::string style;  // a style file (YAML): layer -> {ramp: viridis, quantiles: 10, ...}
  std::string log_level = "info";
};

int command_run(const RunArgs& a);
int command_validate(const RunArgs& a);
int command_ops(const std::string& op);
int command_info(const std::string& path);
// Serves a catalog until SIGINT/SIGTERM; throws JobError (no layer to serve, a bad style file) and
// std::runtime_error when the port cannot be bound.
int command_serve(const ServeArgs& a);

// One line on stderr: "trellis: <msg>", prefixed with the rank on multi-rank runs when it is not 0
// (a JSON object with level "error" when the site's log_format is json).
void print_error(const std::string& msg);
// The line a stopped run ends with (rank 0 prints it): which steps finished and which did not.
void print_stopped(const std::string& msg, int signal);

}  // namespace trellis::cli
