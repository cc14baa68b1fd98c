#pragma once
// Any YAML value as JSON (`value: {source: landsat, bands: [4, 3]}`): maps become objects, lists arrays,
// scalars JSON scalars as YAML typed them (quoted strings stay strings), null null.
#include <nlohmann/json.hpp>

#include "job/param_traits.hpp"

namespace trellis::job {

struct JsonValue {
  nlohmann::json value;
};

inline nlohmann::json to_json(const ParamValue& v) {
  if (v.is_null()) return nullptr;
  if (v.is_bool()) return v.as_bool();
  if (v.is_int()) return v.as_int();
  if (v.is_number()) return v.as_double();
  if (v.is_string()) return v.as_string();
  if (v.is_list()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& e : v.as_list()) a.push_back(to_json(e));
    return a;
  }
  nlohmann::json o = nlohmann::json::object();
  for (const auto& [k, e] : v.as_map()) o[k] = to_json(e);
  return o;
}

template <>
struct ParamTraits<JsonValue> {
  static constexpr ParamType shape = ParamType::Any;
  static std::string type_name() { return "any YAML value"; }
  static JsonValue parse(const ParamValue& v, const ValueContext&) { return {to_json(v)}; }
};

}  // namespace trellis::job
