#pragma once
// The op registry: each op declares its parameters (type, default, choices, range, help), the kinds
// of value it takes and gives, and its implementation. The same registry validates jobs, prints
// `trellis ops` and generates the op reference in docs/. Ops are made with make_op() (job/op.hpp) from
// a typed parameter schema (job/schema.hpp); an OpSpec can also be built by hand (the job tests do).
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "job/params.hpp"
#include "job/value.hpp"

namespace trellis::job {

struct StepContext;
struct PlanContext;
struct Shape;
class SchemaBase;

enum class Inputs {
  None,        // a source op (read_geotiff)
  One,         // `input` (defaults to the previous step)
  Named,       // `inputs: {a: step, b: step}`
  OneOrNamed,  // either: `input` (defaults to the previous step), or `inputs: {a: step, b: step}`
};

// What an op is: its names and help, and the values it takes and gives.
struct OpInfo {
  std::string name;
  std::vector<std::string> aliases;  // e.g. to_tiled_layer for tile_to_layout
  std::string group;                 // "io", "tiling", "stats", ...
  std::string help;                  // one line
  std::string doc;                   // Markdown: semantics, examples (the end of docs/ops/<name>.md)
  Inputs inputs = Inputs::One;
  std::vector<ValueKind> accepts;  // kinds accepted as input (empty: any)
  ValueKind produces = ValueKind::None;
};

struct OpSpec : OpInfo {
  std::vector<ParamSpec> params;
  // The typed parameters (make_op): binds each step's values at load time, applies site defaults.
  std::shared_ptr<const SchemaBase> schema;
  // Extra checks beyond the ParamSpecs (ops without a schema), run on every rank before any work; throw
  // JobError via params.error(...). May not do collective communication.
  std::function<void(const Params&)> validate;
  // The implementation; called on every rank.
  std::function<StepValue(StepContext&)> run;
  // What the step will give, from its inputs' shapes and the metadata it reads, with the checks the
  // metadata allows (plan.hpp); called on every rank before any step runs, may be collective. Empty: the
  // op's value is unknown until it runs.
  std::function<Shape(PlanContext&)> plan;
};

class Registry {
 public:
  void add(OpSpec spec);
  const OpSpec* find(const std::string& name_or_alias) const;
  std::vector<const OpSpec*> all() const;  // sorted by name
  std::vector<std::string> names() const;  // names and aliases, for did-you-mean

 private:
  std::vector<std::unique_ptr<OpSpec>> ops_;
  std::map<std::string, const OpSpec*> by_name_;
};

}  // namespace trellis::job
