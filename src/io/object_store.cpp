// Object stores through GDAL's /vsis3/ (object_store.hpp).
#include "io/object_store.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <cpl_vsi_error.h>

#include <algorithm>
#include <memory>

#include "core/error.hpp"
#include "core/text.hpp"
#include "io/geotiff.hpp"

namespace trellis::io {

namespace {

constexpr const char* kS3 = "/vsis3/";

// GDAL's last error about `path`, or "" when GDAL recorded none (a missing object is no error).
std::string last_error() {
  if (VSIGetLastErrorNo() != VSIE_None) {
    const char* m = VSIGetLastErrorMsg();
    if (m && *m) return one_line(m);
  }
  if (CPLGetLastErrorType() >= CE_Failure) {
    const char* m = CPLGetLastErrorMsg();
    if (m && *m) return one_line(m);
  }
  return {};
}

void reset_errors() {
  CPLErrorReset();
  VSIErrorReset();
}

// Forgets what GDAL cached about `path` (existence, size, listings): other ranks and other processes
// write to the store, and GDAL's cache would hide their objects for the life of this process.
void forget(const std::string& path) {
  VSICurlPartialClearCache(path.c_str());
}

std::string endpoint();

// GDAL says "no such object" also when the store does not answer. Throws IoError("cannot <what>
// '<path>': ...") when the S3 bucket of `path` cannot be listed.
void check_reachable(const std::string& path, const char* what) {
  if (s3_bucket(path).empty()) return;
  if (const std::string why = s3_bucket_problem(path); !why.empty())
    throw IoError(std::string("cannot ") + what + " '" + path + "': " + why);
}

std::string endpoint() {
  const char* e = CPLGetConfigOption("AWS_S3_ENDPOINT", nullptr);
  return e && *e ? std::string(e) : std::string("s3.amazonaws.com");
}

}  // namespace

std::string gdal_path(const std::string& uri) {
  if (uri.rfind("s3://", 0) == 0) return kS3 + uri.substr(5);
  return uri;
}

bool is_object_store_path(const std::string& path) {
  const std::string p = gdal_path(path);
  for (const char* fs : {"/vsis3/", "/vsigs/", "/vsiaz/", "/vsioss/", "/vsiswift/", "/vsiadls/"})
    if (p.rfind(fs, 0) == 0) return true;
  return false;
}

std::string s3_bucket(const std::string& path) {
  const std::string p = gdal_path(path);
  if (p.rfind(kS3, 0) != 0) return {};
  const std::string rest = p.substr(std::char_traits<char>::length(kS3));
  return rest.substr(0, rest.find('/'));
}

std::string s3_bucket_problem(const std::string& path) {
  gdal_init();
  const std::string bucket = s3_bucket(path);
  if (bucket.empty()) return "'" + path + "' names no S3 bucket";
  const std::string dir = kS3 + bucket;
  forget(dir);
  reset_errors();
  VSIStatBufL st{};
  if (VSIStatExL(dir.c_str(), &st, VSI_STAT_EXISTS_FLAG) == 0) return {};
  const std::string why = last_error();
  return "S3 bucket '" + bucket + "' at " + endpoint() + " cannot be listed" +
         (why.empty() ? std::string(" (it does not exist, or AWS_S3_ENDPOINT and the credentials are wrong)")
                      : ": " + why);
}

std::optional<std::vector<std::byte>> vsi_read(const std::string& path) {
  // No forget(path) here, on the path that reads every tile: what GDAL caches of an object it has read
  // (its size) goes stale only if the object is replaced meanwhile, which a layer's tiles are not while
  // a job reads them; a missing object is confirmed below by vsi_exists, which does forget.
  gdal_init();
  reset_errors();
  VSILFILE* f = VSIFOpenExL(path.c_str(), "rb", TRUE);
  if (!f) {
    const std::string why = last_error();
    // "No such key", or no error at all (GDAL's answer when the store does not answer either).
    if ((why.empty() || VSIGetLastErrorNo() == VSIE_AWSObjectNotFound) && !vsi_exists(path))
      return std::nullopt;  // (vsi_exists throws when the store does not answer)
    throw IoError("cannot read '" + path + "': " + (why.empty() ? std::string("GDAL cannot open it") : why));
  }
  std::vector<std::byte> bytes;
  std::byte buf[1 << 16];
  for (;;) {
    const std::size_t n = VSIFReadL(buf, 1, sizeof buf, f);
    bytes.insert(bytes.end(), buf, buf + n);
    if (n < sizeof buf) break;
  }
  const bool failed = VSIFEofL(f) == 0;  // a short read before the end
  VSIFCloseL(f);
  if (failed) throw IoError("cannot read '" + path + "': " + gdal_message("read failed"));
  // GDAL 3.6 opens a missing object, and one it cannot reach, without an error, and reads nothing: tell
  // them apart (an unreachable store must not pass for a missing tile).
  if (bytes.empty() && !vsi_exists(path)) return std::nullopt;
  return bytes;
}

void vsi_write(const std::string& path, std::span<const std::byte> bytes) {
  gdal_init();
  reset_errors();
  VSILFILE* f = VSIFOpenExL(path.c_str(), "wb", TRUE);
  if (!f) throw IoError("cannot create '" + path + "': " + gdal_message("the store refused it"));
  bool ok = bytes.empty() || VSIFWriteL(bytes.data(), 1, bytes.size(), f) == bytes.size();
  // The upload happens (or completes) at close.
  ok = VSIFCloseL(f) == 0 && ok;
  if (!ok) throw IoError("cannot write '" + path + "': " + gdal_message("the upload failed"));
}

namespace {

enum class Kind { None, Object, Prefix };

// What `path` is, after forgetting what GDAL cached about it. Throws IoError when the store does not
// answer.
Kind kind_of(const std::string& path) {
  gdal_init();
  forget(path);
  reset_errors();
  VSIStatBufL st{};
  if (VSIStatL(path.c_str(), &st) == 0) return VSI_ISDIR(st.st_mode) ? Kind::Prefix : Kind::Object;
  if (const std::string why = last_error(); !why.empty())
    throw IoError("cannot reach '" + path + "': " + why);
  check_reachable(path, "reach");
  return Kind::None;
}

// Deletes the object at `path`. Throws IoError.
void unlink(const std::string& path) {
  reset_errors();
  if (VSIUnlink(path.c_str()) != 0)
    throw IoError("cannot delete '" + path + "': " + gdal_message("the store refused it"));
  forget(path);
}

}  // namespace

bool vsi_exists(const std::string& path) {
  return kind_of(path) != Kind::None;
}

bool vsi_is_object(const std::string& path) {
  return kind_of(path) == Kind::Object;
}

std::vector<std::string> vsi_list(const std::string& dir) {
  gdal_init();
  forget(dir);
  reset_errors();
  std::unique_ptr<char*, decltype(&CSLDestroy)> names(VSIReadDir(dir.c_str()), &CSLDestroy);
  if (!names) {
    if (const std::string why = last_error(); !why.empty())
      throw IoError("cannot list '" + dir + "': " + why);
    check_reachable(dir, "list");
    return {};
  }
  std::vector<std::string> out;
  for (char** n = names.get(); *n; ++n)
    if (std::string s = *n; s != "." && s != "..") out.push_back(std::move(s));
  std::sort(out.begin(), out.end());
  return out;
}

void vsi_remove(const std::string& path) {
  if (kind_of(path) == Kind::Object) unlink(path);
}

void vsi_remove_tree(const std::string& dir) {
  // Object by object: batch deletes (DeleteObjects) are not answered by every S3-compatible server.
  for (const std::string& name : vsi_list(dir)) {
    const std::string p = dir + "/" + name;
    switch (kind_of(p)) {
      case Kind::Prefix:
        vsi_remove_tree(p);
        break;
      case Kind::Object:
        unlink(p);
        break;
      case Kind::None:
        break;
    }
  }
  forget(dir);
}

}  // namespace trellis::io
