#pragma once
// A list of band numbers, from 0 (`bands: [2, 1, 0]`), not empty. Whether a band exists is known only
// from the layer: the op checks that.
#include <vector>

#include "job/param_traits.hpp"

namespace trellis::job {

struct BandList {
  std::vector<int> bands;
};

template <>
struct ParamTraits<BandList> {
  static constexpr ParamType shape = ParamType::Any;
  static std::string type_name() { return "band list"; }
  static BandList parse(const ParamValue& v, const ValueContext& c) {
    if (!v.is_list() || v.as_list().empty()) c.fail(v.mark, "bands must be a non-empty list of band numbers");
    BandList out;
    for (const auto& b : v.as_list()) {
      if (!b.is_int() || b.as_int() < 0 || b.as_int() > 65535)
        c.fail(b.mark, "band numbers are integers from 0, got " + b.to_string());
      out.bands.push_back(static_cast<int>(b.as_int()));
    }
    return out;
  }
};

}  // namespace trellis::job
