#pragma once
// YAML to ParamValue: the one conversion jobs and the site configuration share. Scalars get ${VAR}
// substituted, then are checked against a ParamSpec (type, range, choices, paths) and converted; every
// error is a JobError "FILE:LINE:COL: <context>...". Not collective, deterministic.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "job/params.hpp"

namespace trellis::job {

// The text of a job or site configuration file (`what` names it in messages): a regular file of at most
// kMaxJobFileBytes (a FIFO, a device or a folder would block, never end, or mean nothing). Throws
// JobError "PATH: ...".
inline constexpr std::size_t kMaxJobFileBytes = std::size_t{16} << 20;
std::string read_job_text(const std::string& path, const std::string& what);

// Parses YAML text whose ${...} references may hold braces (see protect_var_braces). Throws JobError
// "FILE:LINE:COL: <yaml-cpp's message>" on a syntax error, or when the text holds a second document.
YAML::Node parse_yaml(const std::string& text, const std::string& file);
// A scalar's text as written (the braces of ${...} references restored).
std::string yaml_text(const YAML::Node& n);
// "a list", "an empty list", "a map", "nothing" or "'text'", for messages.
std::string node_kind(const YAML::Node& n);

// Scalar parsing: integers ("+3"), YAML-style decimal numbers and .inf/.nan (with `words` also inf,
// infinity and nan), true/false (with `yes_no` also yes/no).
std::optional<std::int64_t> parse_int(std::string_view s);
std::optional<double> parse_double(std::string_view text, bool words);
std::optional<bool> parse_bool(std::string_view text, bool yes_no);

// How messages name what is being read: a job's "parameter 'tile_size' must be ..." or a site
// setting's "threads: ...".
enum class Voice { Parameter, Setting };

class YamlConverter {
 public:
  YamlConverter(std::string file, std::string dir, const std::map<std::string, std::string>& vars,
                Voice voice = Voice::Parameter)
      : file_(std::move(file)), dir_(std::move(dir)), vars_(vars), voice_(voice) {}

  Mark mark_of(const YAML::Node& n) const;
  // Null values (`key:`) are marked at the next token: they get the key's mark.
  Mark value_mark(const YAML::Node& key, const YAML::Node& value) const {
    return value.IsNull() ? mark_of(key) : mark_of(value);
  }
  // The scalar's text with variables substituted; an error is "FILE:L:C: <prefix><why>".
  std::string scalar(const YAML::Node& n, const Mark& m, const std::string& prefix = {}) const;
  // Map entries in file order; rejects duplicate and non-scalar keys ("<prefix>duplicate key 'k'").
  std::vector<std::pair<YAML::Node, YAML::Node>> entries(const YAML::Node& map,
                                                         const std::string& prefix) const;

  // The node as the spec's type wants it (see ParamType). `key` is the name as written, `prefix` what
  // messages start with ("step 'x' (op): "). Throws JobError.
  ParamValue convert(const ParamSpec& spec, const std::string& key, const YAML::Node& n, const Mark& m,
                     const std::string& prefix) const;
  // Any YAML value: scalars typed by their look (quoted strings stay strings), lists, maps.
  ParamValue any_value(const YAML::Node& n, const Mark& m, const std::string& prefix) const;

  [[noreturn]] void fail(const Mark& m, const std::string& message) const;
  const std::string& file() const { return file_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string check_choice(const ParamSpec& spec, const std::string& key, const std::string& text,
                           const Mark& m, const std::string& prefix) const;
  // "parameter 'k' must be X" / "k: must be X"
  std::string must_be(const std::string& key, const std::string& what) const;

  // Counts the nodes converted: YAML aliases let a small file expand to billions (an "alias bomb").
  void count_node(const Mark& m) const;

  std::string file_, dir_;
  const std::map<std::string, std::string>& vars_;
  Voice voice_;
  mutable std::size_t nodes_ = 0;
};

// The most YAML nodes a job's values may expand to (aliases included).
inline constexpr std::size_t kMaxYamlNodes = 1000000;

}  // namespace trellis::job
