// Job loading and validation: YAML -> Job (see job.hpp and job-format.md).
#include <glob.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "core/cell_type.hpp"
#include "core/crs.hpp"
#include "core/text.hpp"
#include "job/did_you_mean.hpp"
#include "job/job.hpp"

namespace trellis::job {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Small helpers shared with other parts of the job module.

const Step* Job::find(const std::string& id) const {
  for (const auto& s : steps)
    if (s.id == id) return &s;
  return nullptr;
}

namespace {

bool is_upper(char c) {
  return std::isupper(static_cast<unsigned char>(c)) != 0;
}
bool is_lower(char c) {
  return std::islower(static_cast<unsigned char>(c)) != 0;
}
bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}
bool is_var_name(std::string_view s) {
  if (s.empty() || is_digit(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == '_' || std::isalnum(static_cast<unsigned char>(c)); });
}

[[noreturn]] void fail(const Mark& m, const std::string& message) {
  const std::string where = m.str();
  throw JobError(where.empty() ? message : where + ": " + message);
}

std::string without_underscores(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
  return s;
}

}  // namespace

std::string normalize_choice(std::string_view text) {
  const std::string_view s = trim(text);
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (is_upper(c)) {
      const bool after_lower = i > 0 && (is_lower(s[i - 1]) || is_digit(s[i - 1]));
      const bool acronym_end = i > 0 && is_upper(s[i - 1]) && i + 1 < s.size() && is_lower(s[i + 1]);
      if ((after_lower || acronym_end) && !out.empty() && out.back() != '_') out += '_';
      out += to_lower(c);
    } else if (c == '-' || c == ' ') {
      out += '_';
    } else {
      out += c;
    }
  }
  return out;
}

std::string match_choice(std::string_view text, const std::vector<std::string>& choices) {
  const std::string n = normalize_choice(text);
  for (const auto& c : choices)
    if (normalize_choice(c) == n) return c;
  const std::string bare = without_underscores(n);
  for (const auto& c : choices)
    if (without_underscores(normalize_choice(c)) == bare) return c;
  return {};
}

std::string substitute_vars(const std::string& text, const std::map<std::string, std::string>& vars,
                            const Mark& mark) {
  std::string out;
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    if (text[i] == '$' && i + 2 < n && text[i + 1] == '$' && text[i + 2] == '{') {
      out += "${";
      i += 3;
      continue;
    }
    if (!(text[i] == '$' && i + 1 < n && text[i + 1] == '{')) {
      out += text[i++];
      continue;
    }
    // Find the matching '}' (defaults may contain references themselves).
    std::size_t j = i + 2;
    int depth = 1;
    while (j < n) {
      if (text[j] == '$' && j + 1 < n && text[j + 1] == '{') {
        ++depth;
        j += 2;
        continue;
      }
      if (text[j] == '}' && --depth == 0) break;
      ++j;
    }
    if (j >= n) fail(mark, "unterminated '${' in '" + text + "'");
    const std::string inner = text.substr(i + 2, j - i - 2);
    std::size_t k = 0;
    while (k < inner.size() && (inner[k] == '_' || std::isalnum(static_cast<unsigned char>(inner[k])))) ++k;
    const std::string name = inner.substr(0, k);
    const std::string rest = inner.substr(k);
    const bool colon_dash = rest.rfind(":-", 0) == 0;
    const bool dash = !colon_dash && rest.rfind("-", 0) == 0;
    if (!is_var_name(name) || (!rest.empty() && !colon_dash && !dash))
      fail(mark, "malformed variable reference '${" + inner + "}' (use ${NAME} or ${NAME:-default})");
    std::optional<std::string> value;
    if (auto it = vars.find(name); it != vars.end()) {
      value = it->second;
    } else if (const char* env = std::getenv(name.c_str())) {
      value = std::string(env);
    }
    if (colon_dash && (!value || value->empty())) {
      value = substitute_vars(rest.substr(2), vars, mark);
    } else if (dash && !value) {
      value = substitute_vars(rest.substr(1), vars, mark);
    }
    if (!value)
      fail(mark,
           "undefined variable '" + name + "' (set it with --var " + name + "=... or in the environment)");
    out += *value;
    i = j + 1;
  }
  return out;
}

