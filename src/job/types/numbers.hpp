#pragma once
// A list of numbers (`breaks: [0, 0.5, 1]`), not empty, every one finite. Whether they must be sorted
// is the op's rule.
#include <cmath>
#include <vector>

#include "job/param_traits.hpp"

namespace trellis::job {

struct NumberList {
  std::vector<double> values;
};

template <>
struct ParamTraits<NumberList> {
  static constexpr ParamType shape = ParamType::Any;
  static std::string type_name() { return "number list"; }
  static NumberList parse(const ParamValue& v, const ValueContext& c) {
    if (!v.is_list() || v.as_list().empty())
      c.fail(v.mark, "a non-empty list of numbers, got " + v.to_string());
    NumberList out;
    for (const auto& x : v.as_list()) {
      if (!x.is_number() || !std::isfinite(x.as_double()))
        c.fail(x.mark, "a finite number, got " + x.to_string());
      out.values.push_back(x.as_double());
    }
    return out;
  }
};

}  // namespace trellis::job
