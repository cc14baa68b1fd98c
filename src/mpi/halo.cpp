#include "mpi/halo.hpp"

#include <algorithm>
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

// The part of a source tile (index s along an axis of tiles of n cells) that the buffer of the tile
// at index d (radius r) covers: [start, start + len) in the source tile, and where it goes in d's buffer.
struct Span {
  int start = 0, len = 0, at = 0;
};
Span covered(long s, long d, int n, int r) {
  const long lo = std::max(s * n, d * n - r), hi = std::min((s + 1) * n, (d + 1) * n + r);
  if (hi <= lo) return {};
  return {static_cast<int>(lo - s * n), static_cast<int>(hi - lo), static_cast<int>(lo - (d * n - r))};
}

}  // namespace

std::map<SpaceTimeKey, Tile> buffer_tiles(const TiledLayer& layer, int radius, std::size_t round_bytes,
                                          HaloKeys keys) {
  const TileLayout& tl = layer.md.layout.tile_layout;
  if (radius < 0) throw JobError("halo radius " + std::to_string(radius) + " is negative");
  const int r = radius, tc = tl.tile_cols, tr = tl.tile_rows;
  const int me = Runtime::rank();
  const KeyBounds& kb = layer.partitioner.bounds();
  const bool check_bounds = layer.partitioner.kind() != IndexKind::ZOrder;  // owner() is relative to them
  // How many tiles away a buffer reaches, along each axis.
  const int reach_x = tc > 0 ? (r + tc - 1) / tc : 0, reach_y = tr > 0 ? (r + tr - 1) / tr : 0;

  // Buffered tiles with their centres (allocation may throw: before any check-in).
  std::map<SpaceTimeKey, Tile> out;
  for (const auto& [k, t] : layer.tiles) {
    if (t.cols() != tc || t.rows() != tr)
      throw std::logic_error("halo: tile (" + std::to_string(k.col) + ", " + std::to_string(k.row) + ") is " +
                             std::to_string(t.cols()) + "x" + std::to_string(t.rows()) +
                             ", not the layout's " + std::to_string(tc) + "x" + std::to_string(tr));
    Tile b(t.cell_type(), tc + 2 * r, tr + 2 * r, t.bands());
    copy_block(t, 0, 0, tc, tr, b, r, r);
    out.emplace(k, std::move(b));
  }
  if (r == 0) return out;  // every rank takes this path (same radius)

  // The buffered tile of key n, made (NoData) for a key without a tile when `keys` asks for it; null when
  // this rank holds no buffer for n.
  const KeyBounds& layer_bounds = layer.md.bounds;
  auto buffer_of = [&](const SpaceTimeKey& n, const Tile& like) -> Tile* {
    auto f = out.find(n);
    if (f != out.end()) return &f->second;
    if (keys == HaloKeys::Existing || !layer_bounds.includes(n)) return nullptr;
    return &out.emplace(n, Tile(like.cell_type(), tc + 2 * r, tr + 2 * r, like.bands())).first->second;
  };
  auto place = [&](Tile& buffered, const Tile& part, int x, int y) {
    if (!(part.cell_type() == buffered.cell_type()) || part.bands() != buffered.bands())
      throw std::logic_error("halo: neighbouring tiles differ in cell type or band count");
    if (x < 0 || y < 0 || x + part.cols() > buffered.cols() || y + part.rows() > buffered.rows())
      throw std::logic_error("halo: a part does not fit its buffered tile");
    copy_block(part, 0, 0, part.cols(), part.rows(), buffered, x, y);
  };
  auto it = layer.tiles.begin();
  auto produce = [&](std::vector<Outgoing>& sends) {
    std::size_t bytes = 0;
    while (it != layer.tiles.end() && (bytes < round_bytes || bytes == 0)) {
      const auto& [k, t] = *it;
      for (int dy = -reach_y; dy <= reach_y; ++dy)
        for (int dx = -reach_x; dx <= reach_x; ++dx) {
          if (dx == 0 && dy == 0) continue;
          const SpaceTimeKey n{k.col + dx, k.row + dy, k.instant};  // the tile whose buffer this feeds
          if (n.col < 0 || n.row < 0 || n.col >= tl.layout_cols || n.row >= tl.layout_rows) continue;
          if (check_bounds && !kb.includes(n)) continue;
          const Span sx = covered(k.col, n.col, tc, r), sy = covered(k.row, n.row, tr, r);
          if (sx.len == 0 || sy.len == 0) continue;
          const int dest = layer.partitioner.owner(n);
          if (dest == me) {  // local neighbour: copy directly
            Tile* f = buffer_of(n, t);
            if (!f) continue;
            if (!(t.cell_type() == f->cell_type()) || t.bands() != f->bands())
              throw std::logic_error("halo: neighbouring tiles differ in cell type or band count");
            copy_block(t, sx.start, sy.start, sx.len, sy.len, *f, sx.at, sy.at);
            continue;
          }
          Tile part(t.cell_type(), sx.len, sy.len, t.bands());
          copy_block(t, sx.start, sy.start, sx.len, sy.len, part, 0, 0);
          bytes += part.byte_size();
          sends.push_back({dest, Piece{n, 0, sx.at, sy.at, std::move(part)}});
        }
      ++it;
    }
    return it != layer.tiles.end();
  };
  auto consume = [&](Piece&& p) {
    Tile* f = buffer_of(p.key, p.tile);
    if (!f) return;  // not a key this rank holds
    place(*f, p.tile, p.col_off, p.row_off);
  };
  exchange(produce, consume);
  return out;
}

std::map<SpaceTimeKey, Tile> halo_exchange(const TiledLayer& layer, int radius, std::size_t round_bytes) {
  const TileLayout& tl = layer.md.layout.tile_layout;
  if (radius > tl.tile_cols || radius > tl.tile_rows)
    throw JobError("neighbourhood radius " + std::to_string(radius) + " exceeds the tile size " +
                   std::to_string(tl.tile_cols) + "x" + std::to_string(tl.tile_rows));
  return buffer_tiles(layer, radius, round_bytes);
}

}  // namespace trellis::mpi