std::pair<std::string, std::string> parse_var_assignment(const std::string& key_equals_value) {
  const auto eq = key_equals_value.find('=');
  if (eq == std::string::npos) throw JobError("--var '" + key_equals_value + "': expected KEY=VALUE");
  std::string key = key_equals_value.substr(0, eq);
  if (!is_var_name(key))
    throw JobError("--var '" + key_equals_value + "': '" + key +
                   "' is not a variable name (letters, digits and '_', not starting with a digit)");
  return {key, key_equals_value.substr(eq + 1)};
}

// ---------------------------------------------------------------------------------------------
// The loader.

namespace {

// Scalar parsing.
std::optional<std::int64_t> parse_int(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  std::int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// YAML-style decimal numbers, and .inf/.nan; with `words` also inf, infinity and nan.
std::optional<double> parse_double(std::string_view text, bool words) {
  const std::string s(trim(text));
  static const std::regex number(R"([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)");
  static const std::regex yaml_special(R"([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))");
  if (std::regex_match(s, number)) return std::strtod(s.c_str(), nullptr);
  std::string l = lower(s);
  const bool neg = !l.empty() && l[0] == '-';
  if (!l.empty() && (l[0] == '-' || l[0] == '+')) l.erase(0, 1);
  if (std::regex_match(s, yaml_special) || words) {
    if (l == ".inf" || (words && (l == "inf" || l == "infinity"))) return neg ? -HUGE_VAL : HUGE_VAL;
    if (l == ".nan" || (words && l == "nan")) return std::nan("");
  }
  return std::nullopt;
}

std::optional<bool> parse_bool(std::string_view text, bool yes_no) {
  const std::string l = lower(trim(text));
  if (l == "true" || (yes_no && l == "yes")) return true;
  if (l == "false" || (yes_no && l == "no")) return false;
  return std::nullopt;
}

std::string format_bound(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  std::ostringstream o;
  o << v;
  return o.str();
}

// yaml-cpp (like YAML) does not allow '{' and '}' in plain scalars inside flow collections, yet
// `{uri: ${DATA}/x.gpkg}` must work (job-format.md). Before parsing, the braces of each ${...} reference
// (closed on its line) are replaced by two control characters of the same length, so marks are
// unchanged; text() puts them back.
constexpr char kOpenBrace = '\x0e', kCloseBrace = '\x0f';

std::string protect_var_braces(std::string s) {
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (!(s[i] == '$' && s[i + 1] == '{')) continue;
    std::vector<std::size_t> braces{i + 1};
    std::size_t j = i + 2;
    int depth = 1;
    while (j < s.size() && s[j] != '\n') {
      if (s[j] == '$' && j + 1 < s.size() && s[j + 1] == '{') {
        ++depth;
        braces.push_back(j + 1);
        j += 2;
        continue;
      }
      if (s[j] == '}') {
        braces.push_back(j);
        if (--depth == 0) break;
      }
      ++j;
    }
    if (depth != 0) continue;
    for (auto b : braces) s[b] = s[b] == '{' ? kOpenBrace : kCloseBrace;
    i = j;
  }
  return s;
}

std::string text(const YAML::Node& n) {
  std::string s = n.Scalar();
  for (auto& c : s) {
    if (c == kOpenBrace) c = '{';
    if (c == kCloseBrace) c = '}';
  }
  return s;
}

std::string node_kind(const YAML::Node& n) {
  if (n.IsSequence()) return n.size() == 0 ? "an empty list" : "a list";
  if (n.IsMap()) return "a map";
  if (n.IsNull()) return "nothing";
  return "'" + text(n) + "'";
}

bool has_glob_chars(const std::string& s) {
  return s.find_first_of("*?[") != std::string::npos;
}

class Loader {
 public:
  Loader(std::string file, std::string dir, const std::map<std::string, std::string>& vars,
         const Registry& reg)
      : file_(std::move(file)), dir_(std::move(dir)), vars_(vars), reg_(reg) {}

