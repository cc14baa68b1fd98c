#include "ops/rasterize/burn.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <span>

namespace trellis::ops {

GridBounds shape_keys(const LayoutDefinition& L, const BurnShape& s) {
  GridBounds b = L.extent_to_bounds(s.envelope);
  if (!s.parts.lines.empty() || !s.parts.points.empty()) {
    b.col_max += 1;
    b.row_max += 1;
  }
  return b.intersection(L.layout_bounds());
}

TileBurner::TileBurner(const LayoutDefinition& L, const BurnOptions& o)
    : layout_(L), grid_(L.grid()), opt_(o) {}

BurntCells TileBurner::burn(std::size_t index, const BurnShape& s, long col, long row) {
  const GridExtent tile = layout_.tile_grid(col, row);
  BurntCells out;
  // mask_ is all zero between calls: only the window of the shape's envelope is written, scanned and
  // cleared (a feature in a corner of a tile costs its corner, not the tile).
  std::vector<std::uint8_t>& mask = mask_;
  mask.resize(static_cast<std::size_t>(tile.cols) * static_cast<std::size_t>(tile.rows), 0);
  const double cw = tile.cell_width(), ch = tile.cell_height();
  const Extent& e = s.envelope;
  const long c0 =
      std::clamp(static_cast<long>(std::floor((e.xmin - tile.extent.xmin) / cw)) - 1, 0L, tile.cols);
  const long c1 =
      std::clamp(static_cast<long>(std::ceil((e.xmax - tile.extent.xmin) / cw)) + 1, c0, tile.cols);
  const long r0 =
      std::clamp(static_cast<long>(std::floor((tile.extent.ymax - e.ymax) / ch)) - 1, 0L, tile.rows);
  const long r1 =
      std::clamp(static_cast<long>(std::ceil((tile.extent.ymax - e.ymin) / ch)) + 1, r0, tile.rows);
  bool& meets = out.meets;
  if (!s.parts.polygons.empty() && burn_polygons(index, s, tile, meets, mask)) {
    clear_window(tile.cols, c0, r0, c1, r1);
    out.whole = true;
    return out;
  }
  const long col0 = col * tile.cols, row0 = row * tile.rows;  // the tile's first cell in the layout grid
  for (const auto& line : s.parts.lines) burn_line(line, col0, row0, meets, mask);
  for (const auto& p : s.parts.points) {
    const long c = grid_.map_to_col(p.x) - col0, r = grid_.map_to_row(p.y) - row0;
    if (c < 0 || r < 0 || c >= tile.cols || r >= tile.rows) continue;
    mask[static_cast<std::size_t>(r * tile.cols + c)] = 1;
    meets = true;
  }
  // The window as runs of cells.
  for (long r = r0; r < r1; ++r) {
    const std::uint8_t* m = mask.data() + r * tile.cols;
    const std::uint8_t* end = m + c1;
    for (const std::uint8_t* p = m + c0; p < end;) {
      // memchr: the mask holds 0 and 1 only.
      const auto* first =
          static_cast<const std::uint8_t*>(std::memchr(p, 1, static_cast<std::size_t>(end - p)));
      if (!first) break;
      const auto* last =
          static_cast<const std::uint8_t*>(std::memchr(first, 0, static_cast<std::size_t>(end - first)));
      if (!last) last = end;
      out.runs.push_back({static_cast<std::int32_t>(r), static_cast<std::int32_t>(first - m),
                          static_cast<std::int32_t>(last - m)});
      p = last;
    }
  }
  clear_window(tile.cols, c0, r0, c1, r1);
  return out;
}

void TileBurner::clear_window(long cols, long c0, long r0, long c1, long r1) {
  for (long r = r0; r < r1; ++r)
    std::fill(mask_.begin() + r * cols + c0, mask_.begin() + r * cols + c1, std::uint8_t{0});
}

bool TileBurner::burn_polygons(std::size_t index, const BurnShape& s, const GridExtent& tile, bool& meets,
                               std::vector<std::uint8_t>& mask) {
  // Parts are cached by (shape, part) in the clipper: a unique number per polygonal part.
  for (std::size_t p = 0; p < s.parts.polygons.size(); ++p) {
    geos_.load(index * 65536 + p, s.parts.polygons[p]);
    const auto rel = geos_.relate(tile.extent);
    if (rel == io::PolygonClipper::Relation::Disjoint) continue;
    if (rel == io::PolygonClipper::Relation::Inside) {
      meets = true;
      return true;
    }
    if (opt_.sample == SampleType::PixelIsArea) {
      if (!geos_.interior_meets(tile.extent)) continue;
      meets = true;
      geos_.burn_cell_areas(tile, opt_.include_partial, part_);
    } else {
      auto pieces = geos_.clip(tile.extent);
      if (pieces.empty()) continue;  // only the boundary touches the tile
      meets = true;
      std::vector<std::span<const unsigned char>> spans(pieces.begin(), pieces.end());
      io::burn_cell_centres(spans, tile, mask, /*clear=*/false);
      continue;
    }
    for (std::size_t i = 0; i < mask.size(); ++i) mask[i] |= part_[i];
  }
  return false;
}

// GeoTrellis' Bresenham (Rasterizer.foreachCellInGridLine) over the layout's grid: from the cell of each
// vertex to the next one's, the last cell of every segment but the last skipped (it starts the next).
// Only the cells inside the tile are marked; segments whose cells cannot reach the tile are skipped.
void TileBurner::burn_line(const std::vector<io::Point2>& line, long col0, long row0, bool& meets,
                           std::vector<std::uint8_t>& mask) const {
  const long tc = layout_.tile_layout.tile_cols, tr = layout_.tile_layout.tile_rows;
  auto mark = [&](long x, long y) {
    const long c = x - col0, r = y - row0;
    if (c < 0 || r < 0 || c >= tc || r >= tr) return;
    mask[static_cast<std::size_t>(r * tc + c)] = 1;
    meets = true;
  };
  for (std::size_t i = 1; i < line.size(); ++i) {
    const long x0 = grid_.map_to_col(line[i - 1].x), y0 = grid_.map_to_row(line[i - 1].y);
    const long x1 = grid_.map_to_col(line[i].x), y1 = grid_.map_to_row(line[i].y);
    const bool skip_last = i != line.size() - 1;
    if (std::max(x0, x1) < col0 || std::min(x0, x1) >= col0 + tc || std::max(y0, y1) < row0 ||
        std::min(y0, y1) >= row0 + tr)
      continue;
    const long dx = std::labs(x1 - x0), dy = std::labs(y1 - y0);
    const long sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    long x = x0, y = y0;
    long err = (dx > dy ? dx : -dy) / 2;  // truncated toward zero, as Scala's Int division
    while (x != x1 || y != y1) {
      mark(x, y);
      const long e2 = err;
      if (e2 > -dx) {
        err -= dy;
        x += sx;
      }
      if (e2 < dy) {
        if (opt_.four_connected && e2 > -dx) mark(x, y);
        err += dx;
        y += sy;
      }
    }
    if (!skip_last) mark(x, y);
  }
}

std::vector<TileBurns> burn_tiles(const LayoutDefinition& L, const BurnOptions& o,
                                  const std::vector<BurnShape>& shapes, const std::vector<std::size_t>& order,
                                  const std::vector<SpaceTimeKey>& keys, job::Progress& progress) {
  // The (shape, key) pairs, shape by shape in burn order: the shape's envelope keys among `keys` (the
  // smaller of the two is scanned).
  struct Pair {
    std::size_t rank;  // position in `order`
    SpaceTimeKey key;
  };
  std::vector<Pair> pairs;
  for (std::size_t o_i = 0; o_i < order.size(); ++o_i) {
    const BurnShape& b = shapes[order[o_i]];
    if (b.parts.empty()) continue;
    const GridBounds g = shape_keys(L, b);
    if (g.empty()) continue;
    if (static_cast<std::uint64_t>(g.size()) < keys.size()) {
      for (long r = g.row_min; r <= g.row_max; ++r)
        for (long c = g.col_min; c <= g.col_max; ++c) {
          const SpaceTimeKey k{static_cast<std::int32_t>(c), static_cast<std::int32_t>(r), 0};
          if (std::binary_search(keys.begin(), keys.end(), k)) pairs.push_back({o_i, k});
        }
    } else {
      for (const SpaceTimeKey& k : keys)
        if (g.contains(k.col, k.row)) pairs.push_back({o_i, k});
    }
  }
  progress.begin(pairs.size(), "tile-feature pairs");
  std::vector<BurntCells> burnt(pairs.size());
  std::exception_ptr failure;
#pragma omp parallel
  {
    TileBurner burner(L, o);
#pragma omp for schedule(dynamic, 16)
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      try {
        const std::size_t f = order[pairs[i].rank];
        burnt[i] = burner.burn(f, shapes[f], pairs[i].key.col, pairs[i].key.row);
        progress.advance();
      } catch (...) {
#pragma omp critical(burn_failure)
        if (!failure) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);

  // Grouped by key; a stable sort keeps each tile's burns in burn order.
  std::vector<std::size_t> by_key(pairs.size());
  for (std::size_t i = 0; i < by_key.size(); ++i) by_key[i] = i;
  std::stable_sort(by_key.begin(), by_key.end(),
                   [&](std::size_t x, std::size_t y) { return pairs[x].key < pairs[y].key; });
  std::vector<TileBurns> out;
  for (std::size_t j : by_key) {
    if (out.empty() || !(out.back().key == pairs[j].key)) out.push_back({pairs[j].key, {}});
    out.back().burns.emplace_back(order[pairs[j].rank], std::move(burnt[j]));
  }
  return out;
}

}  // namespace trellis::ops
