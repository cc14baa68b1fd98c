#pragma once
// A value map: breaks to values (reclassify), as a map `{0: 1, 10: 2, 100: 3}`. A key may list several
// breaks that take the same value (`"1, 2, 3": 10` or `"[1, 2, 3]": 10`), and values may be NoData
// (`nodata`). Breaks are sorted and unique; what a cell between breaks gets is the op's boundary
// strategy.
#include <optional>
#include <vector>

#include "job/param_traits.hpp"

namespace trellis::job {

struct ValueMap {
  struct Entry {
    double key = 0;
    std::optional<double> value;  // nullopt: NoData
    bool operator==(const Entry&) const = default;
  };
  std::vector<Entry> entries;  // by key, unique
};

template <>
struct ParamTraits<ValueMap> {
  static constexpr ParamType shape = ParamType::Any;
  static std::string type_name() { return "value map"; }
  static ValueMap parse(const ParamValue& v, const ValueContext& c);
};

}  // namespace trellis::job
