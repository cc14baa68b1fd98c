#pragma once
// How a C++ type is read from a job: ParamTraits<T>, one specialisation per parameter type. The loader
// first converts the YAML to a ParamValue of the type's `shape` (checking types, ranges, choices and
// paths, with FILE:LINE:COL marks); parse() then builds the typed value, once, at load time.
//
//   template <> struct ParamTraits<T> {
//     static constexpr ParamType shape = ...;       // what the loader converts the YAML to
//     static std::string type_name();                // shown by `trellis ops` and in docs/ops
//     static T parse(const ParamValue& v, const ValueContext& c);   // c.fail(mark, why) on errors
//     static ParamValue render(const T& v);          // optional: shows a default in the docs
//     static std::vector<std::string> choices();     // optional: the accepted names (enumerations)
//   };
//
// Provided here: bool, integers, double, std::string, named enumerations (core/enum_names.hpp),
// std::optional<T>, std::vector<T> of strings or enumerations, input and output paths, CRS and cell
// type. Structured types (extent, tile layout, geometry source, neighbourhood, value map, colour map,
// expression) have their own headers under job/types/.
#include <concepts>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "core/cell_type.hpp"
#include "core/crs.hpp"
#include "core/enum_names.hpp"
#include "core/error.hpp"
#include "core/text.hpp"
#include "job/params.hpp"

namespace trellis::job {

// Where a value is read: its messages are "FILE:LINE:COL: <where>: <why>", relative paths resolve
// against the job's folder.
class ValueContext {
 public:
  // `where`: "step 'tiled' (tile_to_layout): parameter 'extent'" or "memory_per_rank".
  // `step_inputs`: the step's named inputs (for types that refer to them, e.g. expressions), if any.
  ValueContext(std::string where, std::string job_dir,
               const std::map<std::string, std::string>* step_inputs = nullptr)
      : where_(std::move(where)), dir_(std::move(job_dir)), inputs_(step_inputs) {}
  // A JobError at `m`: "FILE:LINE:COL: <where>: <why>". Deterministic; does not throw.
  JobError error(const Mark& m, const std::string& why) const;
  [[noreturn]] void fail(const Mark& m, const std::string& why) const { throw error(m, why); }
  // A path written in the job, resolved like InputPath and OutputPath parameters.
  std::string resolve_path(const std::string& path) const { return resolve_job_path(dir_, path); }
  const std::string& where() const { return where_; }
  // The names of the step's inputs ("input" for one-input ops); empty when unknown.
  std::vector<std::string> input_names() const {
    std::vector<std::string> out;
    if (inputs_)
      for (const auto& [name, step] : *inputs_) out.push_back(name);
    return out;
  }

