#pragma once
// A GeoTrellis catalog of tile files, as GeoTrellis' file backend or its S3 backend lays it out (catalog
// spec 1):
//   file  attributes/<name>__.__<zoom>__.__<attr>.json, tiles <root>/<header.path>/<index>;
//   s3    <prefix>/_attributes/<attr>__<name>__<zoom>.json, tiles s3://<header.bucket>/<header.key>/<index>.
// A layer exists when its metadata attribute does; writers write every tile first and the metadata
// attribute last (atomically: a rename, or one upload), so a layer cut short never looks complete.
// Not collective: the ops decide which rank does what. Thread-safe.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "io/catalog/attributes.hpp"
#include "io/catalog/blob_store.hpp"

namespace trellis::io::catalog {

struct LayerId {
  std::string name;
  int zoom = 0;
  auto operator<=>(const LayerId&) const = default;
};

// Where a catalog URI points: a file catalog's folder ("file:///abs/path" or a bare path), an S3
// catalog ("s3://bucket/prefix"), or trellis' HDF5 store, one file per layer or pyramid
// ("hdf5:///abs/x.h5"). Throws JobError for another scheme.
struct CatalogUri {
  enum class Scheme { File, Hdf5, S3 };
  Scheme scheme = Scheme::File;
  std::string path;    // the folder, the HDF5 file, or /vsis3/<bucket>/<prefix>
  std::string bucket;  // S3
  std::string prefix;  // S3: the key prefix, without leading or trailing '/' (may be empty)
  // The catalog as messages name it: the folder or file, or s3://bucket/prefix.
  std::string shown() const;
};
CatalogUri parse_catalog_uri(const std::string& uri);
// Whether a layer name is one GeoTrellis can list back: [A-Za-z0-9-_.]+ without "__.__" (file
// catalogs) or "__" (S3 catalogs, whose attribute names split on it).
bool valid_layer_name(const std::string& name, CatalogUri::Scheme scheme = CatalogUri::Scheme::File);

class Catalog {
 public:
  // The file or S3 catalog at `uri` (not an HDF5 store: std::invalid_argument).
  explicit Catalog(const CatalogUri& uri);
  // The file catalog in a folder.
  explicit Catalog(const std::string& folder) : Catalog(parse_catalog_uri("file://" + folder)) {}

  // The catalog as messages name it.
  std::string root() const { return uri_.shown(); }
  bool s3() const { return uri_.scheme == CatalogUri::Scheme::S3; }
  const BlobStore& store() const { return *store_; }

  std::string attribute_path(const LayerId& id, const std::string& attribute) const;
  bool layer_exists(const LayerId& id) const;
  // Every layer with a metadata attribute, sorted by name then zoom.
  std::vector<LayerId> layers() const;
  // The layer's attributes, or nullopt when it does not exist (one read). Throws IoError when they
  // cannot be read.
  std::optional<LayerAttributes> find_layer(const LayerId& id) const;
  // The same; throws IoError when the layer does not exist either.
  LayerAttributes read_layer(const LayerId& id) const;

  // Fills the header of a new layer `id` as this catalog's backend writes it: format, and the tile
  // folder (path; or bucket and key).
  void place_layer(LayerHeader& h, const LayerId& id) const;
  // The tile folder of a header and a tile file in it.
  std::string tile_dir(const LayerHeader& h) const;
  std::string tile_path(const LayerHeader& h, std::uint64_t index, int width) const;
  // The bytes of a tile file, or nullopt when it does not exist (sparse layers). Throws IoError when
  // it exists and cannot be read.
  std::optional<std::vector<std::byte>> read_tile_file(const std::string& path) const {
    return store_->read(path);
  }

  // Writes an attribute file (atomically).
  void write_attribute(const LayerId& id, const std::string& attribute, const std::string& text) const;
  // An attribute file's text, or nullopt when the layer has no such attribute. Throws IoError.
  std::optional<std::string> read_attribute(const LayerId& id, const std::string& attribute) const;
  // The names of the layer's attributes ("metadata" among them once the layer exists), sorted.
  std::vector<std::string> attribute_names(const LayerId& id) const;

  // Removes a layer: its metadata attribute first (from then on it does not exist), then its other
  // attributes and its tile folder. Throws IoError.
  void delete_layer(const LayerId& id) const;

 private:
  std::string attributes_dir() const;
  CatalogUri uri_;
  std::shared_ptr<const BlobStore> store_;
};

}  // namespace trellis::io::catalog
