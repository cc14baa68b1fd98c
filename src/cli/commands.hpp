#pragma once
#include <string>
#include <vector>

namespace trellis::cli {

struct RunArgs {
  std::string job;
  std::vector<std::string> vars;
  std::string log_level = "info";
};

int command_run(const RunArgs& a);
int command_validate(const RunArgs& a);
int command_ops(const std::string& op);
int command_info(const std::string& path);

// One line on stderr: "trellis: <msg>", prefixed with the rank on multi-rank runs when it is not 0.
void print_error(const std::string& msg);

}  // namespace trellis::cli
