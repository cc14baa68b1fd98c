#pragma once
// Where a catalog's files live: a local (or parallel) file system, or an object store through GDAL
// (/vsis3/). The catalog code names its files by absolute paths and does the same few things with
// them on both; only the store knows how. Not collective; thread-safe; deterministic for a given state
// of the files.
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace trellis::io::catalog {

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // The bytes of a file, or nullopt when it does not exist. Throws IoError when it exists and cannot
  // be read (or the store cannot be reached).
  virtual std::optional<std::vector<std::byte>> read(const std::string& path) const = 0;
  // Writes a file, replacing any (its folder must exist: make_dirs). Throws IoError.
  virtual void write(const std::string& path, std::span<const std::byte> bytes) const = 0;
  // Writes a file that no reader ever sees half-written: a temporary and a rename after fsync on a
  // file system, one upload on an object store. Throws IoError.
  virtual void write_atomic(const std::string& path, const std::string& text) const = 0;
  // Whether the file exists. Throws IoError when the store cannot be reached.
  virtual bool exists(const std::string& path) const = 0;
  // The names of the files directly in `dir`, sorted, without hidden ones (".name"): empty when `dir`
  // does not exist. Throws IoError when the store cannot be reached.
  virtual std::vector<std::string> list(const std::string& dir) const = 0;
  // Makes `dir` and its parents (nothing to do on an object store). Throws IoError.
  virtual void make_dirs(const std::string& dir) const = 0;
  // Removes a file; a missing one is not an error. Throws IoError.
  virtual void remove(const std::string& path) const = 0;
  // Removes `dir` and everything in it; a missing one is not an error. Throws IoError.
  virtual void remove_tree(const std::string& dir) const = 0;
};

// The local file system (POSIX calls, no GDAL).
std::shared_ptr<const BlobStore> file_store();
// An object store through GDAL's virtual file systems: paths are /vsis3/bucket/key.
std::shared_ptr<const BlobStore> object_store();

// Writes `text` to a local file through a temporary beside it, fsync and a rename. Throws IoError.
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace trellis::io::catalog
