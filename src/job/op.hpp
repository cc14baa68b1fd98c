#pragma once
// Making an op: its description, its typed parameters (declared once, job/schema.hpp) and its
// implementation, which gets the bound arguments:
//
//   struct NormalizeArgs { ... };
//   void declare(job::Schema<NormalizeArgs>& s) { ... }
//   job::StepValue run(job::StepContext& ctx, const NormalizeArgs& a) { ... }
//   job::Shape plan(job::PlanContext& ctx, const NormalizeArgs& a) { ... }  // optional (plan.hpp)
//   job::OpSpec spec = job::make_op<NormalizeArgs>({.name = "normalize", ...}, declare, run, plan);
//
// (src/ops registers such specs with ops::OpRegistration: docs/adding-an-op.md.)
#include <functional>
#include <memory>
#include <utility>

#include "job/context.hpp"
#include "job/plan.hpp"
#include "job/registry.hpp"
#include "job/schema.hpp"

namespace trellis::job {

template <class Args>
OpSpec make_op(OpInfo info, const std::function<void(Schema<Args>&)>& declare,
               std::function<StepValue(StepContext&, const Args&)> run,
               std::function<Shape(PlanContext&, const Args&)> plan = {}) {
  auto schema = std::make_shared<Schema<Args>>();
  declare(*schema);
  OpSpec spec;
  static_cast<OpInfo&>(spec) = std::move(info);
  spec.params = schema->specs();
  spec.schema = schema;
  // Callers that build a step by hand, without the loader (tests), validate and run with Params alone:
  // the arguments are then bound from them.
  spec.validate = [schema](const Params& p) { schema->bind(p); };
  spec.run = [run = std::move(run), schema](StepContext& ctx) {
    if (ctx.bound_args) return run(ctx, ctx.args<Args>());
    const std::any args = schema->bind(ctx.params);
    ctx.bound_args = &args;
    ctx.schema = schema.get();
    StepValue v = run(ctx, ctx.args<Args>());
    ctx.bound_args = nullptr;
    return v;
  };
  if (plan)
    spec.plan = [plan = std::move(plan), schema](PlanContext& ctx) {
      if (ctx.bound_args) return plan(ctx, ctx.args<Args>());
      const std::any args = schema->bind(ctx.params);
      ctx.bound_args = &args;
      ctx.schema = schema.get();
      Shape s = plan(ctx, ctx.args<Args>());
      ctx.bound_args = nullptr;
      return s;
    };
  return spec;
}

}  // namespace trellis::job
