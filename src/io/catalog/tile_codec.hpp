#pragma once
// GeoTrellis tile files (catalog spec 3): zlib( Avro KeyValueRecord{pairs: [(key, tile)]} ), with the
// schema GeoTrellis 1.1-2.x writes (readable by GeoTrellis 1.x-3.x and GeoPySpark). Tiles are written
// as array tiles of their cell type; any tile record GeoTrellis writes (array, constant, bit, padded)
// is read, by the writer schema stored with the layer.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "core/key.hpp"
#include "core/tile.hpp"
#include "core/zlib.hpp"
#include "io/catalog/avro.hpp"

namespace trellis::io::catalog {

// The schema text GeoTrellis 2.x stores for a layer (byte for byte ../shared/spec/schemas/v2-*.json):
// keys SpatialKey or SpaceTimeKey, values Tile (a union of the 16 tile records) or MultibandTile.
std::string tile_schema_text(bool spacetime, bool multiband);

// The Avro datum of KeyValueRecord for `pairs` (keys with instants when `spacetime`; tiles written as
// MultibandTile when `multiband`, else each tile must have one band). Deterministic, thread-safe.
// Throws std::invalid_argument for a multiband tile in a single-band record.
struct KeyedTile {
  SpaceTimeKey key;
  const Tile* tile;
};
std::vector<std::byte> encode_pairs(std::span<const KeyedTile> pairs, bool spacetime, bool multiband);

// Tile files are zlib streams at level 6, like GeoTrellis' java.util.zip.Deflater (core/zlib.hpp: its
// deflate blocks differ from Java's, which any zlib reader reads the same).
using trellis::zlib_compress;
using trellis::zlib_decompress;

// A tile file's pairs, decoded with the layer's writer schema. Tiles come in the cell type their
// records state (noDataValue included), as many bands as the record has. Thread-safe.
class TileDecoder {
 public:
  explicit TileDecoder(const nlohmann::ordered_json& writer_schema) : schema_(writer_schema) {}
  // `file` is the compressed file. Throws IoError for anything that is not a KeyValueRecord of tiles.
  std::vector<std::pair<SpaceTimeKey, Tile>> decode(std::span<const std::byte> file) const;

 private:
  avro::Schema schema_;
};

}  // namespace trellis::io::catalog
