#include "core/text.hpp"

#include <cctype>

namespace trellis {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

char to_lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = to_lower(c);
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string one_line(std::string_view s) {
  s = trim(s);
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] == '\n' || s[i] == '\r' || s[i] == ' ' || s[i] == '\t') {
      std::size_t j = i;
      bool breaks = false;
      while (j < s.size() && (s[j] == '\n' || s[j] == '\r' || s[j] == ' ' || s[j] == '\t'))
        breaks = breaks || s[j] == '\n' || s[j] == '\r', ++j;
      if (breaks)
        out += ' ';
      else
        out.append(s.substr(i, j - i));
      i = j;
    } else {
      out += s[i++];
    }
  }
  return out;
}

}  // namespace trellis
