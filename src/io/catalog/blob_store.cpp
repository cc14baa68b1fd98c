// A catalog's files on a file system or an object store (blob_store.hpp).
#include "io/catalog/blob_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "io/object_store.hpp"

namespace trellis::io::catalog {

namespace fs = std::filesystem;

namespace {

void write_all(int fd, const char* p, std::size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw IoError("cannot write '" + path + "': " + std::strerror(errno));
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

bool hidden(const std::string& name) {
  return name.empty() || name.front() == '.';
}

class FileStore final : public BlobStore {
 public:
  std::optional<std::vector<std::byte>> read(const std::string& path) const override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return std::nullopt;
      throw IoError("cannot open '" + path + "': " + std::strerror(errno));
    }
    std::vector<std::byte> bytes;
    std::byte buf[1 << 16];
    for (;;) {
      const ssize_t r = ::read(fd, buf, sizeof buf);
      if (r < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        throw IoError("cannot read '" + path + "': " + std::strerror(err));
      }
      if (r == 0) break;
      bytes.insert(bytes.end(), buf, buf + r);
    }
    ::close(fd);
    return bytes;
  }

  void write(const std::string& path, std::span<const std::byte> bytes) const override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw IoError("cannot create '" + path + "': " + std::strerror(errno));
    try {
      write_all(fd, reinterpret_cast<const char*>(bytes.data()), bytes.size(), path);
    } catch (...) {
      ::close(fd);
      throw;
    }
    if (::close(fd) != 0) throw IoError("cannot write '" + path + "': " + std::strerror(errno));
  }

  void write_atomic(const std::string& path, const std::string& text) const override {
    write_file_atomic(path, text);
  }

  bool exists(const std::string& path) const override {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
  }

  std::vector<std::string> list(const std::string& dir) const override {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (std::string n = e.path().filename().string(); !hidden(n) && e.is_regular_file(ec))
        out.push_back(std::move(n));
    std::sort(out.begin(), out.end());
    return out;
  }

  void make_dirs(const std::string& dir) const override {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw IoError("cannot create '" + dir + "': " + ec.message());
  }

  void remove(const std::string& path) const override {
    std::error_code ec;
    fs::remove(path, ec);
    if (ec) throw IoError("cannot remove '" + path + "': " + ec.message());
  }

  void remove_tree(const std::string& dir) const override {
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) throw IoError("cannot remove '" + dir + "': " + ec.message());
  }
};

class ObjectStore final : public BlobStore {
 public:
  std::optional<std::vector<std::byte>> read(const std::string& path) const override {
    return vsi_read(path);
  }
  void write(const std::string& path, std::span<const std::byte> bytes) const override {
    vsi_write(path, bytes);
  }
  void write_atomic(const std::string& path, const std::string& text) const override {
    // An object appears only when its upload is complete.
    vsi_write(path, std::as_bytes(std::span<const char>(text.data(), text.size())));
  }
  bool exists(const std::string& path) const override { return vsi_exists(path); }
  std::vector<std::string> list(const std::string& dir) const override {
    std::vector<std::string> out = vsi_list(dir);
    std::erase_if(out, hidden);
    return out;
  }
  void make_dirs(const std::string&) const override {}  // prefixes need no making
  void remove(const std::string& path) const override { vsi_remove(path); }
  void remove_tree(const std::string& dir) const override { vsi_remove_tree(dir); }
};

}  // namespace

std::shared_ptr<const BlobStore> file_store() {
  static const auto store = std::make_shared<const FileStore>();
  return store;
}

std::shared_ptr<const BlobStore> object_store() {
  static const auto store = std::make_shared<const ObjectStore>();
  return store;
}

void write_file_atomic(const std::string& path, const std::string& text) {
  const fs::path p(path);
  const std::string tmp = (p.parent_path() / ("." + p.filename().string() + ".tmp")).string();
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError("cannot create '" + tmp + "': " + std::strerror(errno));
  try {
    write_all(fd, text.data(), text.size(), tmp);
    if (::fsync(fd) != 0) throw IoError("cannot write '" + tmp + "': " + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw IoError("cannot rename '" + tmp + "' to '" + path + "': " + std::strerror(err));
  }
}

}  // namespace trellis::io::catalog