  Job load(const std::string& yaml_text);

 private:
  // Per-step parsing state.
  struct InputRef {
    std::string name;  // "input" or the named input
    std::string step;  // referenced step id
    Mark mark;
    bool defaulted = false;
  };
  struct Raw {
    Step step;
    std::vector<InputRef> refs;
    bool has_id = false;
    Mark id_mark;
    std::map<std::string, std::string> typed_names;  // canonical param name -> key as written
  };

  Mark mark_of(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    return Mark{file_, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0};
  }
  // Null values (`key:`) are marked at the next token: use the key's mark for them.
  Mark value_mark(const YAML::Node& key, const YAML::Node& value) const {
    return value.IsNull() ? mark_of(key) : mark_of(value);
  }
  // The scalar's text with variables substituted; errors name the step and parameter being read.
  std::string scalar(const YAML::Node& n, const Mark& m) const {
    try {
      return substitute_vars(text(n), vars_, Mark{});
    } catch (const JobError& e) {
      fail(m, context_ + e.what());
    }
  }
  static bool quoted(const YAML::Node& n) { return n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str"; }

  // "step 'ID' (OP): " / "step 'ID': " / "step N: "
  static std::string step_prefix(const Raw& r) {
    std::string s =
        r.has_id || r.step.spec ? "step '" + r.step.id + "'" : "step " + std::to_string(r.step.number);
    if (r.step.spec) s += " (" + r.step.spec->name + ")";
    return s + ": ";
  }
  [[noreturn]] void step_fail(const Raw& r, const Mark& m, const std::string& msg) const {
    fail(m, step_prefix(r) + msg);
  }

  // Map entries in file order; rejects duplicate and non-scalar keys.
  std::vector<std::pair<YAML::Node, YAML::Node>> entries(const YAML::Node& map,
                                                         const std::string& prefix) const {
    std::vector<std::pair<YAML::Node, YAML::Node>> out;
    std::map<std::string, Mark> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node k = it->first;
      if (!k.IsScalar()) fail(mark_of(k), prefix + "keys must be plain names, got " + node_kind(k));
      const std::string key = text(k);
      if (auto s = seen.find(key); s != seen.end())
        fail(mark_of(k), prefix + "duplicate key '" + key + "' (first given at " + s->second.str() + ")");
      seen[key] = mark_of(k);
      out.emplace_back(k, it->second);
    }
    return out;
  }

  ParamValue any_value(const YAML::Node& n, const Mark& m, const std::string& prefix) const;
  ParamValue convert(const Raw& r, const ParamSpec& spec, const std::string& key, const YAML::Node& n,
                     const Mark& m) const;
  std::string check_choice(const Raw& r, const ParamSpec& spec, const std::string& key,
                           const std::string& text, const Mark& m) const;
  Raw parse_step(const YAML::Node& node, int number, const Raw* previous);
  void check_environment(const Step& s, const std::vector<std::string>& outputs,
                         const std::map<std::string, std::string>& typed) const;
  void check_input_path(const Step& s, const std::string& key, const std::string& path, const Mark& m,
                        const std::vector<std::string>& outputs) const;
  void check_output_path(const Step& s, const std::string& key, const std::string& path, const Mark& m) const;

