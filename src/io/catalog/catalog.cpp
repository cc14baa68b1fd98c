// GeoTrellis file and S3 catalogs (catalog.hpp).
#include "io/catalog/catalog.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "core/error.hpp"
#include "io/catalog/tile_codec.hpp"

namespace trellis::io::catalog {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFileSep = "__.__";  // FileAttributeStore.SEP
constexpr const char* kS3Sep = "__";       // S3AttributeStore.SEP

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string text_of(const std::vector<std::byte>& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// The layer an attribute file names, when it is `attribute`'s: file catalogs
// "<name>__.__<zoom>__.__<attribute>.json", S3 "<attribute>__<name>__<zoom>.json".
std::optional<LayerId> layer_of(const std::string& file, const std::string& attribute, bool s3) {
  if (s3) {
    const std::string head = attribute + kS3Sep, tail = ".json";
    if (!file.starts_with(head) || !file.ends_with(tail)) return std::nullopt;
    const std::string rest = file.substr(head.size(), file.size() - head.size() - tail.size());
    const auto sep = rest.rfind(kS3Sep);
    if (sep == std::string::npos || sep == 0 || !all_digits(rest.substr(sep + 2))) return std::nullopt;
    return LayerId{rest.substr(0, sep), std::stoi(rest.substr(sep + 2))};
  }
  const std::string tail = std::string(kFileSep) + attribute + ".json";
  if (!file.ends_with(tail)) return std::nullopt;
  const auto a = file.find(kFileSep);
  if (a == std::string::npos || a == 0) return std::nullopt;
  const std::string zoom = file.substr(a + 5, file.size() - tail.size() - a - 5);
  if (!all_digits(zoom)) return std::nullopt;
  return LayerId{file.substr(0, a), std::stoi(zoom)};
}

}  // namespace

std::string CatalogUri::shown() const {
  if (scheme != Scheme::S3) return path;
  return "s3://" + bucket + (prefix.empty() ? "" : "/" + prefix);
}

CatalogUri parse_catalog_uri(const std::string& uri) {
  if (uri.rfind("file://", 0) == 0) return {CatalogUri::Scheme::File, uri.substr(7), {}, {}};
  if (uri.rfind("hdf5://", 0) == 0) return {CatalogUri::Scheme::Hdf5, uri.substr(7), {}, {}};
  if (uri.rfind("s3://", 0) == 0) {
    std::string rest = uri.substr(5);
    while (!rest.empty() && rest.back() == '/') rest.pop_back();
    const auto slash = rest.find('/');
    CatalogUri u{CatalogUri::Scheme::S3,
                 {},
                 rest.substr(0, slash),
                 slash == std::string::npos ? std::string() : rest.substr(slash + 1)};
    if (u.bucket.empty()) throw JobError("'" + uri + "' names no bucket: give s3://bucket/prefix");
    if (u.prefix.find("//") != std::string::npos || u.prefix.starts_with("/"))
      throw JobError("'" + uri + "': the key prefix has an empty part ('//')");
    u.path = "/vsis3/" + u.bucket + (u.prefix.empty() ? "" : "/" + u.prefix);
    return u;
  }
  if (const auto p = uri.find("://"); p != std::string::npos)
    throw JobError(
        "'" + uri.substr(0, p + 3) +
        "' catalogs are not supported; give file:///path, s3://bucket/prefix, hdf5:///path/file.h5 "
        "or a path");
  return {CatalogUri::Scheme::File, uri, {}, {}};
}

bool valid_layer_name(const std::string& name, CatalogUri::Scheme scheme) {
  if (name.empty() || name.find(scheme == CatalogUri::Scheme::S3 ? kS3Sep : kFileSep) != std::string::npos)
    return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; });
}

Catalog::Catalog(const CatalogUri& uri) : uri_(uri) {
  switch (uri.scheme) {
    case CatalogUri::Scheme::File:
      store_ = file_store();
      break;
    case CatalogUri::Scheme::S3:
      store_ = object_store();
      break;
    case CatalogUri::Scheme::Hdf5:
      throw std::invalid_argument("Catalog: an HDF5 store is not a catalog of tile files");
  }
}

std::string Catalog::attributes_dir() const {
  return uri_.path + (s3() ? "/_attributes" : "/attributes");
}

std::string Catalog::attribute_path(const LayerId& id, const std::string& attribute) const {
  const std::string z = std::to_string(id.zoom);
  return attributes_dir() + "/" +
         (s3() ? attribute + kS3Sep + id.name + kS3Sep + z : id.name + kFileSep + z + kFileSep + attribute) +
         ".json";
}

