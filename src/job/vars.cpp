// ${VAR} substitution and --var arguments (job.hpp).
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>

#include "job/job.hpp"

namespace trellis::job {

namespace {

bool is_var_name(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == '_' || std::isalnum(static_cast<unsigned char>(c)); });
}

[[noreturn]] void fail(const Mark& m, const std::string& message) {
  const std::string where = m.str();
  throw JobError(where.empty() ? message : where + ": " + message);
}

}  // namespace

std::string substitute_vars(const std::string& text, const std::map<std::string, std::string>& vars,
                            const Mark& mark) {
  std::string out;
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    if (text[i] == '$' && i + 2 < n && text[i + 1] == '$' && text[i + 2] == '{') {
      out += "${";
      i += 3;
      continue;
    }
    if (!(text[i] == '$' && i + 1 < n && text[i + 1] == '{')) {
      out += text[i++];
      continue;
    }
    // Find the matching '}' (defaults may contain references themselves).
    std::size_t j = i + 2;
    int depth = 1;
    while (j < n) {
      if (text[j] == '$' && j + 1 < n && text[j + 1] == '{') {
        ++depth;
        j += 2;
        continue;
      }
      if (text[j] == '}' && --depth == 0) break;
      ++j;
    }
    if (j >= n) fail(mark, "unterminated '${' in '" + text + "'");
    const std::string inner = text.substr(i + 2, j - i - 2);
    std::size_t k = 0;
    while (k < inner.size() && (inner[k] == '_' || std::isalnum(static_cast<unsigned char>(inner[k])))) ++k;
    const std::string name = inner.substr(0, k);
    const std::string rest = inner.substr(k);
    const bool colon_dash = rest.rfind(":-", 0) == 0;
    const bool dash = !colon_dash && rest.rfind("-", 0) == 0;
    if (!is_var_name(name) || (!rest.empty() && !colon_dash && !dash))
      fail(mark, "malformed variable reference '${" + inner + "}' (use ${NAME} or ${NAME:-default})");
    std::optional<std::string> value;
    if (auto it = vars.find(name); it != vars.end()) {
      value = it->second;
    } else if (const char* env = std::getenv(name.c_str())) {
      value = std::string(env);
    }
    if (colon_dash && (!value || value->empty())) {
      value = substitute_vars(rest.substr(2), vars, mark);
    } else if (dash && !value) {
      value = substitute_vars(rest.substr(1), vars, mark);
    }
    if (!value)
      fail(mark,
           "undefined variable '" + name + "' (set it with --var " + name + "=... or in the environment)");
    out += *value;
    i = j + 1;
  }
  return out;
}

std::pair<std::string, std::string> parse_var_assignment(const std::string& key_equals_value) {
  const auto eq = key_equals_value.find('=');
  if (eq == std::string::npos) throw JobError("--var '" + key_equals_value + "': expected KEY=VALUE");
  std::string key = key_equals_value.substr(0, eq);
  if (!is_var_name(key))
    throw JobError("--var '" + key_equals_value + "': '" + key +
                   "' is not a variable name (letters, digits and '_', not starting with a digit)");
  return {key, key_equals_value.substr(eq + 1)};
}

}  // namespace trellis::job
