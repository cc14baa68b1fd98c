#pragma once
// A catalog layer as the catalog ops read it, from a GeoTrellis file or S3 catalog (one Avro file per tile,
// read and decoded with all the rank's threads) or from trellis' HDF5 store (one chunk per tile, read by
// one thread: HDF5 is built without thread safety). Not collective: each rank reads what it owns.
#include <optional>
#include <string>
#include <vector>

#include "core/tile.hpp"
#include "io/catalog/catalog.hpp"
#include "job/progress.hpp"
#include "mpi/hdf5_store.hpp"

namespace trellis::ops::catalog {

class LayerReader {
 public:
  // The layer `id` of the catalog at `uri` (parse_catalog_uri), or nullopt when the catalog has no such
  // layer. The band count of a MultibandTile layer of a file catalog, which GeoTrellis does not record,
  // comes from its first tile file. Deterministic. Throws IoError when the catalog cannot be read.
  static std::optional<LayerReader> open(const std::string& uri, const io::catalog::LayerId& id);
  // Every layer of the catalog, sorted. Throws IoError.
  static std::vector<io::catalog::LayerId> layers(const std::string& uri);
  // Why open() found nothing: "catalog 'P' has no layer 'x' at zoom z (it has: ...)". Throws IoError.
  static std::string missing(const std::string& uri, const io::catalog::LayerId& id);

  const io::catalog::LayerAttributes& attributes() const { return at_; }

  // The tiles at `keys`, one slot each (nullopt where the layer has no tile), in the layer's cell type.
  // `stored` counts the tiles found (files opened, or chunks read). Advances `progress` per key and
  // stops early when a stop is requested. Throws IoError when a tile cannot be read or does not fit
  // the layer.
  std::vector<std::optional<Tile>> read(const std::vector<SpaceTimeKey>& keys, job::Progress& progress,
                                        std::size_t& stored) const;
  // What `stored` counts, for the log: "tile file(s) opened" or "HDF5 chunk(s) read".
  const char* stored_what() const;
  // How many tiles the layer stores: its tile files, or the keys of its HDF5 group. Throws IoError.
  std::size_t stored_tiles() const;

 private:
  io::catalog::CatalogUri uri_;
  io::catalog::LayerId id_;
  io::catalog::LayerAttributes at_;
  std::optional<mpi::hdf5::LayerInfo> hdf5_;  // an HDF5 layer's spec and keys, read once by open()
};

}  // namespace trellis::ops::catalog
