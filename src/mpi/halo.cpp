#include "mpi/halo.hpp"

#include <stdexcept>
#include <string>

#include "core/error.hpp"
#include "mpi/runtime.hpp"

namespace trellis::mpi {

namespace {

// Copies a w x h block of cells (every band) from src at (sx, sy) to dst at (dx, dy).
void copy_block(const Tile& src, int sx, int sy, int w, int h, Tile& dst, int dx, int dy) {
  const std::size_t cb = static_cast<std::size_t>(src.cell_type().bytes());
  for (int b = 0; b < src.bands(); ++b) {
    const std::byte* s = src.band_data(b);
    std::byte* d = dst.band_data(b);
    for (int y = 0; y < h; ++y)
      std::memcpy(d + (static_cast<std::size_t>(dy + y) * dst.cols() + dx) * cb,
                  s + (static_cast<std::size_t>(sy + y) * src.cols() + sx) * cb,
                  static_cast<std::size_t>(w) * cb);
  }
}

// A neighbour direction: the sender lies at (ox, oy) from the receiver (row grows southward).
struct Dir {
  int ox, oy;
};
constexpr Dir kDirs[8] = {{-1, -1}, {0, -1}, {1, -1}, {-1, 0}, {1, 0}, {-1, 1}, {0, 1}, {1, 1}};

int dir_index(int ox, int oy) {
  return (oy + 1) * 3 + (ox + 1);
}
Dir dir_of(int index) {
  return {index % 3 - 1, index / 3 - 1};
}

// The part of a sender tile of size n (cols or rows) the receiver needs when the sender lies at offset
// o along that axis: start and length.
std::pair<int, int> source_span(int o, int n, int r) {
  if (o < 0) return {n - r, r};
  if (o == 0) return {0, n};
  return {0, r};
}
// Where that part goes in the receiver's buffered tile (centre size n).
int target_start(int o, int n, int r) {
  return o < 0 ? 0 : (o == 0 ? r : r + n);
}

void place_strip(Tile& buffered, int centre_cols, int centre_rows, const Tile& strip, Dir d, int r) {
  if (!(strip.cell_type() == buffered.cell_type()) || strip.bands() != buffered.bands())
    throw std::logic_error("halo_exchange: neighbouring tiles differ in cell type or band count");
  const int want_cols = d.ox == 0 ? centre_cols : r;
  const int want_rows = d.oy == 0 ? centre_rows : r;
  if (strip.cols() != want_cols || strip.rows() != want_rows)
    throw std::logic_error("halo_exchange: neighbouring tiles differ in size");
  copy_block(strip, 0, 0, want_cols, want_rows, buffered, target_start(d.ox, centre_cols, r),
             target_start(d.oy, centre_rows, r));
}

}  // namespace

std::map<SpaceTimeKey, Tile> halo_exchange(const TiledLayer& layer, int radius, std::size_t round_bytes) {
  const TileLayout& tl = layer.md.layout.tile_layout;
  if (radius < 0) throw JobError("halo radius " + std::to_string(radius) + " is negative");
  if (radius > tl.tile_cols || radius > tl.tile_rows)
    throw JobError("neighbourhood radius " + std::to_string(radius) + " exceeds the tile size " +
                   std::to_string(tl.tile_cols) + "x" + std::to_string(tl.tile_rows));
  const int r = radius;
  const int me = Runtime::rank();
  const KeyBounds& kb = layer.partitioner.bounds();
  const bool check_bounds = layer.partitioner.kind() != IndexKind::ZOrder;  // owner() is relative to them

  // Buffered tiles with their centres (allocation may throw: before any check-in).
  std::map<SpaceTimeKey, Tile> out;
  for (const auto& [k, t] : layer.tiles) {
    if (t.cols() < r || t.rows() < r)
      throw JobError("neighbourhood radius " + std::to_string(r) + " exceeds the size of tile (" +
                     std::to_string(k.col) + ", " + std::to_string(k.row) + ")");
    Tile b(t.cell_type(), t.cols() + 2 * r, t.rows() + 2 * r, t.bands());
    copy_block(t, 0, 0, t.cols(), t.rows(), b, r, r);
    out.emplace(k, std::move(b));
  }
  if (r == 0) return out;  // every rank takes this path (same radius)

  auto it = layer.tiles.begin();
  auto produce = [&](std::vector<Outgoing>& sends) {
    std::size_t bytes = 0;
    while (it != layer.tiles.end() && (bytes < round_bytes || bytes == 0)) {
      const auto& [k, t] = *it;
      for (const Dir d : kDirs) {
        // This tile lies at (ox, oy) from the receiver.
        const SpaceTimeKey n{k.col - d.ox, k.row - d.oy, k.instant};
        if (n.col < 0 || n.row < 0 || n.col >= tl.layout_cols || n.row >= tl.layout_rows) continue;
        if (check_bounds && !kb.includes(n)) continue;
        const auto [sx, w] = source_span(d.ox, t.cols(), r);
        const auto [sy, h] = source_span(d.oy, t.rows(), r);
        const int dest = layer.partitioner.owner(n);
        if (dest == me) {  // local neighbour: copy directly
          auto f = out.find(n);
          if (f == out.end()) continue;
          const Tile& centre = layer.tiles.at(n);
          if (!(t.cell_type() == centre.cell_type()) || t.bands() != centre.bands() ||
              (d.ox == 0 && t.cols() != centre.cols()) || (d.oy == 0 && t.rows() != centre.rows()))
            throw std::logic_error("halo_exchange: neighbouring tiles differ in cell type, bands or size");
          copy_block(t, sx, sy, w, h, f->second, target_start(d.ox, centre.cols(), r),
                     target_start(d.oy, centre.rows(), r));
          continue;
        }
        Tile strip(t.cell_type(), w, h, t.bands());
        copy_block(t, sx, sy, w, h, strip, 0, 0);
        bytes += strip.byte_size();
        sends.push_back(
            {dest, Piece{n, static_cast<std::uint64_t>(dir_index(d.ox, d.oy)), 0, 0, std::move(strip)}});
      }
      ++it;
    }
    return it != layer.tiles.end();
  };
  auto consume = [&](Piece&& p) {
    auto f = out.find(p.key);
    if (f == out.end()) return;  // not a key this rank holds
    const Tile& centre = layer.tiles.at(p.key);
    place_strip(f->second, centre.cols(), centre.rows(), p.tile, dir_of(static_cast<int>(p.order)), r);
  };
  exchange(produce, consume);
  return out;
}

}  // namespace trellis::mpi
