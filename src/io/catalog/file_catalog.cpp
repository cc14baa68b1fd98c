// GeoTrellis file catalogs (file_catalog.hpp).
#include "io/catalog/file_catalog.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace trellis::io::catalog {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSep = "__.__";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read '" + path + "': " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

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

}  // namespace

CatalogUri parse_catalog_uri(const std::string& uri) {
  if (uri.rfind("file://", 0) == 0) return {CatalogUri::Scheme::File, uri.substr(7)};
  if (uri.rfind("hdf5://", 0) == 0) return {CatalogUri::Scheme::Hdf5, uri.substr(7)};
  if (const auto p = uri.find("://"); p != std::string::npos)
    throw JobError("'" + uri.substr(0, p + 3) +
                   "' catalogs are not supported; give file:///path, hdf5:///path/file.h5 or a path");
  return {CatalogUri::Scheme::File, uri};
}

bool valid_layer_name(const std::string& name) {
  if (name.empty() || name.find(kSep) != std::string::npos) return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; });
}

std::string FileCatalog::attribute_path(const LayerId& id, const std::string& attribute) const {
  return root_ + "/attributes/" + id.name + kSep + std::to_string(id.zoom) + kSep + attribute + ".json";
}

bool FileCatalog::layer_exists(const LayerId& id) const {
  std::error_code ec;
  return fs::is_regular_file(attribute_path(id, "metadata"), ec);
}

std::vector<LayerId> FileCatalog::layers() const {
  std::vector<LayerId> out;
  std::error_code ec;
  const std::string suffix = std::string(kSep) + "metadata.json";
  for (const auto& e : fs::directory_iterator(root_ + "/attributes", ec)) {
    const std::string f = e.path().filename().string();
    if (!f.ends_with(suffix)) continue;
    const auto a = f.find(kSep);
    const std::string zoom = f.substr(a + 5, f.size() - suffix.size() - a - 5);
    if (zoom.empty() || !std::all_of(zoom.begin(), zoom.end(), ::isdigit)) continue;
    out.push_back({f.substr(0, a), std::stoi(zoom)});
  }
  std::sort(out.begin(), out.end());
  return out;
}

LayerAttributes FileCatalog::read_layer(const LayerId& id) const {
  const std::string path = attribute_path(id, "metadata");
  if (!layer_exists(id))
    throw IoError("catalog '" + root_ + "' has no layer '" + id.name + "' at zoom " +
                  std::to_string(id.zoom));
  try {
    return parse_metadata_attribute(read_text(path));
  } catch (const IoError& e) {
    throw IoError(path + ": " + e.what());
  }
}

std::string FileCatalog::tile_path(const LayerHeader& h, std::uint64_t index, int width) const {
  return tile_dir(h) + "/" + encode_index_filename(index, width);
}

std::optional<std::vector<std::byte>> FileCatalog::read_tile_file(const std::string& path) const {
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

void FileCatalog::write_file(const std::string& path, const std::vector<std::byte>& bytes) {
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

void FileCatalog::write_file_atomic(const std::string& path, const std::string& bytes) {
  const fs::path p(path);
  const std::string tmp = (p.parent_path() / ("." + p.filename().string() + ".tmp")).string();
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError("cannot create '" + tmp + "': " + std::strerror(errno));
  try {
    write_all(fd, bytes.data(), bytes.size(), tmp);
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

void FileCatalog::write_attribute(const LayerId& id, const std::string& attribute,
                                  const std::string& text) const {
  std::error_code ec;
  fs::create_directories(root_ + "/attributes", ec);
  if (ec) throw IoError("cannot create '" + root_ + "/attributes': " + ec.message());
  write_file_atomic(attribute_path(id, attribute), text);
}

void FileCatalog::delete_layer(const LayerId& id) const {
  std::optional<LayerHeader> header;
  if (layer_exists(id)) header = read_layer(id).header;
  std::error_code ec;
  fs::remove(attribute_path(id, "metadata"), ec);
  if (ec) throw IoError("cannot remove '" + attribute_path(id, "metadata") + "': " + ec.message());
  const std::string prefix = id.name + kSep + std::to_string(id.zoom) + kSep;
  for (const auto& e : fs::directory_iterator(root_ + "/attributes", ec))
    if (e.path().filename().string().rfind(prefix, 0) == 0) fs::remove(e.path(), ec);
  // The tile folder, when it lies inside the catalog (a hand-edited header.path could point anywhere).
  const fs::path root = fs::weakly_canonical(root_, ec);
  const fs::path dir = fs::weakly_canonical(
      header ? tile_dir(*header) : root_ + "/" + id.name + "/" + std::to_string(id.zoom), ec);
  const auto rel = dir.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..")
    throw IoError("the layer's tile folder '" + dir.string() + "' is outside the catalog");
  fs::remove_all(dir, ec);
  if (ec) throw IoError("cannot remove '" + dir.string() + "': " + ec.message());
}

}  // namespace trellis::io::catalog
