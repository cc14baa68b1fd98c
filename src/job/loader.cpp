// Job loading and validation: YAML -> Job (see job.hpp and job-format.md). The pieces: the YAML
// conversion (yaml_convert), the step graph (step_graph), the file-system and PROJ checks
// (environment_checks), and here the job's structure, each step's keys, and the typed parameters
// (the op's schema binds them once, here).
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "core/text.hpp"
#include "job/did_you_mean.hpp"
#include "job/environment_checks.hpp"
#include "job/job.hpp"
#include "job/schema.hpp"
#include "job/step_graph.hpp"
#include "job/yaml_convert.hpp"

namespace trellis::job {

namespace fs = std::filesystem;

const Step* Job::find(const std::string& id) const {
  for (const auto& s : steps)
    if (s.id == id) return &s;
  return nullptr;
}

namespace {

class Loader {
 public:
  Loader(std::string file, std::string dir, const std::map<std::string, std::string>& vars,
         const Registry& reg)
      : file_(std::move(file)), dir_(std::move(dir)), conv_(file_, dir_, vars), reg_(reg) {}

  Job load(const std::string& text);

 private:
  // Per-step parsing state.
  struct Raw {
    Step step;
    std::vector<InputRef> refs;
    bool has_id = false;
    Mark id_mark;
    std::map<std::string, std::string> typed_names;  // canonical param name -> key as written
  };

  // "step 'ID' (OP): " / "step 'ID': " / "step N: "
  static std::string step_prefix(const Raw& r) {
    std::string s =
        r.has_id || r.step.spec ? "step '" + r.step.id + "'" : "step " + std::to_string(r.step.number);
    if (r.step.spec) s += " (" + r.step.spec->name + ")";
    return s + ": ";
  }
  [[noreturn]] void fail(const Mark& m, const std::string& msg) const { conv_.fail(m, msg); }
  [[noreturn]] void step_fail(const Raw& r, const Mark& m, const std::string& msg) const {
    fail(m, step_prefix(r) + msg);
  }

  Raw parse_step(const YAML::Node& node, int number, const Raw* previous);

