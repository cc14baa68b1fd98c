#include "job/params.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "core/text.hpp"

namespace trellis::job {

namespace fs = std::filesystem;

std::string Mark::str() const {
  if (line <= 0) return file;
  std::string s = file;
  s += ':';
  s += std::to_string(line);
  if (col > 0) {
    s += ':';
    s += std::to_string(col);
  }
  return s;
}

namespace {

std::string format_double(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, r.ptr);
  // Keep doubles recognisable as such ("2.0", not "2").
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

void render(const ParamValue& p, std::string& out) {
  struct Visitor {
    std::string& out;
    void operator()(std::monostate) const { out += "null"; }
    void operator()(bool b) const { out += b ? "true" : "false"; }
    void operator()(std::int64_t i) const { out += std::to_string(i); }
    void operator()(double d) const { out += format_double(d); }
    void operator()(const std::string& s) const { out += s.empty() ? "\"\"" : s; }
    void operator()(const ParamList& l) const {
      out += '[';
      for (std::size_t i = 0; i < l.size(); ++i) {
        if (i) out += ", ";
        render(l[i], out);
      }
      out += ']';
    }
    void operator()(const ParamMap& m) const {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : m) {
        if (!first) out += ", ";
        first = false;
        out += k + ": ";
        render(v, out);
      }
      out += '}';
    }
  };
  std::visit(Visitor{out}, p.v);
}

}  // namespace

std::string ParamValue::to_string() const {
  std::string s;
  render(*this, s);
  return s;
}

const char* param_type_name(ParamType t) {
  switch (t) {
    case ParamType::Bool:
      return "bool";
    case ParamType::Int:
      return "int";
    case ParamType::Double:
      return "number";
    case ParamType::String:
      return "string";
    case ParamType::StringList:
      return "string list";
    case ParamType::InputPath:
      return "input path";
    case ParamType::OutputPath:
      return "output path";
    case ParamType::OutputFolder:
      return "output folder";
    case ParamType::CatalogInput:
    case ParamType::CatalogOutput:
      return "catalog uri";
    case ParamType::Crs:
      return "crs";
    case ParamType::CellTypeName:
      return "cell type";
    case ParamType::Any:
      return "any";
  }
  return "?";
}

std::string shown_type(const ParamSpec& p) {
  return p.type_name.empty() ? param_type_name(p.type) : p.type_name;
}

const ParamValue& Params::raw(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.is_null())
    throw std::out_of_range("internal error: step '" + step_id_ + "' (" + op_ + ") read parameter '" + name +
                            "', which is not set and has no default");
  return it->second;
}

std::vector<std::string> Params::get_strings(const std::string& name) const {
  std::vector<std::string> out;
  if (!has(name)) return out;
  const ParamValue& v = raw(name);
  if (v.is_list()) {
    for (const auto& e : v.as_list()) out.push_back(e.is_string() ? e.as_string() : e.to_string());
  } else {
    out.push_back(v.is_string() ? v.as_string() : v.to_string());
  }
  return out;
}

std::string Params::resolve_path(const std::string& path) const {
  return resolve_job_path(job_dir_, path);
}

namespace {
JobError located(const Mark& m, const std::string& step_id, const std::string& op,
                 const std::string& message) {
  std::string where = m.str();
  std::string msg = where.empty() ? std::string() : where + ": ";
  if (!step_id.empty()) {  // (a site setting has no step)
    msg += "step '" + step_id + "'";
    if (!op.empty()) msg += " (" + op + ")";
    msg += ": ";
  }
  msg += one_line(message);  // a library's multi-line message, a block scalar: one line
  JobError e(msg);
  e.set_located();
  return e;
}
}  // namespace

JobError Params::error(const std::string& name, const std::string& message) const {
  return located(mark(name), step_id_, op_, message);
}

JobError Params::error_within(const std::string& name, std::size_t offset, const std::string& message) const {
  return located(has(name) ? mark_within(raw(name), offset) : step_mark_, step_id_, op_, message);
}

Mark mark_within(const ParamValue& v, std::size_t offset) {
  Mark at = v.mark;
  if (!v.is_string()) return at;
  const std::string& text = v.as_string();
  const std::size_t off = std::min(offset, text.size());
  const std::size_t nl = text.rfind('\n', off == 0 ? 0 : off - 1);
  if (nl == std::string::npos || off == 0) {
    if (at.col > 0) at.col += static_cast<int>(off) + (v.quoted ? 1 : 0);
  } else {
    at.line +=
        static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(off), '\n'));
    at.col = static_cast<int>(off - nl);
  }
  return at;
}

JobError Params::step_error(const std::string& message) const {
  return located(step_mark_, step_id_, op_, message);
}

bool is_virtual_path(const std::string& path) {
  return path.rfind("/vsi", 0) == 0 || path.find("://") != std::string::npos;
}

std::string catalog_layer_key(const std::string& uri, const std::string& layer) {
  std::string root = uri.rfind("file://", 0) == 0 || uri.rfind("hdf5://", 0) == 0 ? uri.substr(7) : uri;
  if (!is_virtual_path(root)) {
    std::error_code ec;
    const fs::path c = fs::weakly_canonical(root, ec);
    root = ec ? fs::path(root).lexically_normal().string() : c.string();
  }
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return "catalog:" + root + "#" + layer;
}

std::string resolve_catalog_uri(const std::string& job_dir, const std::string& uri) {
  for (const char* scheme : {"file://", "hdf5://"})
    if (uri.rfind(scheme, 0) == 0) return scheme + resolve_job_path(job_dir, uri.substr(7));
  return resolve_job_path(job_dir, uri);
}

std::string resolve_job_path(const std::string& job_dir, const std::string& path) {
  if (path.empty() || is_virtual_path(path)) return path;
  fs::path p(path);
  if (path == "~" || path.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    if (home && *home) p = fs::path(home) / path.substr(path.size() > 1 ? 2 : 1);
  }
  if (p.is_relative()) p = fs::path(job_dir.empty() ? fs::current_path() : fs::path(job_dir)) / p;
  return p.lexically_normal().string();
}

}  // namespace trellis::job
