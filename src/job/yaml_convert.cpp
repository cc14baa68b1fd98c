// YAML to ParamValue (yaml_convert.hpp), and the spelling of choices (normalize_choice, match_choice).
#include "job/yaml_convert.hpp"

#include <sys/stat.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include "core/text.hpp"
#include "job/did_you_mean.hpp"
#include "job/job.hpp"

namespace trellis::job {

namespace {

bool is_upper(char c) {
  return std::isupper(static_cast<unsigned char>(c)) != 0;
}
bool is_lower(char c) {
  return std::islower(static_cast<unsigned char>(c)) != 0;
}
bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}
std::string without_underscores(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
  return s;
}

std::string format_bound(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  std::ostringstream o;
  o << v;
  return o.str();
}

// yaml-cpp (like YAML) does not allow '{' and '}' in plain scalars inside flow collections, yet
// `{uri: ${DATA}/x.gpkg}` must work (job-format.md). Before parsing, the braces of each ${...} reference
// (closed on its line) are replaced by two control characters of the same length, so marks are
// unchanged; text() puts them back.
constexpr char kOpenBrace = '\x0e', kCloseBrace = '\x0f';

std::string protect_var_braces(std::string s) {
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (!(s[i] == '$' && s[i + 1] == '{')) continue;
    std::vector<std::size_t> braces{i + 1};
    std::size_t j = i + 2;
    int depth = 1;
    while (j < s.size() && s[j] != '\n') {
      if (s[j] == '$' && j + 1 < s.size() && s[j + 1] == '{') {
        ++depth;
        braces.push_back(j + 1);
        j += 2;
        continue;
      }
      if (s[j] == '}') {
        braces.push_back(j);
        if (--depth == 0) break;
      }
      ++j;
    }
    if (depth != 0) continue;
    for (auto b : braces) s[b] = s[b] == '{' ? kOpenBrace : kCloseBrace;
    i = j;
  }
  return s;
}

std::string restore_braces(std::string s) {
  for (auto& c : s) {
    if (c == kOpenBrace) c = '{';
    if (c == kCloseBrace) c = '}';
  }
  return s;
}

bool quoted(const YAML::Node& n) {
  return n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str";
}

}  // namespace

std::string normalize_choice(std::string_view text) {
  const std::string_view s = trim(text);
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (is_upper(c)) {
      const bool after_lower = i > 0 && (is_lower(s[i - 1]) || is_digit(s[i - 1]));
      const bool acronym_end = i > 0 && is_upper(s[i - 1]) && i + 1 < s.size() && is_lower(s[i + 1]);
      if ((after_lower || acronym_end) && !out.empty() && out.back() != '_') out += '_';
      out += to_lower(c);
    } else if (c == '-' || c == ' ') {
      out += '_';
    } else {
      out += c;
    }
  }
  return out;
}

