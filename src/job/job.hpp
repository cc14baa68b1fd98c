#pragma once
// A job: the steps of a YAML job file, loaded, variable-substituted and validated against the op
// registry (job-format.md). Loading checks everything that can be checked without running: the YAML,
// the ops and their parameters, the step graph, input files, outputs, CRSs and cell types. Every
// problem is a JobError "FILE:LINE:COL: ...".
#include <any>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "job/params.hpp"
#include "job/registry.hpp"

namespace trellis::job {

struct Step {
  std::string id;
  const OpSpec* spec = nullptr;
  Mark mark;  // the step's map in the job file
  // "input" -> step id for Inputs::One (and OneOrNamed given `input`); names -> step ids for
  // Inputs::Named (and OneOrNamed given `inputs`); empty for Inputs::None.
  std::map<std::string, std::string> inputs;
  Params params;   // validated, with defaults applied; enumerations canonical, paths absolute
  std::any args;   // the op's typed arguments (its schema's struct), bound at load time; empty without one
  int number = 0;  // 1-based position of the step in the job file
};

struct Job {
  std::string file;  // as the user typed it
  std::string dir;   // absolute folder of the job file
  std::string name;
  int version = 1;
  std::vector<Step> steps;  // in execution (topological) order, stable with respect to file order

  // The step with this id, or nullptr.
  const Step* find(const std::string& id) const;
};

// Reads, substitutes variables, validates against the registry. Throws JobError "FILE:LINE:COL: ..."
// on the first problem (also when the file cannot be read).
Job load_job(const std::string& path, const std::map<std::string, std::string>& vars, const Registry& reg);
// The same from text: `file_for_messages` names the file in errors and gives the default job name
// (its stem); relative paths resolve against `dir` (made absolute).
Job load_job_from_string(const std::string& yaml_text, const std::string& file_for_messages,
                         const std::string& dir, const std::map<std::string, std::string>& vars,
                         const Registry& reg);

// Replaces ${VAR}, ${VAR:-default} (default when VAR is unset or empty) and ${VAR-default} (default when
// VAR is unset) with values from `vars`, then from the environment; "$${" gives a literal "${".
// Throws JobError at `mark` for an undefined variable or a malformed reference.
std::string substitute_vars(const std::string& text, const std::map<std::string, std::string>& vars,
                            const Mark& mark);

// "KEY=VALUE" (a --var argument) -> {KEY, VALUE}. Throws JobError when there is no '=' or KEY is not a
// valid variable name.
std::pair<std::string, std::string> parse_var_assignment(const std::string& key_equals_value);

// Canonical spelling of an enumeration value: trimmed, CamelCase -> snake_case, lower-case, '-' and
// ' ' -> '_' ("NearestNeighbor", "NEAREST_NEIGHBOR", "nearest-neighbor" -> "nearest_neighbor").
std::string normalize_choice(std::string_view text);
// The choice among `choices` that `text` spells (normalize_choice, then ignoring '_'), or "" if none.
std::string match_choice(std::string_view text, const std::vector<std::string>& choices);

}  // namespace trellis::job
