#pragma once
// Names of enumerations as users write them (job parameters, site settings, docs). An enumeration E
// takes part by providing, in its own namespace, a function found by argument-dependent lookup:
//   std::span<const EnumName<E>> enum_names(E);   // canonical lower-case names, in display order
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace trellis {

template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

template <class E>
concept NamedEnum = std::is_enum_v<E> && requires(E e) {
  { enum_names(e) } -> std::convertible_to<std::span<const EnumName<E>>>;
};

// The canonical name of a value (std::logic_error for a value without one).
template <NamedEnum E>
std::string enum_name(E value) {
  for (const auto& n : enum_names(E{}))
    if (n.value == value) return std::string(n.name);
  throw std::logic_error("enum value without a name");
}

// The value named `name` (canonical spelling), if any.
template <NamedEnum E>
std::optional<E> enum_from_name(std::string_view name) {
  for (const auto& n : enum_names(E{}))
    if (n.name == name) return n.value;
  return std::nullopt;
}

}  // namespace trellis
