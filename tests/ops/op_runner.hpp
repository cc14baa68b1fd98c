#pragma once
// Runs an op of the registry on in-memory values, the way the executor runs a step (one rank: MPI as a
// singleton, initialised on first use and finalised after the last test).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "job/context.hpp"
#include "mpi/runtime.hpp"
#include "ops/registry.hpp"

namespace trellis::test {

class MpiSingletonEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    if (mpi::Runtime::initialized()) mpi::Runtime::finalize();
  }
};

// A parameter as the loader reads it from YAML, from its JSON form (lists and maps included), at a
// fixed place of a job.
inline job::ParamValue param(const nlohmann::json& j) {
  job::ParamValue v;
  v.mark = {"job.yaml", 5, 16};
  if (j.is_boolean()) {
    v.v = j.get<bool>();
  } else if (j.is_number_integer()) {
    v.v = j.get<std::int64_t>();
  } else if (j.is_number()) {
    v.v = j.get<double>();
  } else if (j.is_string()) {
    v.v = j.get<std::string>();
  } else if (j.is_array()) {
    job::ParamList l;
    for (const auto& e : j) l.push_back(param(e));
    v.v = std::move(l);
  } else if (j.is_object()) {
    job::ParamMap m;
    for (const auto& [k, e] : j.items()) m[k] = param(e);
    v.v = std::move(m);
  }
  return v;
}

// Parameters from a JSON object.
inline job::ParamMap params(const nlohmann::json& j) {
  job::ParamMap m;
  for (const auto& [k, e] : j.items()) m[k] = param(e);
  return m;
}

// The op `name` on named `inputs` ({"input": value} for one-input ops) with the parameters `values`
// (the registry's defaults for the others), validated and bound as the loader binds them.
inline job::StepValue run_op_named(const std::string& name,
                                   const std::map<std::string, job::StepValue>& inputs,
                                   job::ParamMap values) {
  static const auto* const env = ::testing::AddGlobalTestEnvironment(new MpiSingletonEnvironment);
  (void)env;
  mpi::Runtime::init(nullptr, nullptr);
  const job::OpSpec* op = ops::registry().find(name);
  EXPECT_NE(op, nullptr) << name;
  // As the loader: the defaults fill in, and only what the test wrote counts as given (parameter groups).
  std::set<std::string> given;
  for (const auto& [k, v] : values) given.insert(k);
  for (const auto& spec : op->params)
    if (spec.default_value && !values.count(spec.name)) values[spec.name] = *spec.default_value;
  job::Params p(name, name, job::Mark{"job.yaml", 1, 1}, values);
  p.set_given(std::move(given));
  std::map<std::string, std::string> ids;
  std::map<std::string, const job::StepValue*> refs;
  for (const auto& [n, v] : inputs) ids[n] = n, refs[n] = &v;
  p.set_inputs(ids);
  const std::any args = op->schema->bind(p);
  job::JobInfo info{"job.yaml", "/tmp", "job"};
  job::Logger log(job::LogLevel::Warn, 0);
  job::Progress progress(log, name);
  job::StepContext ctx{p, refs, info, log, progress};
  ctx.bound_args = &args;
  ctx.schema = op->schema.get();
  return op->run(ctx);
}

// The op `name` on one input.
inline job::StepValue run_op(const std::string& name, job::StepValue input, job::ParamMap values) {
  return run_op_named(name, {{"input", std::move(input)}}, std::move(values));
}

}  // namespace trellis::test
