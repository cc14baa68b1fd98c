#include "job/types/colour_map.hpp"

#include <cmath>
#include <map>

#include "core/text.hpp"
#include "job/did_you_mean.hpp"
#include "job/job.hpp"
#include "job/yaml_convert.hpp"

namespace trellis::job {

namespace {

std::optional<std::uint32_t> hex(std::string_view s) {
  std::uint32_t v = 0;
  for (char ch : s) {
    const int d = std::isdigit(static_cast<unsigned char>(ch)) ? ch - '0'
                  : (ch >= 'a' && ch <= 'f')                   ? ch - 'a' + 10
                  : (ch >= 'A' && ch <= 'F')                   ? ch - 'A' + 10
                                                               : -1;
    if (d < 0) return std::nullopt;
    v = v * 16 + static_cast<std::uint32_t>(d);
  }
  return v;
}

Rgba from_rgba(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
          static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

Rgba colour_at(const ParamValue& v, const ValueContext& c, const std::string& what) {
  const auto col = parse_colour(v);
  if (!col)
    c.fail(v.mark,
           what + " must be a colour (\"#RRGGBB\", \"#RRGGBBAA\" or 0xRRGGBBAA), got " + v.to_string());
  return *col;
}

std::vector<ColourMap::Break> parse_breaks(const ParamValue& v, const ValueContext& c) {
  if (!v.is_map() || v.as_map().empty())
    c.fail(v.mark, "the breaks are a map of values to colours ({0: \"#000000\", 100: \"#ffffff\"}), got " +
                       v.to_string());
  std::map<double, Rgba> by_value;
  for (const auto& [key, colour] : v.as_map()) {
    const auto d = parse_double(key, true);
    if (!d || std::isnan(*d)) c.fail(colour.mark, "the break '" + key + "' is not a number");
    if (!by_value.emplace(*d, colour_at(colour, c, "the colour of " + key)).second)
      c.fail(colour.mark, "the break " + key + " is given twice");
  }
  std::vector<ColourMap::Break> out;
  for (const auto& [value, colour] : by_value) out.push_back({value, colour});
  return out;
}

}  // namespace

std::optional<Rgba> parse_colour(const ParamValue& v) {
  if (v.is_int()) {
    const std::int64_t i = v.as_int();
    if (i < 0 || i > 0xFFFFFFFFLL) return std::nullopt;
    return from_rgba(static_cast<std::uint32_t>(i));
  }
  if (!v.is_string()) return std::nullopt;
  const std::string s(trim(v.as_string()));
  std::string_view digits;
  if (s.size() > 1 && s[0] == '#')
    digits = std::string_view(s).substr(1);
  else if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
    digits = std::string_view(s).substr(2);
  else
    return std::nullopt;
  const auto h = hex(digits);
  if (!h) return std::nullopt;
  if (digits.size() == 6) return from_rgba((*h << 8) | 0xFF);
  if (digits.size() == 8) return from_rgba(*h);
  return std::nullopt;
}

ColourMap ParamTraits<ColourMap>::parse(const ParamValue& v, const ValueContext& c) {
  ColourMap m;
  if (!v.is_map()) c.fail(v.mark, "a colour map is a map of breaks to colours, or {breaks, boundary, ...}");
  const auto& entries = v.as_map();
  if (!entries.count("breaks")) {
    m.breaks = parse_breaks(v, c);
    return m;
  }
  static const std::vector<std::string> keys = {"breaks", "boundary", "no_data_color", "fallback", "strict"};
  for (const auto& [k, x] : entries) {
    if (k == "breaks") {
      m.breaks = parse_breaks(x, c);
    } else if (k == "boundary") {
      std::vector<std::string> names;
      for (const auto& n : enum_names(ClassBoundary{})) names.emplace_back(n.name);
      const std::string written = x.is_string() ? x.as_string() : x.to_string();
      const std::string canonical = match_choice(written, names);
      if (canonical.empty())
        c.fail(x.mark, "unknown boundary '" + written + "'" +
                           (did_you_mean_suffix(normalize_choice(written), names).empty()
                                ? " (" + join(names) + ")"
                                : did_you_mean_suffix(normalize_choice(written), names)));
      m.boundary = *enum_from_name<ClassBoundary>(canonical);
    } else if (k == "no_data_color") {
      m.no_data = colour_at(x, c, "no_data_color");
    } else if (k == "fallback") {
      m.fallback = colour_at(x, c, "fallback");
    } else if (k == "strict") {
      if (!x.is_bool()) c.fail(x.mark, "strict must be true or false, got " + x.to_string());
      m.strict = x.as_bool();
    } else {
      c.fail(x.mark, "unknown key '" + k + "'" +
                         (did_you_mean_suffix(k, keys).empty() ? " (" + join(keys) + ")"
                                                               : did_you_mean_suffix(k, keys)));
    }
  }
  return m;
}

}  // namespace trellis::job
