#pragma once
// A GeoTrellis "file" catalog (catalog spec 1): `attributes/<name>__.__<zoom>__.__<attr>.json` and tile
// files `<header.path>/<zero-padded index>`. A layer exists when its metadata attribute does; writers
// write every tile first and the metadata attribute last (atomically, by rename), so a layer cut short
// never looks complete. Not collective: the ops decide which rank does what.
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "io/catalog/attributes.hpp"

namespace trellis::io::catalog {

struct LayerId {
  std::string name;
  int zoom = 0;
  auto operator<=>(const LayerId&) const = default;
};

// Where a catalog URI points: a file catalog's folder ("file:///abs/path" or a bare path) or trellis'
// HDF5 store, one file per layer or pyramid ("hdf5:///abs/x.h5"). Throws JobError for another scheme.
struct CatalogUri {
  enum class Scheme { File, Hdf5 };
  Scheme scheme = Scheme::File;
  std::string path;  // the folder, or the HDF5 file
};
CatalogUri parse_catalog_uri(const std::string& uri);
// Whether a layer name is one GeoTrellis can list back: [A-Za-z0-9-_.]+ without "__.__".
bool valid_layer_name(const std::string& name);

class FileCatalog {
 public:
  explicit FileCatalog(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }

  std::string attribute_path(const LayerId& id, const std::string& attribute) const;
  bool layer_exists(const LayerId& id) const;
  // Every layer with a metadata attribute, sorted by name then zoom.
  std::vector<LayerId> layers() const;
  // The layer's attributes. Throws IoError when it does not exist or cannot be read.
  LayerAttributes read_layer(const LayerId& id) const;

  // The tile folder of a header (header.path under the root) and a tile file in it.
  std::string tile_dir(const LayerHeader& h) const { return root_ + "/" + h.path; }
  std::string tile_path(const LayerHeader& h, std::uint64_t index, int width) const;
  // The bytes of a tile file, or nullopt when it does not exist (sparse layers). Throws IoError when
  // it exists and cannot be read.
  std::optional<std::vector<std::byte>> read_tile_file(const std::string& path) const;

  // Writes `bytes` to `path` through a temporary file and a rename. Throws IoError.
  static void write_file_atomic(const std::string& path, const std::string& bytes);
  static void write_file(const std::string& path, const std::vector<std::byte>& bytes);
  // Writes an attribute file (atomically).
  void write_attribute(const LayerId& id, const std::string& attribute, const std::string& text) const;

  // Removes a layer: its metadata attribute first (from then on it does not exist), then its other
  // attributes and its tile folder. Throws IoError.
  void delete_layer(const LayerId& id) const;

 private:
  std::string root_;
};

}  // namespace trellis::io::catalog