std::string match_choice(std::string_view text, const std::vector<std::string>& choices) {
  const std::string n = normalize_choice(text);
  for (const auto& c : choices)
    if (normalize_choice(c) == n) return c;
  const std::string bare = without_underscores(n);
  for (const auto& c : choices)
    if (without_underscores(normalize_choice(c)) == bare) return c;
  return {};
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  std::int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// YAML-style decimal numbers, and .inf/.nan; with `words` also inf, infinity and nan.
std::optional<double> parse_double(std::string_view text, bool words) {
  const std::string s(trim(text));
  static const std::regex number(R"([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)");
  static const std::regex yaml_special(R"([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))");
  if (std::regex_match(s, number)) return std::strtod(s.c_str(), nullptr);
  std::string l = lower(s);
  const bool neg = !l.empty() && l[0] == '-';
  if (!l.empty() && (l[0] == '-' || l[0] == '+')) l.erase(0, 1);
  if (std::regex_match(s, yaml_special) || words) {
    if (l == ".inf" || (words && (l == "inf" || l == "infinity"))) return neg ? -HUGE_VAL : HUGE_VAL;
    if (l == ".nan" || (words && l == "nan")) return std::nan("");
  }
  return std::nullopt;
}

std::optional<bool> parse_bool(std::string_view text, bool yes_no) {
  const std::string l = lower(trim(text));
  if (l == "true" || (yes_no && l == "yes")) return true;
  if (l == "false" || (yes_no && l == "no")) return false;
  return std::nullopt;
}

std::string read_job_text(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw JobError(path + ": cannot read the " + what + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw JobError(path + ": is a folder, not a " + what);
  if (!S_ISREG(st.st_mode))
    throw JobError(path + ": is not a regular file (a pipe or a device): not a " + what);
  if (static_cast<std::uint64_t>(st.st_size) > kMaxJobFileBytes)
    throw JobError(path + ": the " + what + " is " + std::to_string(st.st_size >> 20) + " MiB; at most " +
                   std::to_string(kMaxJobFileBytes >> 20) + " MiB are read");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw JobError(path + ": cannot read the " + what + ": " + std::strerror(errno));
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad() || static_cast<std::size_t>(in.gcount()) != text.size())
    throw JobError(path + ": cannot read the " + what);
  return text;
}

namespace {

// Finds where the first non-empty document after the first one starts (its first node), reading events
// only: aliases are not expanded. yaml-cpp's LoadAll() can loop forever on malformed text (a stray ','),
// pushing empty documents; this reads at most kMaxDocuments of them.
class LaterDocument : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> first_node;
  int documents = 0;

  void OnDocumentStart(const YAML::Mark&) override { ++documents; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { note(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override {
    note(m);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    note(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    note(m);
  }
  void OnMapEnd() override {}

 private:
  void note(const YAML::Mark& m) {
    if (documents > 1 && !first_node) first_node = m;
  }
};

constexpr int kMaxDocuments = 1000;

}  // namespace

YAML::Node parse_yaml(const std::string& text, const std::string& file) {
  auto at = [&](const YAML::Mark& m) {
    return Mark{file, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0};
  };
  try {
    const std::string protected_text = protect_var_braces(text);
    YAML::Node first = YAML::Load(protected_text);
    // Every document is looked at: a second one would otherwise be ignored without a word.
    std::istringstream in(protected_text);
    YAML::Parser parser(in);
    LaterDocument later;
    while (!later.first_node && later.documents < kMaxDocuments && parser.HandleNextDocument(later)) {
    }
    if (later.first_node)
      throw JobError(
          at(*later.first_node).str() +
          ": a second YAML document (after '---'): a file holds one job; put the steps in one list, or "
          "the jobs in files of their own");
    return first;
  } catch (const YAML::Exception& e) {
    throw JobError(at(e.mark).str() + ": " + e.msg);
  }
}

std::string yaml_text(const YAML::Node& n) {
  return restore_braces(n.Scalar());
}

std::string node_kind(const YAML::Node& n) {
  if (n.IsSequence()) return n.size() == 0 ? "an empty list" : "a list";
  if (n.IsMap()) return "a map";
  if (n.IsNull()) return "nothing";
  const std::string t = yaml_text(n);
  return "'" + (t.size() > 60 ? t.substr(0, 57) + "..." : t) + "'";
}

Mark YamlConverter::mark_of(const YAML::Node& n) const {
  const YAML::Mark m = n.Mark();
  return Mark{file_, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0};
}

void YamlConverter::fail(const Mark& m, const std::string& message) const {
  const std::string where = m.str();
  throw JobError(where.empty() ? one_line(message) : where + ": " + one_line(message));
}

std::string YamlConverter::scalar(const YAML::Node& n, const Mark& m, const std::string& prefix) const {
  try {
    return substitute_vars(yaml_text(n), vars_, Mark{});
  } catch (const JobError& e) {
    fail(m, prefix + e.what());
  }
}

std::vector<std::pair<YAML::Node, YAML::Node>> YamlConverter::entries(const YAML::Node& map,
                                                                      const std::string& prefix) const {
  std::vector<std::pair<YAML::Node, YAML::Node>> out;
  std::map<std::string, Mark> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node k = it->first;
    if (!k.IsScalar()) fail(mark_of(k), prefix + "keys must be plain names, got " + node_kind(k));
    const std::string key = yaml_text(k);
    if (auto s = seen.find(key); s != seen.end())
      fail(mark_of(k), prefix + "duplicate key '" + key + "' (first given at " + s->second.str() + ")");
    seen[key] = mark_of(k);
    out.emplace_back(k, it->second);
  }
  return out;
}

std::string YamlConverter::must_be(const std::string& key, const std::string& what) const {
  return (voice_ == Voice::Parameter ? "parameter '" + key + "' must be " : key + ": must be ") + what;
}

void YamlConverter::count_node(const Mark& m) const {
  if (++nodes_ > kMaxYamlNodes)
    fail(m, "the values expand to more than " + std::to_string(kMaxYamlNodes) +
                " YAML nodes (aliases repeated in aliases?): refused");
}

ParamValue YamlConverter::any_value(const YAML::Node& n, const Mark& m, const std::string& prefix) const {
  count_node(m);
  ParamValue v;
  v.mark = m;
  if (n.IsNull()) return v;
  if (n.IsScalar()) {
    std::string s = scalar(n, m, prefix);
    if (quoted(n)) {
      v.v = std::move(s);
      v.quoted = true;
    } else if (auto i = parse_int(s)) {
      v.v = *i;
    } else if (auto d = parse_double(s, false)) {
      v.v = *d;
    } else if (auto b = parse_bool(s, false)) {
      v.v = *b;
    } else {
      v.v = std::move(s);
    }
    return v;
  }
  if (n.IsSequence()) {
    ParamList l;
    for (const auto& e : n) l.push_back(any_value(e, e.IsNull() ? m : mark_of(e), prefix));
    v.v = std::move(l);
    return v;
  }
  ParamMap map;
  for (const auto& [k, val] : entries(n, prefix))
    map[yaml_text(k)] = any_value(val, value_mark(k, val), prefix);
  v.v = std::move(map);
  return v;
}

std::string YamlConverter::check_choice(const ParamSpec& spec, const std::string& key,
                                        const std::string& text, const Mark& m,
                                        const std::string& prefix) const {
  if (spec.choices.empty()) return text;
  std::string c = match_choice(text, spec.choices);
  if (!c.empty()) return c;
  std::string hint = did_you_mean_suffix(normalize_choice(text), spec.choices);
  const bool two = spec.choices.size() == 2;
  const std::string list = two ? spec.choices[0] + " or " + spec.choices[1] : join(spec.choices, ", ");
  if (voice_ == Voice::Setting)
    fail(m,
         prefix + key + ": unknown " + key + " '" + text + "'" + (hint.empty() ? " (" + list + ")" : hint));
  fail(m, prefix + must_be(key, two ? list : "one of " + list) + "; got '" + text + "'" + hint);
}

ParamValue YamlConverter::convert(const ParamSpec& spec, const std::string& key, const YAML::Node& n,
                                  const Mark& m, const std::string& step_prefix) const {
  const std::string prefix =
      step_prefix + (voice_ == Voice::Parameter ? "parameter '" + key + "': " : key + ": ");
  ParamValue v;
  v.mark = m;
  auto step_fail = [&](const Mark& at, const std::string& why) { fail(at, step_prefix + why); };
  auto need_scalar = [&](const char* what) {
    if (!n.IsScalar()) step_fail(m, must_be(key, what) + ", got " + node_kind(n));
  };
  switch (spec.type) {
    case ParamType::Any:
      return any_value(n, m, prefix);
    case ParamType::Bool: {
      need_scalar("true or false");
      const std::string s = scalar(n, m, prefix);
      auto b = parse_bool(s, true);
      if (!b) step_fail(m, must_be(key, "true or false") + ", got '" + s + "'");
      v.v = *b;
      return v;
    }
    case ParamType::Int:
    case ParamType::Double: {
      const bool is_int = spec.type == ParamType::Int;
      const char* what = is_int ? "an integer" : "a number";
      need_scalar(what);
      const std::string s = scalar(n, m, prefix);
      double d = 0;
      if (is_int) {
        auto i = parse_int(s);
        if (!i) step_fail(m, must_be(key, "an integer") + ", got '" + s + "'");
        v.v = *i;
        d = static_cast<double>(*i);
      } else {
        auto x = parse_double(s, true);
        if (!x) step_fail(m, must_be(key, "a number") + ", got '" + s + "'");
        v.v = *x;
        d = *x;
      }
      const bool low = spec.min && !(d >= *spec.min);
      const bool high = spec.max && !(d <= *spec.max);
      if (low || high) {
        std::string range;
        if (spec.min && spec.max)
          range = "between " + format_bound(*spec.min) + " and " + format_bound(*spec.max);
        else if (spec.min)
          range = "at least " + format_bound(*spec.min);
        else
          range = "at most " + format_bound(*spec.max);
        step_fail(m, must_be(key, range) + ", got " + s);
      }
      return v;
    }
    case ParamType::String:
    case ParamType::Crs:
    case ParamType::CellTypeName:
    case ParamType::OutputPath:
    case ParamType::OutputFolder:
    case ParamType::CatalogInput:
    case ParamType::CatalogOutput: {
      const bool path = spec.type == ParamType::OutputPath || spec.type == ParamType::OutputFolder ||
                        spec.type == ParamType::CatalogInput || spec.type == ParamType::CatalogOutput;
      need_scalar(path ? "a path" : "a string");
      std::string s = scalar(n, m, prefix);
      if (spec.type == ParamType::String) s = check_choice(spec, key, s, m, step_prefix);
      if (path) {
        if (trim(s).empty())
          step_fail(m, (voice_ == Voice::Parameter ? "parameter '" + key + "'" : key) + " is an empty path");
        s = spec.type == ParamType::OutputPath || spec.type == ParamType::OutputFolder
                ? resolve_job_path(dir_, s)
                : resolve_catalog_uri(dir_, s);
      }
      v.v = std::move(s);
      v.quoted = quoted(n);
      return v;
    }
    case ParamType::StringList:
    case ParamType::InputPath: {
      const bool path = spec.type == ParamType::InputPath;
      const std::string what = path ? "a path or a list of paths" : "a string or a list of strings";
      auto one = [&](const YAML::Node& e, const Mark& em) {
        count_node(em);
        if (!e.IsScalar()) step_fail(em, must_be(key, what) + ", got " + node_kind(e) + " in it");
        ParamValue x;
        x.mark = em;
        std::string s = scalar(e, em, prefix);
        if (path) {
          if (trim(s).empty())
            step_fail(em,
                      (voice_ == Voice::Parameter ? "parameter '" + key + "'" : key) + " has an empty path");
          s = resolve_job_path(dir_, s);
        } else {
          s = check_choice(spec, key, s, em, step_prefix);
        }
        x.v = std::move(s);
        return x;
      };
      if (n.IsScalar()) {
        ParamValue x = one(n, m);
        if (path) return x;
        v.v = ParamList{std::move(x)};
        return v;
      }
      if (!n.IsSequence()) step_fail(m, must_be(key, what) + ", got " + node_kind(n));
      if (path && n.size() == 0)
        step_fail(m, (voice_ == Voice::Parameter ? "parameter '" + key + "'" : key) + " is an empty list");
      ParamList l;
      for (const auto& e : n) l.push_back(one(e, e.IsNull() ? m : mark_of(e)));
      v.v = std::move(l);
      return v;
    }
  }
  return v;
}

}  // namespace trellis::job
