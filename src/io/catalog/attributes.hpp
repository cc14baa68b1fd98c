#pragma once
// The attributes of a GeoTrellis layer (catalog spec 2): the `metadata` attribute holds the header, the
// TileLayerMetadata, the key index and the Avro schema. Written as GeoTrellis 2.x writes them
// (readable by GeoTrellis 1.x-3.x and GeoPySpark); read from any of them.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/metadata.hpp"
#include "index/key_index.hpp"

namespace trellis::io::catalog {

// FileLayerHeader and S3LayerHeader.
struct LayerHeader {
  std::string format = "file";  // "s3" in an S3 catalog; "hdf5" in trellis' HDF5 store
  std::string key_class;        // geotrellis.spark.SpatialKey | geotrellis.spark.SpaceTimeKey
  std::string value_class;      // geotrellis.raster.Tile | geotrellis.raster.MultibandTile
  std::string path;             // file: tile folder, relative to the catalog: "<name>/<zoom>"
  std::string bucket, key;      // s3: the tiles' bucket and key prefix "<prefix>/<name>/<zoom>"
  std::string layer_type = "AvroLayerType";

  bool multiband() const { return value_class == "geotrellis.raster.MultibandTile"; }
  bool spacetime() const { return key_class.ends_with("SpaceTimeKey"); }
};

// A layer's key index (catalog spec 2.5, 4): what names its tile files.
struct KeyIndex {
  IndexKind kind = IndexKind::ZOrder;
  KeyBounds bounds;
  int x_resolution = 0, y_resolution = 0;  // hilbert
  // zorder: milliseconds per time bin; hilbert: bits of time (spacetime layers only).
  std::int64_t temporal_resolution = 0;
  bool spacetime = false;

  // The index GeoTrellis' keyIndex.toIndex gives the key. Throws JobError when it cannot (a key outside
  // a hilbert or rowmajor index's bounds).
  std::uint64_t to_index(const SpaceTimeKey& k) const;
  // The width of tile file names: the digits of toIndex(bounds.max).
  int file_name_width() const { return index_digits(to_index(bounds.max)); }
  // The index GeoTrellis' KeyIndexMethod makes for a spatial layer's bounds.
  static KeyIndex for_spatial(IndexKind kind, const KeyBounds& bounds);
};

struct LayerAttributes {
  LayerHeader header;
  LayerMetadata md;  // bands from the value class (1 for Tile; MultibandTile: see `bands_known`)
  bool bands_known = true;
  KeyIndex key_index;
  nlohmann::ordered_json schema;  // the writer's Avro schema, members in their order
};

// The text of `<name>__.__<zoom>__.__metadata.json`: [{"name","zoom"}, {header, metadata, keyIndex,
// schema}], compact UTF-8, no newline. Deterministic.
std::string metadata_attribute_text(const std::string& name, int zoom, const LayerAttributes& a);

// Parses a metadata attribute. Throws IoError naming what is missing or malformed.
LayerAttributes parse_metadata_attribute(const std::string& text);

// Any other attribute's envelope [{"name","zoom"}, value], and its value back.
std::string attribute_text(const std::string& name, int zoom, const nlohmann::json& value);
nlohmann::json attribute_value(const std::string& text);  // throws IoError

}  // namespace trellis::io::catalog
