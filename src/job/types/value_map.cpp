#include "job/types/value_map.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/text.hpp"
#include "job/yaml_convert.hpp"

namespace trellis::job {

ValueMap ParamTraits<ValueMap>::parse(const ParamValue& v, const ValueContext& c) {
  if (!v.is_map() || v.as_map().empty())
    c.fail(v.mark, "a value map is a map of breaks to values ({0: 1, 10: 2}), got " + v.to_string());
  std::map<double, ValueMap::Entry> by_key;
  for (const auto& [key, value] : v.as_map()) {
    // The breaks of the key: one number, or a list "1, 2, 3" / "[1, 2, 3]".
    std::string list(trim(key));
    if (list.size() >= 2 && list.front() == '[' && list.back() == ']') list = list.substr(1, list.size() - 2);
    std::vector<double> breaks;
    std::size_t start = 0;
    while (start <= list.size()) {
      const std::size_t comma = std::min(list.find(',', start), list.size());
      const std::string item(trim(std::string_view(list).substr(start, comma - start)));
      const auto d = parse_double(item, true);
      if (!d || std::isnan(*d))
        c.fail(value.mark, "the break '" + item + "' (of the key '" + key + "') is not a number");
      breaks.push_back(*d);
      start = comma + 1;
    }
    ValueMap::Entry e;
    // NoData: `nodata`, or NaN (GeoPySpark's float('nan')).
    if (value.is_number()) {
      if (!std::isnan(value.as_double())) e.value = value.as_double();
    } else if (!(value.is_string() &&
                 (lower(value.as_string()) == "nodata" || lower(value.as_string()) == "nan"))) {
      c.fail(value.mark, "the value of '" + key + "' must be a number or nodata, got " + value.to_string());
    }
    for (double b : breaks) {
      e.key = b;
      if (!by_key.emplace(b, e).second)
        c.fail(value.mark, "the break " + ParamValue{b, {}}.to_string() + " is given twice");
    }
  }
  ValueMap out;
  for (const auto& [k, e] : by_key) out.entries.push_back(e);
  return out;
}

}  // namespace trellis::job
