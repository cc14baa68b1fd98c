#pragma once
// A parallel HDF5 store for tiled raster layers (spatial layers: every key's instant is 0).
//
// File layout. One file holds one or more layers; a layer is the group "/<name>/<zoom>" (e.g. "/ndvi/4"):
//   dataset "tiles"  shape [layout_rows, layout_cols, bands, tile_rows, tile_cols] (tiles[r, c] is key
//                    (col0 + c, row0 + r): the dataset covers the layer's key bounds, not its whole layout),
//                    chunk [1, 1, bands, tile_rows, tile_cols] (one chunk = one tile), the cell kind's native
//                    type (int8, uint8, int16, uint16, int32, float, double; Bool as uint8), deflate at
//                    the given level (0: no filter), fill value the cell type's NoData (0 for raw types),
//                    fill time "if set", allocation time "incremental" as asked. But parallel HDF5 1.10
//                    forces H5D_ALLOC_TIME_EARLY (the MPI-IO driver's ALLOCATE_EARLY feature overrides
//                    the dcpl), so every chunk is written at creation, holding NoData until its tile is
//                    written: a missing tile reads as NoData and costs a compressed NoData chunk on disk
//                    (281 bytes for 256x256 float32), or its full size with deflate_level 0. "keys"
//                    alone tells which tiles exist;
//   dataset "keys"   int32 [n, 2]: (col, row) of every tile written (layer keys), sorted by (row, col);
//   attributes       "metadata" (the caller's JSON text, verbatim) and "cell_type" (CellType::name()),
//                    variable-length UTF-8 strings; "bands", "tile_cols", "tile_rows", "layout_cols",
//                    "layout_rows", "col0", "row0", int64.
// Tile data in "tiles" is band-sequential, rows top-down, exactly a Tile's raw() bytes.
// HDF5 errors become IoError with a one-line message; HDF5's own error printing is turned off.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/cell_type.hpp"
#include "core/key.hpp"
#include "core/tile.hpp"

namespace trellis::mpi::hdf5 {

struct LayerSpec {
  std::string name;  // the group name: not empty, no '/', not "." or ".."
  int zoom = 0;      // >= 0
  CellType cell_type;
  int bands = 1;
  long layout_cols = 0, layout_rows = 0;  // > 0: the tiles the dataset holds across and down
  long col0 = 0, row0 = 0;                // >= 0: the key of tiles[0, 0]
  int tile_cols = 0, tile_rows = 0;       // > 0
  std::string metadata_json;              // stored verbatim (no NUL byte)
  int deflate_level = 6;                  // 0..9; 0: no filter
  bool operator==(const LayerSpec&) const = default;
};

// Bytes of tiles one H5Dwrite of write_layer() carries per rank (at least one tile).
inline constexpr std::size_t kDefaultWriteRoundBytes = std::size_t{64} << 20;

// Writes layers into a new file through MPI-IO (collective I/O on the data communicator).
class Writer {
 public:
  // Collective (checks in first). Creates `path`, truncating any existing file. Throws IoError (on every
  // rank alike) when the file cannot be created, PeerFailure.
  explicit Writer(const std::string& path);
  // Closes the file like close() when the Writer goes out of scope normally. Destroyed by an exception,
  // it leaves the file open (closing is collective and the other ranks may not come): the file is then
  // incomplete. A failure close() would throw ends the job (abort_all): call close() to handle errors.
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Collective, deterministic. Writes the layer `spec` (the same on every rank) from every rank's
  // `local_tiles` (key sets disjoint across ranks; a rank may have none). Every rank writes its tiles
  // with collective I/O in rounds of about round_bytes (the same on every rank), every rank making the
  // same number of H5Dwrite calls. On Linux each rank starts the kernel's write-back of the file every
  // 16 MiB it writes (sync_file_range, not waiting), so that close()'s fsync has little left. Throws
  // before any collective call: std::invalid_argument for a bad spec, a tile whose key is outside the
  // layout or has an instant, or whose size, bands or cell type differ from the spec; std::logic_error
  // after close(). Then (on every rank alike) std::invalid_argument when two ranks hold the same key,
  // IoError when HDF5 fails on any rank (e.g. the layer exists), and PeerFailure.
  void write_layer(const LayerSpec& spec, const std::map<SpaceTimeKey, Tile>& local_tiles,
                   std::size_t round_bytes = kDefaultWriteRoundBytes);

  // Collective (checks in first). Closes the file; idempotent. Throws IoError (on every rank alike),
  // PeerFailure.
  void close();

 private:
  std::string path_;
  std::int64_t file_ = -1;  // hid_t
  int exceptions_ = 0;      // std::uncaught_exceptions() at construction
};

// The readers open a closed file read-only with HDF5's default driver on the calling rank alone: not
// collective, deterministic, not thread-safe (HDF5 is built without thread safety: one thread at a time).
// They throw IoError when the file, the layer or a tile cannot be read or is malformed.

// The (name, zoom) of every group "/<name>/<zoom>" holding a "tiles" dataset, sorted.
std::vector<std::pair<std::string, int>> list_layers(const std::string& path);

struct LayerInfo {
  LayerSpec spec;                  // deflate_level as stored (0 when the dataset has no deflate filter)
  std::vector<SpaceTimeKey> keys;  // the tiles written, sorted by (row, col); instants are 0
};
// The spec and keys of layer /<name>/<zoom>, checked against each other (shape, type, keys in the
// layout, sorted and unique).
LayerInfo read_layer_info(const std::string& path, const std::string& name, int zoom);

// The tiles of `keys` that info.keys holds (other keys are skipped), each read independently (one chunk).
std::map<SpaceTimeKey, Tile> read_tiles(const std::string& path, const LayerInfo& info,
                                        const std::vector<SpaceTimeKey>& keys);

}  // namespace trellis::mpi::hdf5
