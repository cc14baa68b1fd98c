// Validation against the file system and PROJ (environment_checks.hpp).
#include "job/environment_checks.hpp"

#include <glob.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <regex>

#include "core/cell_type.hpp"
#include "core/crs.hpp"

namespace trellis::job {

namespace fs = std::filesystem;

namespace {

bool has_glob_chars(const std::string& s) {
  return s.find_first_of("*?[") != std::string::npos;
}

void check_input_path(const Step& s, const std::string& key, const std::string& path, const Mark& m,
                      const std::vector<std::string>& outputs) {
  const Params at(s.id, s.spec->name, m, {});
  if (is_virtual_path(path)) return;
  // Written by a step of this job (e.g. a catalog written, then read back).
  for (const auto& o : outputs) {
    if (path == o || path.rfind(o + "/", 0) == 0) return;
    if (o.find('{') != std::string::npos) {
      std::string re;
      for (std::size_t i = 0; i < o.size(); ++i) {
        const char c = o[i];
        if (c == '{') {
          const auto close = o.find('}', i);
          if (close != std::string::npos) {
            re += "[^/]*";
            i = close;
            continue;
          }
        }
        if (std::strchr(R"(\^$.|?*+()[]{})", c)) re += '\\';
        re += c;
      }
      if (std::regex_match(path, std::regex(re + "(/.*)?"))) return;
    }
  }
  const std::string prefix = "parameter '" + key + "': ";
  if (has_glob_chars(path)) {
    glob_t g{};
    const int rc = ::glob(path.c_str(), 0, nullptr, &g);
    const std::size_t count = rc == 0 ? g.gl_pathc : 0;
    globfree(&g);
    if (count == 0) throw at.step_error(prefix + "no file matches '" + path + "'");
    return;
  }
  std::error_code ec;
  if (!fs::exists(path, ec)) throw at.step_error(prefix + "input '" + path + "' does not exist");
}

void check_output_path(const Step& s, const std::string& key, const std::string& path, const Mark& m) {
  if (is_virtual_path(path)) return;
  const Params at(s.id, s.spec->name, m, {});
  const std::string prefix = "parameter '" + key + "': cannot write '" + path + "': ";
  std::error_code ec;
  fs::path p = fs::path(path);
  if (fs::is_directory(p, ec) && ::access(p.c_str(), W_OK) != 0) {
    // An existing folder (e.g. a catalog) must be writable itself.
    throw at.step_error(prefix + "folder '" + p.string() + "' is not writable");
  }
  for (fs::path a = p.parent_path(); !a.empty(); a = a.parent_path()) {
    const auto st = fs::status(a, ec);
    if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
      throw at.step_error(prefix + "cannot check '" + a.string() + "': " + ec.message());
    if (fs::exists(st)) {
      if (!fs::is_directory(st)) throw at.step_error(prefix + "'" + a.string() + "' is a file, not a folder");
      if (::access(a.c_str(), W_OK | X_OK) != 0)
        throw at.step_error(prefix + "folder '" + a.string() + "' is not writable");
      return;
    }
    if (a == a.root_path()) break;
  }
}

}  // namespace

void check_environment(const Step& s, const std::vector<std::string>& outputs,
                       const std::map<std::string, std::string>& typed) {
  for (const auto& p : s.spec->params) {
    if (!s.params.has(p.name)) continue;
    const ParamValue& v = s.params.raw(p.name);
    auto tn = typed.find(p.name);
    const std::string key = tn == typed.end() ? p.name : tn->second;
    switch (p.type) {
      case ParamType::InputPath:
        if (v.is_string()) {
          check_input_path(s, key, v.as_string(), v.mark, outputs);
        } else if (v.is_list()) {
          for (const auto& e : v.as_list())
            if (e.is_string()) check_input_path(s, key, e.as_string(), e.mark, outputs);
        }
        break;
      case ParamType::OutputPath:
        if (v.is_string()) check_output_path(s, key, v.as_string(), v.mark);
        break;
      case ParamType::Crs:
        if (s.spec->schema) break;  // the op's schema parses it
        if (v.is_string()) {
          try {
            (void)Crs::from_user(v.as_string());
          } catch (const JobError& e) {
            throw s.params.error(p.name, "parameter '" + key + "': " + e.what());
          }
        }
        break;
      case ParamType::CellTypeName:
        if (s.spec->schema) break;  // the op's schema parses it
        if (v.is_string()) {
          try {
            (void)CellType::parse(v.as_string());
          } catch (const JobError& e) {
            throw s.params.error(p.name, "parameter '" + key + "': " + e.what());
          }
        }
        break;
      default:
        break;
    }
  }
}

}  // namespace trellis::job