 private:
  std::string where_, dir_;
  const std::map<std::string, std::string>* inputs_ = nullptr;
};

template <class T>
struct ParamTraits;  // undefined: a type without traits cannot be a parameter

// Traits that can show a value (defaults in `trellis ops`).
template <class T>
concept RenderableParam = requires(const T& t) {
  { ParamTraits<T>::render(t) } -> std::same_as<ParamValue>;
};
// Traits that list the accepted names (enumerations).
template <class T>
concept ChoiceParam = requires {
  { ParamTraits<T>::choices() } -> std::same_as<std::vector<std::string>>;
};

template <>
struct ParamTraits<bool> {
  static constexpr ParamType shape = ParamType::Bool;
  static std::string type_name() { return "bool"; }
  static bool parse(const ParamValue& v, const ValueContext&) { return v.as_bool(); }
  static ParamValue render(bool b) { return ParamValue{b, {}}; }
};

template <std::integral T>
requires(!std::same_as<T, bool>) struct ParamTraits<T> {
  static constexpr ParamType shape = ParamType::Int;
  static std::string type_name() { return "int"; }
  static T parse(const ParamValue& v, const ValueContext& c) {
    const std::int64_t i = v.as_int();
    if (i < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
        static_cast<std::uint64_t>(i) > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
      c.fail(v.mark, "the value " + std::to_string(i) + " is out of range");
    return static_cast<T>(i);
  }
  static ParamValue render(T i) { return ParamValue{static_cast<std::int64_t>(i), {}}; }
};

template <>
struct ParamTraits<double> {
  static constexpr ParamType shape = ParamType::Double;
  static std::string type_name() { return "number"; }
  static double parse(const ParamValue& v, const ValueContext&) { return v.as_double(); }
  static ParamValue render(double d) { return ParamValue{d, {}}; }
};

template <>
struct ParamTraits<std::string> {
  static constexpr ParamType shape = ParamType::String;
  static std::string type_name() { return "string"; }
  static std::string parse(const ParamValue& v, const ValueContext&) { return v.as_string(); }
  static ParamValue render(const std::string& s) { return ParamValue{s, {}}; }
};

// Enumerations with names: the loader matches the spelling (GeoPySpark's CamelCase too) to a canonical
// name, parse() maps it to the value.
template <NamedEnum E>
struct ParamTraits<E> {
  static constexpr ParamType shape = ParamType::String;
  static std::string type_name() { return "string"; }
  static std::vector<std::string> choices() {
    std::vector<std::string> out;
    for (const auto& n : enum_names(E{})) out.emplace_back(n.name);
    return out;
  }
  static E parse(const ParamValue& v, const ValueContext& c) {
    for (const auto& n : enum_names(E{}))
      if (n.name == v.as_string()) return n.value;
    c.fail(v.mark, "'" + v.as_string() + "' is not one of " + join(choices(), ", "));
  }
  static ParamValue render(E e) { return ParamValue{enum_name(e), {}}; }
};

// An optional parameter: absent (no default) is nullopt.
template <class T>
struct ParamTraits<std::optional<T>> {
  static constexpr ParamType shape = ParamTraits<T>::shape;
  static std::string type_name() { return ParamTraits<T>::type_name(); }
  static std::optional<T> parse(const ParamValue& v, const ValueContext& c) {
    return ParamTraits<T>::parse(v, c);
  }
  static std::vector<std::string> choices() requires ChoiceParam<T> { return ParamTraits<T>::choices(); }
};

// A list of strings or enumeration values (one value is taken as a list of one).
template <class T>
requires(std::same_as<T, std::string> || NamedEnum<T>) struct ParamTraits<std::vector<T>> {
  static constexpr ParamType shape = ParamType::StringList;
  static std::string type_name() { return "string list"; }
  static std::vector<std::string> choices() requires ChoiceParam<T> { return ParamTraits<T>::choices(); }
  static std::vector<T> parse(const ParamValue& v, const ValueContext& c) {
    std::vector<T> out;
    for (const auto& e : v.as_list()) out.push_back(ParamTraits<T>::parse(e, c));
    return out;
  }
  static ParamValue render(const std::vector<T>& v) {
    ParamList l;
    for (const auto& e : v) l.push_back(ParamTraits<T>::render(e));
    return ParamValue{std::move(l), {}};
  }
};

// Files read by an op: a file, folder, glob or list of them (relative to the job file's folder, checked
// to exist unless written by an earlier step; GDAL /vsi paths and URIs are kept as written).
struct InputPaths {
  std::vector<std::string> paths;
};
template <>
struct ParamTraits<InputPaths> {
  static constexpr ParamType shape = ParamType::InputPath;
  static std::string type_name() { return "input path"; }
  static InputPaths parse(const ParamValue& v, const ValueContext& c);
};

// A file written by an op (relative to the job file's folder; its folder must be creatable).
struct OutputPath {
  std::string path;
};
template <>
struct ParamTraits<OutputPath> {
  static constexpr ParamType shape = ParamType::OutputPath;
  static std::string type_name() { return "output path"; }
  static OutputPath parse(const ParamValue& v, const ValueContext&) { return {v.as_string()}; }
};

// A folder an op writes a tree of files in (params.hpp, ParamType::OutputFolder).
struct OutputFolder {
  std::string path;
};
template <>
struct ParamTraits<OutputFolder> {
  static constexpr ParamType shape = ParamType::OutputFolder;
  static std::string type_name() { return "output folder"; }
  static OutputFolder parse(const ParamValue& v, const ValueContext&) { return {v.as_string()}; }
};
// The file that marks a folder as a tree trellis wrote (OutputFolder): only such a folder is replaced.
inline constexpr const char* kTreeMarker = ".trellis-tiles";

// A catalog an op reads or writes: `file:///abs/path` or a path (relative to the job file's folder).
// The op's `layer_name` parameter names the layer in it (job-format.md, catalogs).
struct CatalogInput {
  std::string uri;
};
struct CatalogOutput {
  std::string uri;
};
template <>
struct ParamTraits<CatalogInput> {
  static constexpr ParamType shape = ParamType::CatalogInput;
  static std::string type_name() { return "catalog uri"; }
  static CatalogInput parse(const ParamValue& v, const ValueContext&) { return {v.as_string()}; }
};
template <>
struct ParamTraits<CatalogOutput> {
  static constexpr ParamType shape = ParamType::CatalogOutput;
  static std::string type_name() { return "catalog uri"; }
  static CatalogOutput parse(const ParamValue& v, const ValueContext&) { return {v.as_string()}; }
};

// Anything Crs::from_user accepts (EPSG:n, a PROJ string, WKT), known to PROJ.
template <>
struct ParamTraits<Crs> {
  static constexpr ParamType shape = ParamType::Crs;
  static std::string type_name() { return "crs"; }
  static Crs parse(const ParamValue& v, const ValueContext& c);
};

// A GeoTrellis cell type name ("int16", "float32ud-9999.0", "uint8raw", ...).
template <>
struct ParamTraits<CellType> {
  static constexpr ParamType shape = ParamType::CellTypeName;
  static std::string type_name() { return "cell type"; }
  static CellType parse(const ParamValue& v, const ValueContext& c);
};

}  // namespace trellis::job
