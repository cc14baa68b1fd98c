// Validation against the file system and PROJ (environment_checks.hpp).
#include "job/environment_checks.hpp"

#include <fnmatch.h>
#include <glob.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <regex>

#include "core/cell_type.hpp"
#include "core/crs.hpp"
#include "core/error.hpp"
#include "io/catalog/catalog.hpp"
#include "io/object_store.hpp"
#include "job/param_traits.hpp"

namespace trellis::job {

namespace fs = std::filesystem;

namespace {

bool has_glob_chars(const std::string& s) {
  return s.find_first_of("*?[") != std::string::npos;
}

// The path with the existing part of it resolved (symbolic links, ..), so that two spellings of one
// file compare equal.
std::string canonical(const std::string& path) {
  if (io::is_object_store_path(path)) return io::gdal_path(path);  // s3://b/k is /vsis3/b/k
  std::error_code ec;
  const fs::path c = fs::weakly_canonical(path, ec);
  return ec ? fs::path(path).lexically_normal().string() : c.string();
}

// An output pattern as a regex: {zoom} (write_geotiff's one placeholder) stands for a zoom level.
std::string pattern_text(const std::string& o) {
  static const std::string kZoom = "{zoom}";
  std::string re;
  for (std::size_t i = 0; i < o.size(); ++i) {
    if (o.compare(i, kZoom.size(), kZoom) == 0) {
      re += "[0-9]+";
      i += kZoom.size() - 1;
      continue;
    }
    if (std::strchr(R"(\^$.|?*+()[]{})", o[i])) re += '\\';
    re += o[i];
  }
  return re;
}

bool has_placeholder(const std::string& s) {
  return s.find("{zoom}") != std::string::npos;
}

// Whether output pattern `o` can name the file `p` (a literal path).
bool output_names(const std::string& o, const std::string& p) {
  return has_placeholder(o) ? std::regex_match(p, std::regex(pattern_text(o))) : o == p;
}

// Whether input `in` (a file, folder or glob) would read the file `out` names.
bool input_reads(const std::string& in, const std::string& out) {
  if (is_virtual_path(in) || is_virtual_path(out)) return in == out;
  const std::string literal = has_placeholder(out) ? std::string() : out;
  if (in.find_first_of("*?[") != std::string::npos) {
    if (literal.empty()) return false;
    return ::fnmatch(in.c_str(), literal.c_str(), FNM_PATHNAME) == 0;
  }
  std::error_code ec;
  if (fs::is_directory(in, ec)) {  // read_geotiff reads a folder's .tif/.tiff files
    const fs::path o(literal.empty() ? out : literal);
    const std::string ext = o.extension().string();
    return o.parent_path() == fs::path(in).lexically_normal() && (ext == ".tif" || ext == ".tiff");
  }
  return literal.empty() ? std::regex_match(in, std::regex(pattern_text(out))) : in == literal;
}

// Whether input `in` reads what output `out` writes: the file, a file its pattern names, or (a catalog)
// something inside the folder it writes.
bool reads_written(const std::string& in, const std::string& out) {
  return input_reads(in, out) || in.rfind(out + "/", 0) == 0 ||
         (has_placeholder(out) && std::regex_match(in, std::regex(pattern_text(out) + "/.*")));
}

void check_input_path(const Step& s, const std::string& key, const std::string& path, const Mark& m,
                      const std::vector<std::string>& outputs) {
  const Params at(s.id, s.spec->name, m, {});
  // Written by a step of this job (e.g. a catalog written, then read back).
  for (const auto& o : outputs)
    if (reads_written(path, o)) return;
  const std::string prefix = "parameter '" + key + "': ";
  if (io::is_object_store_path(path)) {  // an object, or a "folder" prefix ending in '/'
    const std::string p = io::gdal_path(path);
    if (p.ends_with("/")) {  // read_geotiff lists it; its bucket must answer
      if (!io::s3_bucket(p).empty())
        if (const std::string why = io::s3_bucket_problem(p); !why.empty()) throw at.step_error(prefix + why);
      return;
    }
    bool exists = false;
    try {
      exists = io::vsi_exists(p);  // throws when the store does not answer
    } catch (const IoError& e) {
      throw at.step_error(prefix + e.what());
    }
    if (!exists) throw at.step_error(prefix + "input '" + path + "' does not exist");
    return;
  }
  if (is_virtual_path(path)) return;
  std::error_code ec;
  if (has_glob_chars(path)) {
    glob_t g{};
    const int rc = ::glob(path.c_str(), 0, nullptr, &g);
    const std::size_t count = rc == 0 ? g.gl_pathc : 0;
    std::string odd;
    for (std::size_t i = 0; i < count && odd.empty(); ++i) {
      const auto st = fs::status(g.gl_pathv[i], ec);
      if (!fs::is_regular_file(st) && !fs::is_directory(st)) odd = g.gl_pathv[i];
    }
    globfree(&g);
    if (!odd.empty())
      throw at.step_error(prefix + "'" + odd + "' (matched by '" + path +
                          "') is not a regular file (a pipe, socket or device)");
    if (count == 0) throw at.step_error(prefix + "no file matches '" + path + "'");
    return;
  }
  const auto st = fs::status(path, ec);
  if (!fs::exists(st)) throw at.step_error(prefix + "input '" + path + "' does not exist");
  // A FIFO or a device would block or never end.
  if (!fs::is_regular_file(st) && !fs::is_directory(st))
    throw at.step_error(prefix + "input '" + path + "' is not a regular file (a pipe, socket or device)");
}

// Why files cannot be made in folder `dir`: a read-only file system, or a kernel's virtual one (/proc,
// /sys, cgroups), where root may pass access() yet creating a file fails; "" when they can.
std::string unwritable_filesystem(const fs::path& dir) {
  struct statvfs v {};
  if (::statvfs(dir.c_str(), &v) == 0 && (v.f_flag & ST_RDONLY)) return "a read-only file system";
  struct statfs f {};
  if (::statfs(dir.c_str(), &f) != 0) return "";
  switch (static_cast<unsigned long>(f.f_type)) {
    case PROC_SUPER_MAGIC:
      return "/proc, the kernel's process file system";
    case SYSFS_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case DEBUGFS_MAGIC:
    case SECURITYFS_MAGIC:
    case DEVPTS_SUPER_MAGIC:
      return "a virtual file system of the kernel";
    default:
      return "";
  }
}

void check_parent_writable(const Params& at, const std::string& prefix, const fs::path& p);

void check_output_path(const Step& s, const std::string& key, const std::string& path, const Mark& m) {
  const Params at(s.id, s.spec->name, m, {});
  const std::string prefix = "parameter '" + key + "': cannot write '" + path + "': ";
  if (!io::s3_bucket(path).empty()) {
    if (const std::string why = io::s3_bucket_problem(path); !why.empty()) throw at.step_error(prefix + why);
    return;
  }
  if (is_virtual_path(path)) return;
  std::error_code ec;
  fs::path p = fs::path(path);
  // Outputs are files, written to a temporary and renamed over the path: a folder, or a device or pipe
  // (renaming over /dev/null would replace the device), is never one.
  const auto own = fs::symlink_status(p, ec);
  if (fs::is_directory(own) || (!path.empty() && path.back() == '/'))
    throw at.step_error(prefix + "it is a folder; give a file name");
  if (fs::exists(own) && !fs::is_regular_file(own) && !fs::is_symlink(own))
    throw at.step_error(prefix + "it is not a regular file (a pipe, socket or device)");
  check_parent_writable(at, prefix, p);
}

// The nearest existing folder above `p` is a writable folder on a writable filesystem.
void check_parent_writable(const Params& at, const std::string& prefix, const fs::path& p) {
  std::error_code ec;
  for (fs::path a = p.parent_path(); !a.empty(); a = a.parent_path()) {
    const auto st = fs::status(a, ec);
    if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
      throw at.step_error(prefix + "cannot check '" + a.string() + "': " + ec.message());
    if (fs::exists(st)) {
      if (!fs::is_directory(st)) throw at.step_error(prefix + "'" + a.string() + "' is a file, not a folder");
      if (const std::string why = unwritable_filesystem(a); !why.empty())
        throw at.step_error(prefix + "folder '" + a.string() + "' is on " + why);
      if (::access(a.c_str(), W_OK | X_OK) != 0)
        throw at.step_error(prefix + "folder '" + a.string() + "' is not writable");
      return;
    }
    if (a == a.root_path()) break;
  }
}

// A folder an op fills with a tree of files: absent, empty, or a tree trellis wrote earlier (the op
// replaces it); never a file or someone else's folder. Its parent must be writable, as a file's.
void check_output_folder(const Step& s, const std::string& key, const std::string& path, const Mark& m) {
  const Params at(s.id, s.spec->name, m, {});
  const std::string prefix = "parameter '" + key + "': cannot write '" + path + "': ";
  std::error_code ec;
  const fs::path p(path);
  const auto own = fs::symlink_status(p, ec);
  if (fs::exists(own)) {
    if (!fs::is_directory(own)) throw at.step_error(prefix + "it exists and is not a folder");
    if (!fs::is_empty(p, ec) && !fs::exists(p / kTreeMarker, ec))
      throw at.step_error(prefix + "it is a folder of other files, not a tree trellis wrote (no " +
                          std::string(kTreeMarker) + "): it is not replaced");
  }
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  check_parent_writable(at, prefix, fs::path(trimmed));
}

// The layer a catalog parameter names with the step's `layer_name` (a plain string parameter).
std::string step_layer_name(const Step& s) {
  if (!s.params.has("layer_name")) return "";
  const ParamValue& v = s.params.raw("layer_name");
  return v.is_string() ? v.as_string() : "";
}

// A catalog URI: file:///abs or a path (a folder), s3://bucket/prefix, or hdf5://path (one file).
// Refuses other schemes.
io::catalog::CatalogUri catalog_place(const Params& at, const std::string& key, const std::string& uri) {
  try {
    return io::catalog::parse_catalog_uri(uri);
  } catch (const JobError& e) {
    throw at.step_error("parameter '" + key + "': " + e.what());
  }
}

// An S3 catalog's bucket must answer (the layers in it are the ops' to check).
void check_s3_catalog(const Params& at, const std::string& key, const std::string& uri) {
  if (const std::string why = io::s3_bucket_problem(uri); !why.empty())
    throw at.step_error("parameter '" + key + "': " + why);
}

void check_catalog_input(const Step& s, const std::string& key, const std::string& uri, const Mark& m,
                         const std::vector<std::string>& outputs) {
  const Params at(s.id, s.spec->name, m, {});
  const io::catalog::CatalogUri place = catalog_place(at, key, uri);
  for (const auto& o : outputs)
    if (o == catalog_layer_key(uri, step_layer_name(s))) return;  // written by an earlier step
  const bool hdf5 = place.scheme == io::catalog::CatalogUri::Scheme::Hdf5;
  if (place.scheme == io::catalog::CatalogUri::Scheme::S3) return check_s3_catalog(at, key, uri);
  std::error_code ec;
  if (hdf5 ? !fs::is_regular_file(place.path, ec) : !fs::is_directory(place.path, ec))
    throw at.step_error("parameter '" + key + "': catalog '" + place.path + "' does not exist (or is not a " +
                        (hdf5 ? "file" : "folder") + ")");
}

void check_catalog_output(const Step& s, const std::string& key, const std::string& uri, const Mark& m) {
  const Params at(s.id, s.spec->name, m, {});
  const io::catalog::CatalogUri place = catalog_place(at, key, uri);
  if (place.scheme == io::catalog::CatalogUri::Scheme::S3) return check_s3_catalog(at, key, uri);
  if (place.scheme == io::catalog::CatalogUri::Scheme::Hdf5)
    return check_output_path(s, key, place.path, m);  // one file
  const std::string& root = place.path;
  std::error_code ec;
  const auto st = fs::status(root, ec);
  if (fs::exists(st)) {
    if (!fs::is_directory(st))
      throw at.step_error("parameter '" + key + "': catalog '" + root + "' is not a folder");
    if (const std::string why = unwritable_filesystem(root); !why.empty())
      throw at.step_error("parameter '" + key + "': catalog '" + root + "' is on " + why);
    if (::access(root.c_str(), W_OK | X_OK) != 0)
      throw at.step_error("parameter '" + key + "': catalog '" + root + "' is not writable");
    return;
  }
  check_output_path(s, key, root, m);  // a new folder: its parents must allow it
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
      case ParamType::OutputFolder:
        if (v.is_string()) check_output_folder(s, key, v.as_string(), v.mark);
        break;
      case ParamType::CatalogInput:
        if (v.is_string()) check_catalog_input(s, key, v.as_string(), v.mark, outputs);
        break;
      case ParamType::CatalogOutput:
        if (v.is_string()) check_catalog_output(s, key, v.as_string(), v.mark);
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
            (void)CellType::parse_exact(v.as_string());
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

namespace {

// A path a step reads or writes.
struct PathUse {
  std::string path;      // absolute, normalised; may hold {zoom} (outputs) or glob characters (inputs)
  std::size_t step = 0;  // index in file order
  std::string key;       // the parameter as written
  Mark mark;
};

}  // namespace

namespace {

// A path as messages name it: 'file', or layer 'x' of catalog 'root' (catalog_layer_key).
std::string shown(const std::string& path) {
  if (path.rfind("catalog:", 0) != 0) return "'" + path + "'";
  const auto hash = path.rfind('#');
  return "layer '" + path.substr(hash + 1) + "' of catalog '" + path.substr(8, hash - 8) + "'";
}

}  // namespace

void check_path_collisions(const std::vector<const Step*>& steps,
                           const std::vector<std::map<std::string, std::string>>& typed) {
  std::vector<PathUse> inputs, outputs;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Step& s = *steps[i];
    for (const auto& p : s.spec->params) {
      if (!s.params.has(p.name)) continue;
      const ParamValue& v = s.params.raw(p.name);
      auto tn = typed[i].find(p.name);
      const std::string key = tn == typed[i].end() ? p.name : tn->second;
      if ((p.type == ParamType::OutputPath || p.type == ParamType::OutputFolder) && v.is_string()) {
        if ((!is_virtual_path(v.as_string()) || io::is_object_store_path(v.as_string())) &&
            s.params.given(p.name))
          outputs.push_back({canonical(v.as_string()), i, key, v.mark});
      } else if ((p.type == ParamType::CatalogOutput || p.type == ParamType::CatalogInput) && v.is_string()) {
        // A layer of a catalog: the same layer written twice, or read and then overwritten, collides.
        auto& uses = p.type == ParamType::CatalogOutput ? outputs : inputs;
        uses.push_back({catalog_layer_key(v.as_string(), step_layer_name(s)), i, key, v.mark});
      } else if (p.type == ParamType::InputPath) {
        auto add = [&](const ParamValue& e) {
          if (e.is_string()) inputs.push_back({canonical(e.as_string()), i, key, e.mark});
        };
        if (v.is_list())
          for (const auto& e : v.as_list()) add(e);
        else
          add(v);
      }
    }
  }
  auto fail = [&](const PathUse& at, const std::string& why) {
    const Step& s = *steps[at.step];
    throw Params(s.id, s.spec->name, at.mark, {}).step_error("parameter '" + at.key + "': " + why);
  };
  for (std::size_t a = 0; a < outputs.size(); ++a) {
    const PathUse& o = outputs[a];
    for (std::size_t b = 0; b < a; ++b) {
      const PathUse& e = outputs[b];
      if (output_names(e.path, o.path) || output_names(o.path, e.path))
        fail(o, shown(o.path) + " is written by step '" + steps[e.step]->id + "' too (" + e.mark.str() +
                    "): one of them would destroy the other");
    }
    for (const PathUse& in : inputs) {
      if (!input_reads(in.path, o.path)) continue;
      // A later step reading what an earlier one wrote reads it back: nothing is destroyed.
      if (in.step > o.step) continue;
      fail(o, shown(o.path) + " is an input of step '" + steps[in.step]->id + "' (" + in.mark.str() +
                  "): an output may not overwrite an input");
    }
  }
}

bool reads_earlier_output(const Job& job, std::size_t i) {
  const Step& s = job.steps[i];
  std::vector<std::string> outputs;
  for (std::size_t j = 0; j < i; ++j)
    for (const auto& p : job.steps[j].spec->params)
      if ((p.type == ParamType::OutputPath || p.type == ParamType::OutputFolder) &&
          job.steps[j].params.has(p.name) && job.steps[j].params.raw(p.name).is_string())
        outputs.push_back(job.steps[j].params.raw(p.name).as_string());
  for (std::size_t j = 0; j < i; ++j)
    for (const auto& p : job.steps[j].spec->params)
      if (p.type == ParamType::CatalogOutput && job.steps[j].params.has(p.name) &&
          job.steps[j].params.raw(p.name).is_string())
        outputs.push_back(
            catalog_layer_key(job.steps[j].params.raw(p.name).as_string(), step_layer_name(job.steps[j])));
  for (const auto& p : s.spec->params) {
    if (p.type == ParamType::CatalogInput && s.params.has(p.name) && s.params.raw(p.name).is_string()) {
      const std::string k = catalog_layer_key(s.params.raw(p.name).as_string(), step_layer_name(s));
      for (const auto& o : outputs)
        if (o == k) return true;
    }
    if (p.type != ParamType::InputPath || !s.params.has(p.name)) continue;
    const ParamValue& v = s.params.raw(p.name);
    std::vector<std::string> ins;
    if (v.is_string()) ins.push_back(v.as_string());
    if (v.is_list())
      for (const auto& e : v.as_list())
        if (e.is_string()) ins.push_back(e.as_string());
    for (const auto& in : ins)
      for (const auto& o : outputs)
        if (reads_written(in, o)) return true;
  }
  return false;
}

}  // namespace trellis::job
