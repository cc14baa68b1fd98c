#pragma once
// Small text helpers (ASCII) shared by every module: parsing job values, names, messages.
#include <string>
#include <string_view>
#include <vector>

namespace trellis {

// Without leading and trailing ASCII white space.
std::string_view trim(std::string_view s);
// ASCII lower-case / upper-case copies.
char to_lower(char c);
std::string lower(std::string_view s);
std::string upper(std::string_view s);
// The strings joined with `sep` between them ("a, b, c").
std::string join(const std::vector<std::string>& parts, std::string_view sep = ", ");
// On one line: each run of white space that holds a line break becomes one space, and the ends are
// trimmed (a library's multi-line message inside trellis' one-line errors).
std::string one_line(std::string_view s);

}  // namespace trellis