bool Catalog::layer_exists(const LayerId& id) const {
  return store_->exists(attribute_path(id, "metadata"));
}

std::vector<LayerId> Catalog::layers() const {
  std::vector<LayerId> out;
  for (const std::string& f : store_->list(attributes_dir()))
    if (auto id = layer_of(f, "metadata", s3())) out.push_back(std::move(*id));
  std::sort(out.begin(), out.end());
  return out;
}

LayerAttributes Catalog::read_layer(const LayerId& id) const {
  auto a = find_layer(id);
  if (!a)
    throw IoError("catalog '" + root() + "' has no layer '" + id.name + "' at zoom " +
                  std::to_string(id.zoom));
  return std::move(*a);
}

std::optional<LayerAttributes> Catalog::find_layer(const LayerId& id) const {
  const std::string path = attribute_path(id, "metadata");
  const auto bytes = store_->read(path);
  if (!bytes) return std::nullopt;
  try {
    return parse_metadata_attribute(text_of(*bytes));
  } catch (const IoError& e) {
    throw IoError(path + ": " + e.what());
  }
}

void Catalog::place_layer(LayerHeader& h, const LayerId& id) const {
  const std::string rel = id.name + "/" + std::to_string(id.zoom);
  if (s3()) {
    h.format = "s3";
    h.bucket = uri_.bucket;
    h.key = uri_.prefix.empty() ? rel : uri_.prefix + "/" + rel;
  } else {
    h.format = "file";
    h.path = rel;
  }
}

std::string Catalog::tile_dir(const LayerHeader& h) const {
  if (h.format == "s3") return "/vsis3/" + h.bucket + "/" + h.key;
  return uri_.path + "/" + h.path;
}

std::string Catalog::tile_path(const LayerHeader& h, std::uint64_t index, int width) const {
  return tile_dir(h) + "/" + encode_index_filename(index, width);
}

void Catalog::write_attribute(const LayerId& id, const std::string& attribute,
                              const std::string& text) const {
  store_->make_dirs(attributes_dir());
  store_->write_atomic(attribute_path(id, attribute), text);
}

std::optional<std::string> Catalog::read_attribute(const LayerId& id, const std::string& attribute) const {
  const auto bytes = store_->read(attribute_path(id, attribute));
  if (!bytes) return std::nullopt;
  return text_of(*bytes);
}

std::vector<std::string> Catalog::attribute_names(const LayerId& id) const {
  const std::string z = std::to_string(id.zoom);
  const std::string file_head = id.name + kFileSep + z + kFileSep,
                    s3_tail = kS3Sep + id.name + kS3Sep + z + ".json";
  std::vector<std::string> out;
  for (const std::string& f : store_->list(attributes_dir())) {
    if (s3()) {
      if (f.ends_with(s3_tail) && f.size() > s3_tail.size())
        out.push_back(f.substr(0, f.size() - s3_tail.size()));
    } else if (f.starts_with(file_head) && f.ends_with(".json") && f.size() > file_head.size() + 5) {
      out.push_back(f.substr(file_head.size(), f.size() - file_head.size() - 5));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void Catalog::delete_layer(const LayerId& id) const {
  std::optional<LayerHeader> header;
  if (auto a = find_layer(id)) header = a->header;
  store_->remove(attribute_path(id, "metadata"));
  const std::string z = std::to_string(id.zoom);
  for (const std::string& f : store_->list(attributes_dir()))
    if (s3() ? f.ends_with(kS3Sep + id.name + kS3Sep + z + ".json")
             : f.starts_with(id.name + kFileSep + z + kFileSep))
      store_->remove(attributes_dir() + "/" + f);
  LayerHeader h;
  if (header) {
    h = *header;
  } else {
    place_layer(h, id);
  }
  // The tile folder, when it lies inside the catalog (a hand-edited header could point anywhere).
  const std::string dir = tile_dir(h);
  if (s3()) {
    if (!(dir + "/").starts_with(uri_.path + "/"))
      throw IoError("the layer's tiles '" + dir + "' are outside the catalog " + root());
  } else {
    std::error_code ec;
    const fs::path r = fs::weakly_canonical(uri_.path, ec);
    const fs::path d = fs::weakly_canonical(dir, ec);
    const auto rel = d.lexically_relative(r);
    if (rel.empty() || *rel.begin() == "..")
      throw IoError("the layer's tile folder '" + d.string() + "' is outside the catalog");
  }
  store_->remove_tree(dir);
}

}  // namespace trellis::io::catalog
