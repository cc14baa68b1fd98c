#pragma once
// The step graph of a job: inputs that name no step, cycles, and values of the wrong kind. Part of the
// loader (job.hpp); not collective, deterministic.
#include <string>
#include <vector>

#include "job/params.hpp"
#include "job/registry.hpp"

namespace trellis::job {

// A step's reference to another step's value.
struct InputRef {
  std::string name;  // "input" or the named input
  std::string step;  // referenced step id
  Mark mark;
  bool defaulted = false;  // `input` left out: the previous step
};

struct GraphStep {
  std::string id;
  const OpSpec* spec = nullptr;
  std::vector<InputRef> refs;
  Mark mark;           // the step's map in the job file
  std::string prefix;  // "step 'id' (op): ", for messages
};

// The order the steps run in (indices into `steps`): topological, stable with respect to file order
// (always the first step whose inputs are placed). Throws JobError "FILE:LINE:COL: step ...: ..." for an
// undefined input (with did-you-mean), a cycle, or an input whose value kind the op does not take.
std::vector<std::size_t> order_steps(const std::vector<GraphStep>& steps);

}  // namespace trellis::job