  std::string file_, dir_;
  YamlConverter conv_;
  const Registry& reg_;
  std::map<std::string, Mark> ids_;  // step id -> where it was defined
};

Loader::Raw Loader::parse_step(const YAML::Node& node, int number, const Raw* previous) {
  Raw r;
  r.step.number = number;
  r.step.mark = conv_.mark_of(node);
  if (!node.IsMap())
    step_fail(
        r, r.step.mark,
        "a step is a map with at least 'op' (and 'id', 'input' and parameters), got " + node_kind(node));
  const auto kv = conv_.entries(node, step_prefix(r));

  // id and op first: later messages name the step.
  const std::pair<YAML::Node, YAML::Node>*op_entry = nullptr, *id_entry = nullptr;
  for (const auto& e : kv) {
    if (yaml_text(e.first) == "op") op_entry = &e;
    if (yaml_text(e.first) == "id") id_entry = &e;
  }
  if (id_entry) {
    const YAML::Node& id_node = id_entry->second;
    r.id_mark = conv_.value_mark(id_entry->first, id_node);
    if (!id_node.IsScalar() || trim(yaml_text(id_node)).empty())
      step_fail(r, r.id_mark, "'id' must be a non-empty name, got " + node_kind(id_node));
    r.step.id = std::string(trim(conv_.scalar(id_node, r.id_mark)));
    if (r.step.id.empty()) step_fail(r, r.id_mark, "'id' is empty");
    r.has_id = true;
  }
  if (!op_entry) step_fail(r, r.step.mark, "missing 'op' (the operation to run; 'trellis ops' lists them)");
  const YAML::Node& op_node = op_entry->second;
  const Mark op_mark = conv_.value_mark(op_entry->first, op_node);
  if (!op_node.IsScalar()) step_fail(r, op_mark, "'op' must be an op name, got " + node_kind(op_node));
  const std::string op_name(trim(conv_.scalar(op_node, op_mark)));
  const OpSpec* spec = reg_.find(op_name);
  if (!spec) {
    const std::string hint = did_you_mean_suffix(op_name, reg_.names());
    step_fail(r, op_mark,
              "unknown op '" + op_name + "'" + (hint.empty() ? "; 'trellis ops' lists the ops" : hint));
  }
  if (!r.has_id) {
    r.step.id = op_name + "-" + std::to_string(number);
    r.id_mark = r.step.mark;
  }
  r.step.spec = spec;
  if (auto it = ids_.find(r.step.id); it != ids_.end())
    step_fail(r, r.id_mark,
              "duplicate step id '" + r.step.id + "' (already used by the step at " + it->second.str() + ")");
  ids_[r.step.id] = r.id_mark;

  // Parameter names for lookups and suggestions.
  std::map<std::string, const ParamSpec*> by_name;
  std::vector<std::string> candidates{"id", "op"};
  if (spec->inputs == Inputs::One || spec->inputs == Inputs::OneOrNamed) candidates.push_back("input");
  if (spec->inputs == Inputs::Named || spec->inputs == Inputs::OneOrNamed) candidates.push_back("inputs");
  for (const auto& p : spec->params) {
    by_name[p.name] = &p;
    candidates.push_back(p.name);
    for (const auto& a : p.aliases) {
      by_name[a] = &p;
      candidates.push_back(a);
    }
  }

  ParamMap values;
  std::set<std::string> given;  // parameters the job gives (not defaults)
  bool saw_input = false;
  for (const auto& [k, v] : kv) {
    const std::string key = yaml_text(k);
    const Mark km = conv_.mark_of(k);
    const Mark vm = conv_.value_mark(k, v);
    if (key == "id" || key == "op") continue;
    if (key == "input" || key == "inputs") {
      if (spec->inputs == Inputs::None)
        step_fail(r, km, spec->name + " is a source op and takes no '" + key + "'");
      if (spec->inputs == Inputs::One && key == "inputs")
        step_fail(r, km, spec->name + " takes one input: use 'input: STEP' instead of 'inputs'");
      if (spec->inputs == Inputs::Named && key == "input")
        step_fail(r, km,
                  spec->name + " takes named inputs: use 'inputs: {NAME: STEP, ...}' instead of 'input'");
      if (saw_input) step_fail(r, km, "give 'input' or 'inputs', not both");
      saw_input = true;
      if (key == "input") {
        if (!v.IsScalar() || trim(yaml_text(v)).empty())
          step_fail(r, vm, "'input' must be the id of a step, got " + node_kind(v));
        r.refs.push_back({"input", std::string(trim(conv_.scalar(v, vm))), vm, false});
      } else {
        if (!v.IsMap() || v.size() == 0)
          step_fail(r, vm,
                    "'inputs' must be a map of names to step ids ({a: STEP, b: STEP}), got " + node_kind(v));
        for (const auto& [ik, iv] : conv_.entries(v, step_prefix(r) + "inputs: ")) {
          const Mark ivm = conv_.value_mark(ik, iv);
          if (!iv.IsScalar() || trim(yaml_text(iv)).empty())
            step_fail(r, ivm, "input '" + yaml_text(ik) + "' must be the id of a step, got " + node_kind(iv));
          r.refs.push_back({yaml_text(ik), std::string(trim(conv_.scalar(iv, ivm))), ivm, false});
        }
      }
      continue;
    }
    auto it = by_name.find(key);
    if (it == by_name.end()) {
      std::string hint = did_you_mean_suffix(key, candidates);
      if (hint.empty()) {
        std::vector<std::string> names;
        for (const auto& p : spec->params) names.push_back(p.name);
        hint = names.empty() ? "; " + spec->name + " takes no parameters"
                             : "; " + spec->name + " takes " + join(names, ", ");
      }
      step_fail(r, km, "unknown parameter '" + key + "'" + hint);
    }
    const ParamSpec& ps = *it->second;
    if (auto t = r.typed_names.find(ps.name); t != r.typed_names.end())
      step_fail(r, km,
                "parameter '" + ps.name + "' is given twice (as '" + t->second + "' and '" + key + "')");
    r.typed_names[ps.name] = key;
    if (v.IsNull()) continue;  // `key:` or `key: null`: as if absent (the default applies)
    values[ps.name] = conv_.convert(ps, key, v, vm, step_prefix(r));
    given.insert(ps.name);
  }

  if ((spec->inputs == Inputs::One || spec->inputs == Inputs::OneOrNamed) && !saw_input) {
    if (!previous)
      step_fail(r, r.step.mark, "needs an input, and there is no previous step: add 'input: STEP'");
    r.refs.push_back({"input", previous->step.id, r.step.mark, true});
  }
  if (spec->inputs == Inputs::Named && !saw_input)
    step_fail(r, r.step.mark,
              "missing 'inputs' (" + spec->name + " takes named inputs: inputs: {a: STEP, b: STEP})");

  for (const auto& p : spec->params) {
    if (values.count(p.name)) continue;
    if (p.required) {
      std::string msg = "missing required parameter '" + p.name + "'";
      if (!p.help.empty()) msg += " (" + p.help + ")";
      step_fail(r, r.step.mark, msg);
    }
    if (p.default_value && !p.default_value->is_null()) {
      ParamValue d = *p.default_value;
      if (d.mark.line == 0) d.mark = r.step.mark;
      if ((p.type == ParamType::InputPath || p.type == ParamType::OutputPath ||
           p.type == ParamType::OutputFolder || p.type == ParamType::CatalogInput ||
           p.type == ParamType::CatalogOutput) &&
          d.is_string())
        d.v = resolve_job_path(dir_, d.as_string());
      values[p.name] = std::move(d);
    }
  }

  for (const auto& ref : r.refs) r.step.inputs[ref.name] = ref.step;
  r.step.params = Params(r.step.id, spec->name, r.step.mark, std::move(values));
  r.step.params.set_job_dir(dir_);
  r.step.params.set_inputs(r.step.inputs);
  r.step.params.set_given(std::move(given));
  return r;
}

Job Loader::load(const std::string& text) {
  Job job;
  job.file = file_;
  job.dir = dir_;
  job.name = fs::path(file_).stem().string();
  const Mark top{file_, 1, 1};

  const YAML::Node root = parse_yaml(text, file_);
  if (!root || root.IsNull()) fail(top, "the job file is empty (a job has 'version: 1', 'name' and 'steps')");
  if (!root.IsMap())
    fail(conv_.mark_of(root), "a job is a map with 'version', 'name' and 'steps', got " + node_kind(root));

  std::optional<YAML::Node> steps;
  Mark steps_mark = top;
  for (const auto& [k, v] : conv_.entries(root, "")) {
    const std::string key = yaml_text(k);
    const Mark vm = conv_.value_mark(k, v);
    if (key == "version") {
      const std::string s = v.IsScalar() ? conv_.scalar(v, vm) : node_kind(v);
      auto i = parse_int(s);
      if (!i || *i != 1) fail(vm, "unsupported job version '" + s + "' (this trellis reads version 1)");
      job.version = 1;
    } else if (key == "name") {
      if (!v.IsScalar()) fail(vm, "'name' must be a string, got " + node_kind(v));
      job.name = std::string(trim(conv_.scalar(v, vm)));
      if (job.name.empty()) fail(vm, "'name' is empty");
    } else if (key == "steps") {
      steps.emplace(v);
      steps_mark = vm;
    } else {
      const std::string hint = did_you_mean_suffix(key, {"version", "name", "steps"});
      fail(conv_.mark_of(k), "unknown top-level key '" + key + "'" +
                                 (hint.empty() ? "; a job has 'version', 'name' and 'steps'" : hint));
    }
  }
  if (!steps) fail(top, "the job has no 'steps'");
  if (!steps->IsSequence() || steps->size() == 0)
    fail(steps_mark, "'steps' must be a non-empty list of steps, got " + node_kind(*steps));

  // 1. Each step: op, id, inputs, parameters (types, ranges, choices, required, defaults).
  std::vector<Raw> raws;
  raws.reserve(steps->size());
  int number = 0;
  for (const auto& node : *steps) {
    ++number;
    raws.push_back(parse_step(node, number, raws.empty() ? nullptr : &raws.back()));
  }

  // 2. The step graph: undefined inputs, kinds, cycles.
  std::vector<GraphStep> graph;
  for (const auto& r : raws) graph.push_back({r.step.id, r.step.spec, r.refs, r.step.mark, step_prefix(r)});
  const std::vector<std::size_t> order = order_steps(graph);

  // 3. What needs the file system or PROJ, then the ops' own checks, in file order.
  std::vector<std::string> outputs;
  for (const auto& r : raws)
    for (const auto& p : r.step.spec->params)
      if ((p.type == ParamType::OutputPath || p.type == ParamType::OutputFolder) &&
          r.step.params.has(p.name) && r.step.params.raw(p.name).is_string())
        outputs.push_back(r.step.params.raw(p.name).as_string());
      else if (p.type == ParamType::CatalogOutput && r.step.params.has(p.name) &&
               r.step.params.raw(p.name).is_string() && r.step.params.has("layer_name") &&
               r.step.params.raw("layer_name").is_string())
        outputs.push_back(catalog_layer_key(r.step.params.raw(p.name).as_string(),
                                            r.step.params.raw("layer_name").as_string()));
  {
    std::vector<const Step*> in_file_order;
    std::vector<std::map<std::string, std::string>> typed;
    for (const auto& r : raws) {
      in_file_order.push_back(&r.step);
      typed.push_back(r.typed_names);
    }
    check_path_collisions(in_file_order, typed);
  }
  for (auto& r : raws) {
    check_environment(r.step, outputs, r.typed_names);
    if (r.step.spec->schema) {
      r.step.args = r.step.spec->schema->bind(r.step.params);
    } else if (r.step.spec->validate) {
      try {
        r.step.spec->validate(r.step.params);
      } catch (const JobError& e) {
        // Errors that do not say where get the step's place.
        const std::string what = e.what();
        if (what.rfind(file_ + ":", 0) == 0) throw;
        throw r.step.params.step_error(what);
      }
    }
  }

  for (auto i : order) job.steps.push_back(std::move(raws[i].step));
  return job;
}

}  // namespace

Job load_job_from_string(const std::string& yaml_text, const std::string& file_for_messages,
                         const std::string& dir, const std::map<std::string, std::string>& vars,
                         const Registry& reg) {
  std::string abs_dir =
      dir.empty() ? fs::current_path().string() : fs::absolute(dir).lexically_normal().string();
  if (abs_dir.size() > 1 && abs_dir.back() == '/') abs_dir.pop_back();
  Loader loader(file_for_messages, abs_dir, vars, reg);
  return loader.load(yaml_text);
}

Job load_job(const std::string& path, const std::map<std::string, std::string>& vars, const Registry& reg) {
  return load_job_from_string(read_job_text(path, "job file"), path,
                              fs::absolute(path).lexically_normal().parent_path().string(), vars, reg);
}

}  // namespace trellis::job
