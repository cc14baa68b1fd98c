#pragma once
// Parameter values of a job step, independent of YAML: the job engine converts YAML nodes to
// ParamValues (keeping file:line:col marks); ops read them through Params, already validated against
// their ParamSpecs and completed with defaults.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace trellis::job {

struct Mark {
  std::string file;
  int line = 0, col = 0;  // 1-based; 0 when unknown
  // "file:line:col" (or just "file" when line is unknown)
  std::string str() const;
};

struct ParamValue;
using ParamList = std::vector<ParamValue>;
using ParamMap = std::map<std::string, ParamValue>;

// The place of the character `offset` characters into a scalar's text: its mark moved along the text
// (and past the opening quote of a quoted string).
Mark mark_within(const ParamValue& v, std::size_t offset);

struct ParamValue {
  std::variant<std::monostate, bool, std::int64_t, double, std::string, ParamList, ParamMap> v;
  Mark mark;
  bool quoted = false;  // a quoted YAML string: its text starts one column after the mark

  bool is_null() const { return std::holds_alternative<std::monostate>(v); }
  bool is_bool() const { return std::holds_alternative<bool>(v); }
  bool is_int() const { return std::holds_alternative<std::int64_t>(v); }
  bool is_number() const { return is_int() || std::holds_alternative<double>(v); }
  bool is_string() const { return std::holds_alternative<std::string>(v); }
  bool is_list() const { return std::holds_alternative<ParamList>(v); }
  bool is_map() const { return std::holds_alternative<ParamMap>(v); }
  bool as_bool() const { return std::get<bool>(v); }
  std::int64_t as_int() const { return std::get<std::int64_t>(v); }
  double as_double() const { return is_int() ? static_cast<double>(as_int()) : std::get<double>(v); }
  const std::string& as_string() const { return std::get<std::string>(v); }
  const ParamList& as_list() const { return std::get<ParamList>(v); }
  const ParamMap& as_map() const { return std::get<ParamMap>(v); }
  // A short rendering for messages and docs ("256", "[min, max]", "{uri: x}").
  std::string to_string() const;
};

enum class ParamType {
  Bool,
  Int,
  Double,
  String,      // free text; with `choices` an enumeration (case-insensitive, GeoPySpark spellings allowed)
  StringList,  // a list of strings, or one string taken as a one-element list
  InputPath,   // a file/folder/glob/list read by the op: resolved against the job folder, must exist
  OutputPath,  // a file written by the op: resolved against the job folder, its folder must be creatable
  // A folder the op writes a tree of files in (render_png's tiles): resolved like OutputPath; absent, empty
  // or a tree trellis wrote (marked by a `.trellis-tiles` file), which the op replaces.
  OutputFolder,
  // A catalog (file:///abs or a path resolved against the job folder) and, with the step's
  // `layer_name`, a layer in it: read (must exist unless an earlier step writes it) or written.
  CatalogInput,
  CatalogOutput,
  Crs,  // anything Crs::from_user accepts; must be known to PROJ
  CellTypeName,
  Any,  // a scalar, list or map the op checks itself (its validate hook)
};

const char* param_type_name(ParamType t);

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::String;
  bool required = false;
  std::optional<ParamValue> default_value;  // applied when absent
  std::vector<std::string> choices;         // canonical lower-case values for enumerations
  std::optional<double> min, max;           // inclusive numeric range
  std::string help;
  std::vector<std::string> aliases;  // other accepted names (GeoPySpark spellings)
  std::string type_name;             // shown type ("extent"); empty: param_type_name(type)
  std::string site_default;          // the site setting that overrides the default, if any
};

// The type shown for a parameter: its type_name, else the name of its shape.
std::string shown_type(const ParamSpec& p);

// The validated parameters of one step.
class Params {
 public:
  Params() = default;
  Params(std::string step_id, std::string op, Mark step_mark, ParamMap values)
      : step_id_(std::move(step_id)),
        op_(std::move(op)),
        step_mark_(std::move(step_mark)),
        values_(std::move(values)) {}

  bool has(const std::string& name) const { return values_.count(name) && !values_.at(name).is_null(); }
  // True when the job gives the parameter (a default applied by the loader is not given). Without a
  // record from the loader (set_given), the same as has().
  bool given(const std::string& name) const { return given_ ? given_->count(name) > 0 : has(name); }
  void set_given(std::set<std::string> names) { given_ = std::move(names); }
  const ParamValue& raw(const std::string& name) const;
  bool get_bool(const std::string& name) const { return raw(name).as_bool(); }
  std::int64_t get_int(const std::string& name) const { return raw(name).as_int(); }
  double get_double(const std::string& name) const { return raw(name).as_double(); }
  // Strings of enumerations are already normalised to their canonical choice.
  const std::string& get_string(const std::string& name) const { return raw(name).as_string(); }
  std::vector<std::string> get_strings(const std::string& name) const;
  Mark mark(const std::string& name) const { return has(name) ? raw(name).mark : step_mark_; }

  const std::string& step_id() const { return step_id_; }
  const std::string& op() const { return op_; }
  const Mark& step_mark() const { return step_mark_; }
  const ParamMap& values() const { return values_; }
  ParamMap& mutable_values() { return values_; }

  // The absolute folder of the job file (relative paths inside Any parameters resolve against it).
  const std::string& job_dir() const { return job_dir_; }
  void set_job_dir(std::string dir) { job_dir_ = std::move(dir); }
  // A path written in the job, resolved like InputPath/OutputPath parameters (see resolve_job_path).
  std::string resolve_path(const std::string& path) const;
  // The step's inputs: {"input": step id} for Inputs::One, {name: step id} for Inputs::Named.
  const std::map<std::string, std::string>& inputs() const { return inputs_; }
  void set_inputs(std::map<std::string, std::string> inputs) { inputs_ = std::move(inputs); }

  // A JobError "FILE:LINE:COL: step 'ID' (OP): message" at the parameter's mark.
  JobError error(const std::string& name, const std::string& message) const;
  // The same at `offset` characters into the parameter's text (a column inside an expression).
  JobError error_within(const std::string& name, std::size_t offset, const std::string& message) const;
  JobError step_error(const std::string& message) const;

 private:
  std::string step_id_, op_;
  Mark step_mark_;
  ParamMap values_;
  std::string job_dir_;
  std::map<std::string, std::string> inputs_;
  std::optional<std::set<std::string>> given_;
};

// True for GDAL virtual paths (/vsi...) and URIs (anything containing "://"): kept as written.
bool is_virtual_path(const std::string& path);
// A catalog layer as the path checks see it ("catalog:<root>#<layer>"): two steps use the same layer
// when these are equal. `uri` as resolved by the loader.
std::string catalog_layer_key(const std::string& uri, const std::string& layer);
// A catalog URI with its path resolved against the job's folder: file:// and hdf5:// keep their scheme
// (file://out/cat -> file:///job/dir/out/cat); other schemes are left alone.
std::string resolve_catalog_uri(const std::string& job_dir, const std::string& uri);
// Resolves a path written in a job against the job folder: "~/" expands to $HOME, relative paths are
// joined to `job_dir` and normalised; absolute paths are normalised; virtual paths are kept as written.
std::string resolve_job_path(const std::string& job_dir, const std::string& path);

}  // namespace trellis::job