  std::string file_, dir_;
  const std::map<std::string, std::string>& vars_;
  const Registry& reg_;
  std::map<std::string, Mark> ids_;  // step id -> where it was defined
  std::string context_;              // "step 'x' (op): parameter 'p': " while reading a parameter
};

ParamValue Loader::any_value(const YAML::Node& n, const Mark& m, const std::string& prefix) const {
  ParamValue v;
  v.mark = m;
  if (n.IsNull()) return v;
  if (n.IsScalar()) {
    std::string s = scalar(n, m);
    if (quoted(n)) {
      v.v = std::move(s);
    } else if (auto i = parse_int(s)) {
      v.v = *i;
    } else if (auto d = parse_double(s, false)) {
      v.v = *d;
    } else if (auto b = parse_bool(s, false)) {
      v.v = *b;
    } else {
      v.v = std::move(s);
    }
    return v;
  }
  if (n.IsSequence()) {
    ParamList l;
    for (const auto& e : n) l.push_back(any_value(e, e.IsNull() ? m : mark_of(e), prefix));
    v.v = std::move(l);
    return v;
  }
  ParamMap map;
  for (const auto& [k, val] : entries(n, prefix)) map[text(k)] = any_value(val, value_mark(k, val), prefix);
  v.v = std::move(map);
  return v;
}

std::string Loader::check_choice(const Raw& r, const ParamSpec& spec, const std::string& key,
                                 const std::string& text, const Mark& m) const {
  if (spec.choices.empty()) return text;
  std::string c = match_choice(text, spec.choices);
  if (!c.empty()) return c;
  std::string hint = did_you_mean_suffix(normalize_choice(text), spec.choices);
  step_fail(
      r, m,
      "parameter '" + key + "' must be one of " + join(spec.choices, ", ") + "; got '" + text + "'" + hint);
}

ParamValue Loader::convert(const Raw& r, const ParamSpec& spec, const std::string& key, const YAML::Node& n,
                           const Mark& m) const {
  const std::string prefix = step_prefix(r) + "parameter '" + key + "': ";
  ParamValue v;
  v.mark = m;
  auto need_scalar = [&](const char* what) {
    if (!n.IsScalar()) step_fail(r, m, "parameter '" + key + "' must be " + what + ", got " + node_kind(n));
  };
  switch (spec.type) {
    case ParamType::Any:
      return any_value(n, m, prefix);
    case ParamType::Bool: {
      need_scalar("true or false");
      const std::string s = scalar(n, m);
      auto b = parse_bool(s, true);
      if (!b) step_fail(r, m, "parameter '" + key + "' must be true or false, got '" + s + "'");
      v.v = *b;
      return v;
    }
    case ParamType::Int:
    case ParamType::Double: {
      const bool is_int = spec.type == ParamType::Int;
      const char* what = is_int ? "an integer" : "a number";
      need_scalar(what);
      const std::string s = scalar(n, m);
      double d = 0;
      if (is_int) {
        auto i = parse_int(s);
        if (!i) step_fail(r, m, "parameter '" + key + "' must be an integer, got '" + s + "'");
        v.v = *i;
        d = static_cast<double>(*i);
      } else {
        auto x = parse_double(s, true);
        if (!x) step_fail(r, m, "parameter '" + key + "' must be a number, got '" + s + "'");
        v.v = *x;
        d = *x;
      }
      const bool low = spec.min && !(d >= *spec.min);
      const bool high = spec.max && !(d <= *spec.max);
      if (low || high) {
        std::string range;
        if (spec.min && spec.max)
          range = "between " + format_bound(*spec.min) + " and " + format_bound(*spec.max);
        else if (spec.min)
          range = "at least " + format_bound(*spec.min);
        else
          range = "at most " + format_bound(*spec.max);
        step_fail(r, m, "parameter '" + key + "' must be " + range + ", got " + s);
      }
      return v;
    }
    case ParamType::String:
    case ParamType::Crs:
    case ParamType::CellTypeName:
    case ParamType::OutputPath: {
      need_scalar(spec.type == ParamType::OutputPath ? "a path" : "a string");
      std::string s = scalar(n, m);
      if (spec.type == ParamType::String) s = check_choice(r, spec, key, s, m);
      if (spec.type == ParamType::OutputPath) {
        if (trim(s).empty()) step_fail(r, m, "parameter '" + key + "' is an empty path");
        s = resolve_job_path(dir_, s);
      }
      v.v = std::move(s);
      return v;
    }
    case ParamType::StringList:
    case ParamType::InputPath: {
      const bool path = spec.type == ParamType::InputPath;
      const std::string what = path ? "a path or a list of paths" : "a string or a list of strings";
      auto one = [&](const YAML::Node& e, const Mark& em) {
        if (!e.IsScalar())
          step_fail(r, em, "parameter '" + key + "' must be " + what + ", got " + node_kind(e) + " in it");
        ParamValue x;
        x.mark = em;
        std::string s = scalar(e, em);
        if (path) {
          if (trim(s).empty()) step_fail(r, em, "parameter '" + key + "' has an empty path");
          s = resolve_job_path(dir_, s);
        } else {
          s = check_choice(r, spec, key, s, em);
        }
        x.v = std::move(s);
        return x;
      };
      if (n.IsScalar()) {
        ParamValue x = one(n, m);
        if (path) return x;
        v.v = ParamList{std::move(x)};
        return v;
      }
      if (!n.IsSequence())
        step_fail(r, m, "parameter '" + key + "' must be " + what + ", got " + node_kind(n));
      if (path && n.size() == 0) step_fail(r, m, "parameter '" + key + "' is an empty list");
      ParamList l;
      for (const auto& e : n) l.push_back(one(e, e.IsNull() ? m : mark_of(e)));
      v.v = std::move(l);
      return v;
    }
  }
  return v;
}

Loader::Raw Loader::parse_step(const YAML::Node& node, int number, const Raw* previous) {
  Raw r;
  r.step.number = number;
  r.step.mark = mark_of(node);
  if (!node.IsMap())
    step_fail(
        r, r.step.mark,
        "a step is a map with at least 'op' (and 'id', 'input' and parameters), got " + node_kind(node));
  const auto kv = entries(node, step_prefix(r));

  // id and op first: later messages name the step.
  const std::pair<YAML::Node, YAML::Node>*op_entry = nullptr, *id_entry = nullptr;
  for (const auto& e : kv) {
    if (text(e.first) == "op") op_entry = &e;
    if (text(e.first) == "id") id_entry = &e;
  }
  if (id_entry) {
    const YAML::Node& id_node = id_entry->second;
    r.id_mark = value_mark(id_entry->first, id_node);
    if (!id_node.IsScalar() || trim(text(id_node)).empty())
      step_fail(r, r.id_mark, "'id' must be a non-empty name, got " + node_kind(id_node));
    r.step.id = std::string(trim(scalar(id_node, r.id_mark)));
    if (r.step.id.empty()) step_fail(r, r.id_mark, "'id' is empty");
    r.has_id = true;
  }
  if (!op_entry) step_fail(r, r.step.mark, "missing 'op' (the operation to run; 'trellis ops' lists them)");
  const YAML::Node& op_node = op_entry->second;
  const Mark op_mark = value_mark(op_entry->first, op_node);
  if (!op_node.IsScalar()) step_fail(r, op_mark, "'op' must be an op name, got " + node_kind(op_node));
  const std::string op_name(trim(scalar(op_node, op_mark)));
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
  if (spec->inputs == Inputs::One) candidates.push_back("input");
  if (spec->inputs == Inputs::Named) candidates.push_back("inputs");
  for (const auto& p : spec->params) {
    by_name[p.name] = &p;
    candidates.push_back(p.name);
    for (const auto& a : p.aliases) {
      by_name[a] = &p;
      candidates.push_back(a);
    }
  }

  ParamMap values;
  bool saw_input = false;
  for (const auto& [k, v] : kv) {
    const std::string key = text(k);
    const Mark km = mark_of(k);
    const Mark vm = value_mark(k, v);
    if (key == "id" || key == "op") continue;
    if (key == "input" || key == "inputs") {
      if (spec->inputs == Inputs::None)
        step_fail(r, km, spec->name + " is a source op and takes no '" + key + "'");
      if (spec->inputs == Inputs::One && key == "inputs")
        step_fail(r, km, spec->name + " takes one input: use 'input: STEP' instead of 'inputs'");
      if (spec->inputs == Inputs::Named && key == "input")
        step_fail(r, km,
                  spec->name + " takes named inputs: use 'inputs: {NAME: STEP, ...}' instead of 'input'");
      saw_input = true;
      if (key == "input") {
        if (!v.IsScalar() || trim(text(v)).empty())
          step_fail(r, vm, "'input' must be the id of a step, got " + node_kind(v));
        r.refs.push_back({"input", std::string(trim(scalar(v, vm))), vm, false});
      } else {
        if (!v.IsMap() || v.size() == 0)
          step_fail(r, vm,
                    "'inputs' must be a map of names to step ids ({a: STEP, b: STEP}), got " + node_kind(v));
        for (const auto& [ik, iv] : entries(v, step_prefix(r) + "inputs: ")) {
          const Mark ivm = value_mark(ik, iv);
          if (!iv.IsScalar() || trim(text(iv)).empty())
            step_fail(r, ivm, "input '" + text(ik) + "' must be the id of a step, got " + node_kind(iv));
          r.refs.push_back({text(ik), std::string(trim(scalar(iv, ivm))), ivm, false});
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
    context_ = step_prefix(r) + "parameter '" + key + "': ";
    values[ps.name] = convert(r, ps, key, v, vm);
    context_.clear();
  }

  if (spec->inputs == Inputs::One && !saw_input) {
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
      if ((p.type == ParamType::InputPath || p.type == ParamType::OutputPath) && d.is_string())
        d.v = resolve_job_path(dir_, d.as_string());
      values[p.name] = std::move(d);
    }
  }

  for (const auto& ref : r.refs) r.step.inputs[ref.name] = ref.step;
  r.step.params = Params(r.step.id, spec->name, r.step.mark, std::move(values));
  r.step.params.set_job_dir(dir_);
  r.step.params.set_inputs(r.step.inputs);
  return r;
}

void Loader::check_input_path(const Step& s, const std::string& key, const std::string& path, const Mark& m,
                              const std::vector<std::string>& outputs) const {
  const Params at(s.id, s.spec->name, m, {});
  if (is_virtual_path(path)) return;
  // Written by a step of this job (e.g. a catalog written, then read back).
  for (const auto& o : outputs) {
    if (path == o || path.rfind(o + "/", 0) == 0) return;
    if (o.find('{') != std::string::npos) {
      std::string re;
      for (std::size_t i = 0; i < o.size(); ++i) {
        const char c = o[i];
        if (c == '{') {
          const auto close = o.find('}', i);
          if (close != std::string::npos) {
            re += "[^/]*";
            i = close;
            continue;
          }
        }
        if (std::strchr(R"(\^$.|?*+()[]{})", c)) re += '\\';
        re += c;
      }
      if (std::regex_match(path, std::regex(re + "(/.*)?"))) return;
    }
  }
  const std::string prefix = "parameter '" + key + "': ";
  if (has_glob_chars(path)) {
    glob_t g{};
    const int rc = ::glob(path.c_str(), 0, nullptr, &g);
    const std::size_t count = rc == 0 ? g.gl_pathc : 0;
    globfree(&g);
    if (count == 0) throw at.step_error(prefix + "no file matches '" + path + "'");
    return;
  }
  std::error_code ec;
  if (!fs::exists(path, ec)) throw at.step_error(prefix + "input '" + path + "' does not exist");
}

void Loader::check_output_path(const Step& s, const std::string& key, const std::string& path,
                               const Mark& m) const {
  if (is_virtual_path(path)) return;
  const Params at(s.id, s.spec->name, m, {});
  const std::string prefix = "parameter '" + key + "': cannot write '" + path + "': ";
  std::error_code ec;
  fs::path p = fs::path(path);
  if (fs::is_directory(p, ec) && ::access(p.c_str(), W_OK) != 0) {
    // An existing folder (e.g. a catalog) must be writable itself.
    throw at.step_error(prefix + "folder '" + p.string() + "' is not writable");
  }
  for (fs::path a = p.parent_path(); !a.empty(); a = a.parent_path()) {
    const auto st = fs::status(a, ec);
    if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
      throw at.step_error(prefix + "cannot check '" + a.string() + "': " + ec.message());
    if (fs::exists(st)) {
      if (!fs::is_directory(st)) throw at.step_error(prefix + "'" + a.string() + "' is a file, not a folder");
      if (::access(a.c_str(), W_OK | X_OK) != 0)
        throw at.step_error(prefix + "folder '" + a.string() + "' is not writable");
      return;
    }
    if (a == a.root_path()) break;
  }
}

void Loader::check_environment(const Step& s, const std::vector<std::string>& outputs,
                               const std::map<std::string, std::string>& typed) const {
  for (const auto& p : s.spec->params) {
    if (!s.params.has(p.name)) continue;
    const ParamValue& v = s.params.raw(p.name);
    auto tn = typed.find(p.name);
    const std::string key = tn == typed.end() ? p.name : tn->second;
    switch (p.type) {
      case ParamType::InputPath:
        if (v.is_string()) {
          check_input_path(s, key, v.as_string(), v.mark, outputs);
        } else if (v.is_list()) {
          for (const auto& e : v.as_list())
            if (e.is_string()) check_input_path(s, key, e.as_string(), e.mark, outputs);
        }
        break;
      case ParamType::OutputPath:
        if (v.is_string()) check_output_path(s, key, v.as_string(), v.mark);
        break;
      case ParamType::Crs:
        if (v.is_string()) {
          try {
            (void)Crs::from_user(v.as_string());
          } catch (const JobError& e) {
            throw s.params.error(p.name, "parameter '" + key + "': " + e.what());
          }
        }
        break;
      case ParamType::CellTypeName:
        if (v.is_string()) {
          try {
            (void)CellType::parse(v.as_string());
          } catch (const JobError& e) {
            throw s.params.error(p.name, "parameter '" + key + "': " + e.what());
          }
        }
        break;
      default:
        break;
    }
  }
}

Job Loader::load(const std::string& yaml_text) {
  Job job;
  job.file = file_;
  job.dir = dir_;
  job.name = fs::path(file_).stem().string();
  const Mark top{file_, 1, 1};

  YAML::Node root;
  try {
    root = YAML::Load(protect_var_braces(yaml_text));
  } catch (const YAML::Exception& e) {
    fail(Mark{file_, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.mark.column >= 0 ? e.mark.column + 1 : 0},
         e.msg);
  }
  if (!root || root.IsNull()) fail(top, "the job file is empty (a job has 'version: 1', 'name' and 'steps')");
  if (!root.IsMap())
    fail(mark_of(root), "a job is a map with 'version', 'name' and 'steps', got " + node_kind(root));

  std::optional<YAML::Node> steps;
  Mark steps_mark = top;
  for (const auto& [k, v] : entries(root, "")) {
    const std::string key = text(k);
    const Mark vm = value_mark(k, v);
    if (key == "version") {
      const std::string s = v.IsScalar() ? scalar(v, vm) : node_kind(v);
      auto i = parse_int(s);
      if (!i || *i != 1) fail(vm, "unsupported job version '" + s + "' (this trellis reads version 1)");
      job.version = 1;
    } else if (key == "name") {
      if (!v.IsScalar()) fail(vm, "'name' must be a string, got " + node_kind(v));
      job.name = std::string(trim(scalar(v, vm)));
      if (job.name.empty()) fail(vm, "'name' is empty");
    } else if (key == "steps") {
      steps.emplace(v);
      steps_mark = vm;
    } else {
      const std::string hint = did_you_mean_suffix(key, {"version", "name", "steps"});
      fail(mark_of(k), "unknown top-level key '" + key + "'" +
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
  std::map<std::string, std::size_t> index;
  std::vector<std::string> all_ids;
  for (std::size_t i = 0; i < raws.size(); ++i) {
    index[raws[i].step.id] = i;
    all_ids.push_back(raws[i].step.id);
  }
  for (const auto& r : raws) {
    for (const auto& ref : r.refs) {
      if (!index.count(ref.step)) {
        std::vector<std::string> others;
        for (const auto& id : all_ids)
          if (id != r.step.id) others.push_back(id);
        step_fail(r, ref.mark,
                  "undefined input step '" + ref.step + "'" + did_you_mean_suffix(ref.step, others));
      }
    }
  }
  // Topological order, stable: always take the first step (in file order) whose inputs are placed.
  const std::size_t n = raws.size();
  std::vector<bool> placed(n, false);
  std::vector<std::size_t> order;
  while (order.size() < n) {
    bool progress = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (placed[i]) continue;
      const bool ready = std::all_of(raws[i].refs.begin(), raws[i].refs.end(),
                                     [&](const InputRef& ref) { return placed[index.at(ref.step)]; });
      if (ready) {
        placed[i] = true;
        order.push_back(i);
        progress = true;
        break;
      }
    }
    if (!progress) {
      // Follow unplaced inputs from the first unplaced step until a step repeats: that is a cycle.
      std::size_t cur = 0;
      while (placed[cur]) ++cur;
      std::vector<std::size_t> path;
      std::map<std::size_t, std::size_t> pos;
      while (!pos.count(cur)) {
        pos[cur] = path.size();
        path.push_back(cur);
        for (const auto& ref : raws[cur].refs) {
          const std::size_t j = index.at(ref.step);
          if (!placed[j]) {
            cur = j;
            break;
          }
        }
      }
      std::vector<std::size_t> cycle(path.begin() + static_cast<std::ptrdiff_t>(pos[cur]), path.end());
      // Start the cycle at its first step in file order, and follow the inputs: a <- b means a reads b.
      const auto first = std::min_element(cycle.begin(), cycle.end());
      std::rotate(cycle.begin(), first, cycle.end());
      std::vector<std::string> names;
      for (auto c : cycle) names.push_back(raws[c].step.id);
      names.push_back(raws[cycle.front()].step.id);
      const Raw& r = raws[cycle.front()];
      Mark m = r.step.mark;
      const std::string next = raws[cycle.size() > 1 ? cycle[1] : cycle[0]].step.id;
      for (const auto& ref : r.refs)
        if (ref.step == next) m = ref.mark;
      step_fail(r, m, "cyclic inputs: " + join(names, " -> ") + " (each step takes the next as input)");
    }
  }
  for (const auto& r : raws) {
    const auto& accepts = r.step.spec->accepts;
    for (const auto& ref : r.refs) {
      const OpSpec* from = raws[index.at(ref.step)].step.spec;
      const ValueKind k = from->produces;
      if (k != ValueKind::None && (accepts.empty() || std::count(accepts.begin(), accepts.end(), k)))
        continue;
      std::string what;
      if (ref.defaulted)
        what = "input (by default the previous step, '" + ref.step + "')";
      else if (r.step.spec->inputs == Inputs::Named)
        what = "input '" + ref.name + "' (step '" + ref.step + "')";
      else
        what = "input '" + ref.step + "'";
      std::vector<std::string> wanted;
      for (auto a : accepts) wanted.push_back(std::string("a ") + value_kind_name(a));
      if (wanted.empty()) wanted.push_back("a layer, a pyramid or a result");
      const std::string last = wanted.back();
      wanted.pop_back();
      const std::string wants = wanted.empty() ? last : join(wanted, ", ") + " or " + last;
      const std::string is = k == ValueKind::None ? " gives no value (" + from->name + " only writes)"
                                                  : std::string(" is a ") + value_kind_name(k);
      std::string msg = what + is + "; " + r.step.spec->name + " needs " + wants;
      if (ref.defaulted) msg += " (set 'input:')";
      step_fail(r, ref.mark, msg);
    }
  }

  // 3. What needs the file system or PROJ, then the ops' own checks, in file order.
  std::vector<std::string> outputs;
  for (const auto& r : raws)
    for (const auto& p : r.step.spec->params)
      if (p.type == ParamType::OutputPath && r.step.params.has(p.name) &&
          r.step.params.raw(p.name).is_string())
        outputs.push_back(r.step.params.raw(p.name).as_string());
  for (const auto& r : raws) {
    check_environment(r.step, outputs, r.typed_names);
    if (r.step.spec->validate) {
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
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw JobError(path + ": is a folder, not a job file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw JobError(path + ": cannot read the job file: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw JobError(path + ": cannot read the job file");
  const fs::path parent = fs::absolute(path).lexically_normal().parent_path();
  return load_job_from_string(text.str(), path, parent.string(), vars, reg);
}

}  // namespace trellis::job
