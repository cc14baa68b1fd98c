#pragma once
// What an op's run and its plan both see of a step: its validated parameters and its typed arguments
// (its schema's struct, site defaults applied), and errors placed at a parameter.
#include <any>
#include <stdexcept>
#include <string>

#include "job/params.hpp"
#include "job/schema.hpp"

namespace trellis::job {

struct ArgsAccess {
  const Params& params;
  const std::any* bound_args = nullptr;
  const SchemaBase* schema = nullptr;

  // Not explicit: StepContext and PlanContext are aggregates initialised from the Params.
  ArgsAccess(const Params& p, const std::any* args = nullptr, const SchemaBase* s = nullptr)
      : params(p), bound_args(args), schema(s) {}

  template <class Args>
  const Args& args() const {
    if (!bound_args) throw std::logic_error("step '" + params.step_id() + "' has no typed arguments");
    return std::any_cast<const Args&>(*bound_args);
  }
  // A JobError at the place of the parameter bound to `member` ("FILE:L:C: step 'x' (op): why"; the
  // step's place when the job does not give it): for what only the metadata or the run finds wrong
  // about a value.
  template <class Args, class M>
  JobError param_error(M Args::*member, const std::string& why) const {
    return params.error(schema ? schema->name_of(std::any(member)) : std::string(), why);
  }
  // The same at `offset` characters into the parameter's text (a column inside an expression).
  template <class Args, class M>
  JobError param_error_within(M Args::*member, std::size_t offset, const std::string& why) const {
    return params.error_within(schema ? schema->name_of(std::any(member)) : std::string(), offset, why);
  }
};

}  // namespace trellis::job
