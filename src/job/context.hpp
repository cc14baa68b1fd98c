#pragma once
// What an op's implementation sees: its validated parameters, its input values, the job and the
// progress reporter. Ops never see YAML nodes or raw MPI calls.
#include <any>
#include <map>
#include <stdexcept>
#include <string>

#include "job/args_access.hpp"
#include "job/log.hpp"
#include "job/params.hpp"
#include "job/plan.hpp"
#include "job/progress.hpp"
#include "job/schema.hpp"
#include "job/value.hpp"

namespace trellis::job {

struct JobInfo {
  std::string file;  // as given on the command line
  std::string dir;   // absolute folder of the job file
  std::string name;
};

struct StepContext : ArgsAccess {
  std::map<std::string, const StepValue*> inputs;  // "input" for single-input ops
  const JobInfo& job;
  Logger& log;
  Progress& progress;

  // The inputs no later step uses (the executor frees them after this step): take_input() may move
  // them out instead of copying.
  std::map<std::string, StepValue*> last_uses = {};
  // The step's shape as planned before the run (plan.hpp), when it was known: a source op reuses what
  // its plan read (read_geotiff's headers).
  const Shape* planned = nullptr;

  const StepValue& input(const std::string& name = "input") const;
  template <class T>
  const T& input_as(const std::string& name = "input") const {
    return std::get<T>(input(name));
  }
  // The input itself when no later step uses it (this step may consume it as it goes), else nullptr.
  template <class T>
  T* consumable_input(const std::string& name = "input") {
    auto it = last_uses.find(name);
    return it == last_uses.end() ? nullptr : &std::get<T>(*it->second);
  }
  // The input as a value of its own: moved out when this step is its last user, else copied.
  template <class T>
  T take_input(const std::string& name = "input") {
    auto it = last_uses.find(name);
    if (it != last_uses.end()) return std::move(std::get<T>(*it->second));
    return input_as<T>(name);
  }
};

}  // namespace trellis::job
