#pragma once
// An expression parameter (`expression: "(nir - red) / (nir + red)"`), parsed once at load time against
// the step's named inputs; an error points at the column inside the expression
// ("job.yaml:12:23: ...: unknown name 'nri' (did you mean 'nir'?)").
#include "core/expression.hpp"
#include "job/param_traits.hpp"

namespace trellis::job {

template <>
struct ParamTraits<Expression> {
  static constexpr ParamType shape = ParamType::String;
  static std::string type_name() { return "expression"; }
  static Expression parse(const ParamValue& v, const ValueContext& c);
};

}  // namespace trellis::job
