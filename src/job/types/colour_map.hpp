#pragma once
// A colour map: breaks to colours, as GeoTrellis' ColorMap. Either the breaks alone
// (`{0: "#000000", 100: "#ffffff"}`) or with options:
//   {breaks: {0: "#440154", 0.5: "#21918c", 1: "#fde725"},
//    boundary: less_than_or_equal_to,   # greater_than, greater_than_or_equal_to, less_than, exact
//    no_data_color: "#00000000", fallback: "#00000000", strict: false}
// Colours are "#RRGGBB", "#RRGGBBAA" or 0xRRGGBBAA (GeoTrellis' RGBA integers).
#include <cstdint>
#include <span>
#include <vector>

#include "core/enum_names.hpp"
#include "job/param_traits.hpp"

namespace trellis::job {

struct Rgba {
  std::uint8_t r = 0, g = 0, b = 0, a = 0;
  bool operator==(const Rgba&) const = default;
};

enum class ClassBoundary { LessThan, LessThanOrEqualTo, Exact, GreaterThanOrEqualTo, GreaterThan };
inline constexpr EnumName<ClassBoundary> kClassBoundaries[] = {
    {ClassBoundary::LessThan, "less_than"},
    {ClassBoundary::LessThanOrEqualTo, "less_than_or_equal_to"},
    {ClassBoundary::Exact, "exact"},
    {ClassBoundary::GreaterThanOrEqualTo, "greater_than_or_equal_to"},
    {ClassBoundary::GreaterThan, "greater_than"}};
inline std::span<const EnumName<ClassBoundary>> enum_names(ClassBoundary) {
  return kClassBoundaries;
}

struct ColourMap {
  struct Break {
    double value = 0;
    Rgba colour;
    bool operator==(const Break&) const = default;
  };
  std::vector<Break> breaks;  // by value, unique
  ClassBoundary boundary = ClassBoundary::LessThanOrEqualTo;
  Rgba no_data;         // transparent by default
  Rgba fallback;        // transparent by default
  bool strict = false;  // a value matching no class is an error instead of the fallback
};

template <>
struct ParamTraits<ColourMap> {
  static constexpr ParamType shape = ParamType::Any;
  static std::string type_name() { return "colour map"; }
  static ColourMap parse(const ParamValue& v, const ValueContext& c);
};

// "#RRGGBB", "#RRGGBBAA" or an integer 0xRRGGBBAA; nullopt otherwise.
std::optional<Rgba> parse_colour(const ParamValue& v);

// One colour as a parameter (`no_data_color: "#00000000"`).
template <>
struct ParamTraits<Rgba> {
  static constexpr ParamType shape = ParamType::Any;
  static std::string type_name() { return "colour"; }
  static Rgba parse(const ParamValue& v, const ValueContext& c) {
    const auto col = parse_colour(v);
    if (!col) c.fail(v.mark, "a colour is \"#RRGGBB\", \"#RRGGBBAA\" or 0xRRGGBBAA, got " + v.to_string());
    return *col;
  }
};

}  // namespace trellis::job
