// pyramid: a tiled layer resampled level by level down to a lower zoom (GeoTrellis' Pyramid.up,
// GeoPySpark's `pyramid`). Each level is built from the one below: every child tile, with a halo of its
// neighbours' cells when the kernel reaches beyond it, is resampled with GDAL's warp kernels onto the
// cells of the parent level whose centres it covers (for power-of-two and even layouts: a quarter of the
// parent tile, GeoTrellis 3.x's "downsample each child, merge into the parent's prototype"), and the
// pieces travel to the ranks that own the parent keys in bounded rounds. Parents are never gathered.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/parallel.hpp"
#include "io/warp.hpp"
#include "job/op.hpp"
#include "mpi/exchange.hpp"
#include "mpi/halo.hpp"
#include "mpi/partition.hpp"
#include "ops/pyramid/halve.hpp"
#include "ops/registry.hpp"
#include "ops/tiling/cut.hpp"

namespace trellis::ops {

namespace {

struct PyramidArgs {
  std::optional<int> start_zoom;
  int end_zoom = 0;
  io::ResampleMethod resample_method = io::ResampleMethod::NearestNeighbor;
  std::int64_t round_mb = 64;
};

void declare(job::Schema<PyramidArgs>& s) {
  using A = PyramidArgs;
  s.add("start_zoom", &A::start_zoom,
        "zoom of the input level (default: the layer's zoom, or its local pyramid level for floating "
        "layouts); "
        "another zoom re-tiles the layer to that ZoomedLayoutScheme level first (GeoPySpark 0.1)")
      .range(0, 30);
  s.add("end_zoom", &A::end_zoom, "lowest zoom to build").range(0, 30);
  s.add("resample_method", &A::resample_method, "GDAL kernel that halves the resolution of each level");
  s.add("round_mb", &A::round_mb,
        "MiB of resampled pieces each rank sends per exchange round (bounds memory)")
      .range(1, 1 << 20)
      .site_default(&job::SiteDefaults::round_mb);
  s.check([](const A& a, const job::Checker<A>& c) {
    if (a.start_zoom && a.end_zoom > *a.start_zoom)
      c.fail(&A::end_zoom, "end_zoom " + std::to_string(a.end_zoom) + " is above start_zoom " +
                               std::to_string(*a.start_zoom) +
                               ": a pyramid goes from start_zoom down to end_zoom");
  });
}

// ------------------------------------------------------------------------------------------------
// Level geometry

// True when the layer sits at a level of a power-of-two pyramid: it has a zoom z and 2^z x 2^z tiles
// (every ZoomedLayoutScheme level, and any layout GeoTrellis' ZoomedLayoutScheme.zoomOut applies to).
bool is_power_of_two_level(const LayerMetadata& md) {
  if (!md.zoom || *md.zoom < 0 || *md.zoom > 30) return false;
  const long n = 1L << *md.zoom;
  return md.layout.tile_layout.layout_cols == n && md.layout.tile_layout.layout_rows == n;
}

// The index of the first cell of an axis whose centre lies at or after `u` (u in cell units from the
// axis origin); a centre within 1e-7 cell of u counts as at u (GeoTrellis' GridExtent tolerance).
long first_centre_at_or_after(double u) {
  const double v = u - 0.5;
  const double r = std::round(v);
  if (std::fabs(v - r) < kGridEpsilon) return static_cast<long>(r);
  return static_cast<long>(std::ceil(v));
}

// Cells of the parent grid whose centres lie inside the child extent E (half-open: a centre on E's
// west or north edge belongs to E, one on its east or south edge to the next child), as global cell
// ranges [c0, c1) x [r0, r1) of the parent layout's grid. Adjacent children get adjacent, disjoint
// ranges because they share their edge coordinates exactly (LayoutDefinition::key_extent).
CellWindow parent_cells(const LayoutDefinition& P, const Extent& e) {
  const GridExtent g = P.grid();
  const double cw = g.cell_width(), ch = g.cell_height();
  CellWindow cr;
  cr.c0 = std::clamp(first_centre_at_or_after((e.xmin - P.extent.xmin) / cw), 0L, g.cols);
  cr.c1 = std::clamp(first_centre_at_or_after((e.xmax - P.extent.xmin) / cw), 0L, g.cols);
  cr.r0 = std::clamp(first_centre_at_or_after((P.extent.ymax - e.ymax) / ch), 0L, g.rows);
  cr.r1 = std::clamp(first_centre_at_or_after((P.extent.ymax - e.ymin) / ch), 0L, g.rows);
  return cr;
}

// Child and parent layouts of one pyramid step.
struct Step {
  LayoutDefinition child, parent;
  // The parent tiles are exactly 2 x 2 children (same extent, half the tile counts): child key (c, r)
  // fills quadrant (c % 2, r % 2) of parent (c / 2, r / 2).
  bool aligned = false;
};

Step make_step(const LayoutDefinition& child, const LayoutDefinition& parent) {
  Step s{child, parent, false};
  const TileLayout& c = child.tile_layout;
  const TileLayout& p = parent.tile_layout;
  s.aligned = child.extent == parent.extent && c.layout_cols == 2 * p.layout_cols &&
              c.layout_rows == 2 * p.layout_rows && c.tile_cols == p.tile_cols &&
              c.tile_rows == p.tile_rows && c.tile_cols % 2 == 0 && c.tile_rows % 2 == 0;
  return s;
}

// The parent cells child key (col, row) fills.
CellWindow child_cells(const Step& s, long col, long row) {
  if (s.aligned) {
    const long hc = s.child.tile_layout.tile_cols / 2, hr = s.child.tile_layout.tile_rows / 2;
    return CellWindow{col * hc, row * hr, (col + 1) * hc, (row + 1) * hr};
  }
  return parent_cells(s.parent, s.child.key_extent(col, row));
}

// The part of a child's cell range that falls in one parent tile.
struct Span {
  long key_col = 0, key_row = 0;
  int col_off = 0, row_off = 0, cols = 0, rows = 0;  // inside the parent tile
  long gc0 = 0, gr0 = 0;                             // first cell in the parent layout's grid
};

std::vector<Span> split_by_parent(const Step& s, const CellWindow& cr) {
  std::vector<Span> out;
  if (cr.empty()) return out;
  const long tc = s.parent.tile_layout.tile_cols, tr = s.parent.tile_layout.tile_rows;
  for (long kr = cr.r0 / tr; kr <= (cr.r1 - 1) / tr; ++kr)
    for (long kc = cr.c0 / tc; kc <= (cr.c1 - 1) / tc; ++kc) {
      const long c0 = std::max(cr.c0, kc * tc), c1 = std::min(cr.c1, (kc + 1) * tc);
      const long r0 = std::max(cr.r0, kr * tr), r1 = std::min(cr.r1, (kr + 1) * tr);
      if (c1 <= c0 || r1 <= r0) continue;
      Span sp;
      sp.key_col = kc;
      sp.key_row = kr;
      sp.col_off = static_cast<int>(c0 - kc * tc);
      sp.row_off = static_cast<int>(r0 - kr * tr);
      sp.cols = static_cast<int>(c1 - c0);
      sp.rows = static_cast<int>(r1 - r0);
      sp.gc0 = c0;
      sp.gr0 = r0;
      out.push_back(sp);
    }
  return out;
}

// The grid of `cols x rows` cells of the parent layout starting at global cell (gc0, gr0).
GridExtent sub_grid(const LayoutDefinition& P, long gc0, long gr0, long cols, long rows) {
  const GridExtent g = P.grid();
  const double cw = g.cell_width(), ch = g.cell_height();
  return GridExtent{
      {P.extent.xmin + static_cast<double>(gc0) * cw, P.extent.ymax - static_cast<double>(gr0 + rows) * ch,
       P.extent.xmin + static_cast<double>(gc0 + cols) * cw, P.extent.ymax - static_cast<double>(gr0) * ch},
      cols,
      rows};
}

// The cells of a layout's grid that cover the layer's extent (the window write_geotiff writes): cells
// outside it are not part of the level and stay NoData.

// Metadata of the parent level (Pyramid.up steps 3 and 4): the parent layout, the key bounds the child
// bounds' cells map to (child bounds / 2 for aligned steps), extent = keys' extent ∩ the child extent.
LayerMetadata parent_metadata(const LayerMetadata& md, const Step& s, int zoom) {
  LayerMetadata out = md;
  out.layout = s.parent;
  out.zoom = zoom;
  const GridBounds cb = md.bounds.grid();
  GridBounds pb;
  if (s.aligned) {
    pb = {cb.col_min / 2, cb.row_min / 2, cb.col_max / 2, cb.row_max / 2};
  } else {
    const CellWindow cr = parent_cells(s.parent, s.child.bounds_extent(cb));
    const long tc = s.parent.tile_layout.tile_cols, tr = s.parent.tile_layout.tile_rows;
    pb = cr.empty() ? GridBounds{} : GridBounds{cr.c0 / tc, cr.r0 / tr, (cr.c1 - 1) / tc, (cr.r1 - 1) / tr};
  }
  out.bounds.min.col = static_cast<std::int32_t>(pb.col_min);
  out.bounds.min.row = static_cast<std::int32_t>(pb.row_min);
  out.bounds.max.col = static_cast<std::int32_t>(pb.col_max);
  out.bounds.max.row = static_cast<std::int32_t>(pb.row_max);
  if (!pb.empty()) out.extent = s.parent.bounds_extent(pb).intersection(md.extent);
  return out;
}

// ------------------------------------------------------------------------------------------------
// Kernels

// Cells of the child's neighbours the kernel may read when halving the resolution: GDAL widens a
// kernel of radius k by the downsampling factor (2), plus one cell for rounding. Area kernels read the
// cells under the parent cell only (one extra cell covers the non-power-of-two steps of floating
// layouts); nearest reads one cell.
int kernel_halo(io::ResampleMethod m, bool aligned) {
  switch (m) {
    case io::ResampleMethod::NearestNeighbor:
      return 0;
    case io::ResampleMethod::Bilinear:
      return 3;
    case io::ResampleMethod::CubicConvolution:
    case io::ResampleMethod::CubicSpline:
      return 5;
    case io::ResampleMethod::Lanczos:
      return 7;
    default:
      // Area kernels: on an aligned step every parent cell is exactly 2 x 2 cells of one child.
      return aligned ? 0 : 1;
  }
}

// Sets the cells of `t` (placed at global parent cell (gc0, gr0)) that lie outside window w to NoData
// (zero for raw cell types).
void blank_outside(Tile& t, long gc0, long gr0, const CellWindow& w) {
  auto local = [](long v, int size) { return static_cast<int>(std::clamp(v, 0L, static_cast<long>(size))); };
  t.blank_outside(local(w.c0 - gc0, t.cols()), local(w.r0 - gr0, t.rows()), local(w.c1 - gc0, t.cols()),
                  local(w.r1 - gr0, t.rows()));
}

// Rank-count-independent merge order of a key: its row-major position in the layout, then the instant.
std::uint64_t key_order(const LayoutDefinition& L, const SpaceTimeKey& k) {
  return static_cast<std::uint64_t>(k.row) * static_cast<std::uint64_t>(L.tile_layout.layout_cols) +
         static_cast<std::uint64_t>(k.col) + 1;
}

// ------------------------------------------------------------------------------------------------
// One pyramid step

// Collective: the parent level of `child` with metadata `pmd` (from parent_metadata).
TiledLayer build_parent(const TiledLayer& child, const Step& s, const LayerMetadata& pmd,
                        io::ResampleMethod method, std::size_t round_bytes, job::Progress& progress) {
  const LayerMetadata& md = child.md;
  const int tc = md.layout.tile_layout.tile_cols, tr = md.layout.tile_layout.tile_rows;
  const int radius = std::min({kernel_halo(method, s.aligned), tc, tr});
  const GridBounds pb = pmd.bounds.grid();
  const CellWindow window = data_window(pmd);

  // Children with their halos (the same radius on every rank: the collective is entered by all).
  std::map<SpaceTimeKey, Tile> buffered;
  if (radius > 0) buffered = mpi::halo_exchange(child, radius, round_bytes);

  // GDAL works in the child's pixel frame (x = column, y = -row from the child's north-west corner,
  // no CRS): the geometry of a 2:1 step is then exact in binary floating point, so an area kernel sees
  // exactly its 2 x 2 cells with weight 1 and nearest picks the same cell in every tile, whatever the
  // layout's coordinates (the geotransforms' rounding noise would otherwise tip .5 roundings).
  struct Job {
    SpaceTimeKey key;
    const Tile* src;
    Extent extent;  // the child's georeferenced extent
    std::vector<Span> spans;
  };
  const GridExtent src_grid{{-static_cast<double>(radius), -static_cast<double>(tr + radius),
                             static_cast<double>(tc + radius), static_cast<double>(radius)},
                            tc + 2L * radius,
                            tr + 2L * radius};
  const double ccw = md.layout.grid().cell_width(), cch = md.layout.grid().cell_height();
  // The parent cells of a span in the child's pixel frame.
  auto span_grid = [&](const Job& j, const Span& sp) {
    if (s.aligned)  // the span is the whole child: its tc/2 x tr/2 parent cells
      return GridExtent{{0.0, -static_cast<double>(tr), static_cast<double>(tc), 0.0}, sp.cols, sp.rows};
    if (s.child.extent == s.parent.extent) {
      // Same extent, n child and m parent tiles per axis: parent cell g starts at child-frame coordinate
      // (g * n - col * tc * m) / m, one correctly rounded division (exact when m is a power of two).
      const TileLayout& cl = s.child.tile_layout;
      const TileLayout& pl = s.parent.tile_layout;
      auto at = [](long g, long n, long first, long m) {
        const __int128 num = static_cast<__int128>(g) * n - static_cast<__int128>(first) * m;
        return static_cast<double>(num) / static_cast<double>(m);
      };
      const long x0 = static_cast<long>(j.key.col) * tc, y0 = static_cast<long>(j.key.row) * tr;
      return GridExtent{{at(sp.gc0, cl.layout_cols, x0, pl.layout_cols),
                         -at(sp.gr0 + sp.rows, cl.layout_rows, y0, pl.layout_rows),
                         at(sp.gc0 + sp.cols, cl.layout_cols, x0, pl.layout_cols),
                         -at(sp.gr0, cl.layout_rows, y0, pl.layout_rows)},
                        sp.cols,
                        sp.rows};
    }
    const GridExtent g = sub_grid(s.parent, sp.gc0, sp.gr0, sp.cols, sp.rows);
    return GridExtent{{(g.extent.xmin - j.extent.xmin) / ccw, (g.extent.ymin - j.extent.ymax) / cch,
                       (g.extent.xmax - j.extent.xmin) / ccw, (g.extent.ymax - j.extent.ymax) / cch},
                      sp.cols,
                      sp.rows};
  };
  std::vector<Job> jobs;
  jobs.reserve(child.tiles.size());
  std::vector<SpaceTimeKey> parent_keys;
  for (const auto& [k, t] : child.tiles) {
    Job j;
    j.key = k;
    j.src = radius > 0 ? &buffered.at(k) : &t;
    j.extent = md.layout.key_extent(k.col, k.row);
    for (const Span& sp : split_by_parent(s, child_cells(s, k.col, k.row)))
      if (pb.contains(sp.key_col, sp.key_row)) j.spans.push_back(sp);
    for (const Span& sp : j.spans)
      parent_keys.push_back(
          {static_cast<std::int32_t>(sp.key_col), static_cast<std::int32_t>(sp.key_row), k.instant});
    jobs.push_back(std::move(j));
  }

  TiledLayer out;
  out.md = pmd;
  out.partitioner = mpi::balance(parent_keys, child.partitioner.kind(), pmd.bounds);
  parent_keys.clear();
  parent_keys.shrink_to_fit();

  const bool native = s.aligned && radius == 0 && halves_natively(method, md.cell_type);
  progress.begin(jobs.size(), "tiles");
  // Children worth about round_bytes of pieces (a quarter of a child each) per round, resampled in parallel.
  auto cut = [&](std::size_t i, std::vector<mpi::Piece>& pieces) {
    const Job& j = jobs[i];
    const bool blank = j.src->all_nodata();  // nothing to resample: the pieces are NoData
    for (const Span& sp : j.spans) {
      mpi::Piece pc;
      pc.key = {static_cast<std::int32_t>(sp.key_col), static_cast<std::int32_t>(sp.key_row), j.key.instant};
      pc.order = key_order(md.layout, j.key);
      pc.col_off = sp.col_off;
      pc.row_off = sp.row_off;
      if (blank) {
        pc.tile = Tile(md.cell_type, sp.cols, sp.rows, md.bands);
      } else {
        // An aligned step's span is the whole child, halved: written out for the common kernels, the
        // same cells as GDAL's (halve.hpp), else GDAL's warp.
        std::optional<Tile> halved;
        if (native) halved = halve_aligned(*j.src, method);
        pc.tile = halved ? std::move(*halved)
                         : io::warp(io::WarpSource{j.src, src_grid, Crs{}}, span_grid(j, sp), Crs{},
                                    md.cell_type, method);
        blank_outside(pc.tile, sp.gc0, sp.gr0, window);
      }
      pieces.push_back(std::move(pc));
    }
    progress.advance();
  };
  // Pieces of one parent cover disjoint cells (each parent cell's centre lies in exactly one child), so
  // placing them in any order gives the same tile; cells no child covers keep the prototype's NoData
  // (zeros for raw cell types), like GeoTrellis' ArrayTile.empty.
  auto consume = [&](mpi::Piece&& p) {
    mpi::check_piece(p, md.cell_type, md.bands, tc, tr);
    auto it = out.tiles.find(p.key);
    if (it == out.tiles.end()) it = out.tiles.emplace(p.key, Tile(md.cell_type, tc, tr, md.bands)).first;
    it->second.paste(p.tile, p.col_off, p.row_off);
  };
  mpi::route_pieces(
      jobs.size(), [&](std::size_t i) { return child.tiles.at(jobs[i].key).byte_size() / 4 + 1; }, cut,
      out.partitioner, consume, round_bytes);
  return out;
}

// ------------------------------------------------------------------------------------------------
// GeoPySpark 0.1: a layer not at start_zoom is first re-tiled to ZoomedLayoutScheme level start_zoom.

// The layer's metadata at that level: bounds = KeyBounds(mapKeyTransform(extent)) of the new layout
// (empty when the extent lies outside it).
LayerMetadata retiled_metadata(const LayerMetadata& md, const LayoutLevel& lvl) {
  LayerMetadata out = md;
  out.layout = lvl.layout;
  out.zoom = lvl.zoom;
  GridBounds gb = lvl.layout.extent_to_bounds(md.extent).intersection(lvl.layout.layout_bounds());
  if (gb.empty()) gb = GridBounds{};
  out.bounds.min.col = static_cast<std::int32_t>(gb.col_min);
  out.bounds.min.row = static_cast<std::int32_t>(gb.row_min);
  out.bounds.max.col = static_cast<std::int32_t>(gb.col_max);
  out.bounds.max.row = static_cast<std::int32_t>(gb.row_max);
  return out;
}

TiledLayer retile_to_level(const TiledLayer& in, const LayerMetadata& out_md, io::ResampleMethod method,
                           std::size_t round_bytes, job::Progress& progress) {
  const LayerMetadata& md = in.md;
  const LayoutDefinition& L = out_md.layout;
  const GridBounds gb = out_md.bounds.grid();

  auto keys_of = [&](const SpaceTimeKey& k) {
    const GridBounds b = L.extent_to_bounds(md.layout.key_extent(k.col, k.row)).intersection(gb);
    std::vector<SpaceTimeKey> ks;
    for (long r = b.row_min; r <= b.row_max && !b.empty(); ++r)
      for (long c = b.col_min; c <= b.col_max; ++c)
        ks.push_back({static_cast<std::int32_t>(c), static_cast<std::int32_t>(r), k.instant});
    return ks;
  };
  std::vector<const std::pair<const SpaceTimeKey, Tile>*> src;
  std::vector<SpaceTimeKey> local_keys;
  for (const auto& kv : in.tiles) {
    src.push_back(&kv);
    auto ks = keys_of(kv.first);
    local_keys.insert(local_keys.end(), ks.begin(), ks.end());
  }
  TiledLayer out;
  out.md = out_md;
  out.partitioner = mpi::balance(local_keys, in.partitioner.kind(), out_md.bounds);
  local_keys.clear();
  local_keys.shrink_to_fit();

  progress.begin(src.size(), "tiles");
  std::map<SpaceTimeKey, std::vector<mpi::Piece>> received;
  mpi::route_pieces(
      src.size(), [&](std::size_t i) { return src[i]->second.byte_size(); },
      [&](std::size_t i, std::vector<mpi::Piece>& pieces) {
        const auto& [k, t] = *src[i];
        const GridExtent sg = md.layout.tile_grid(k.col, k.row);
        for (const SpaceTimeKey& nk : keys_of(k)) {
          bool any = false;
          mpi::Piece pc = cut_piece(t, sg, md.crs, L, nk, method, &any);
          if (!any) continue;
          pc.order = key_order(md.layout, k);
          pieces.push_back(std::move(pc));
        }
        progress.advance();
      },
      out.partitioner, [&](mpi::Piece&& pc) { received[pc.key].push_back(std::move(pc)); }, round_bytes);

  // Merge as tile_to_layout does: a cell takes the data of the latest piece (in source key order) that
  // has data there, whatever the arrival order.
  const int tc = L.tile_layout.tile_cols, tr = L.tile_layout.tile_rows;
  const bool raw = !md.cell_type.has_nodata();
  for (auto& [k, pcs] : received) {
    std::sort(pcs.begin(), pcs.end(),
              [](const mpi::Piece& a, const mpi::Piece& b) { return a.order < b.order; });
    Tile t(md.cell_type, tc, tr, md.bands);
    for (const auto& pc : pcs) {
      mpi::check_piece(pc, md.cell_type, md.bands, tc, tr);
      dispatch_kind(md.cell_type.kind, [&](auto zero) {
        using T = decltype(zero);
        for (int b = 0; b < md.bands; ++b) {
          T* dst = t.band_as<T>(b);
          const T* sp = pc.tile.band_as<T>(b);
          for (int r = 0; r < pc.tile.rows(); ++r)
            for (int c = 0; c < pc.tile.cols(); ++c) {
              const T v = sp[static_cast<std::size_t>(r) * pc.tile.cols() + c];
              if (!raw && md.cell_type.is_nodata(static_cast<double>(v))) continue;
              dst[static_cast<std::size_t>(r + pc.row_off) * tc + (c + pc.col_off)] = v;
            }
        }
      });
    }
    out.tiles.emplace(k, std::move(t));
  }
  return out;
}

// ------------------------------------------------------------------------------------------------

bool power_of_two(long n) {
  return n > 0 && (n & (n - 1)) == 0;
}

// The pyramid's geometry, from the layer's metadata and the arguments alone: shared by the plan and the
// run, so that the run builds what was planned.
struct LevelPlan {
  int top = 0;                        // the layer's own level
  int start = 0, end = 0;             // zooms
  std::optional<LayoutLevel> retile;  // the level the layer is first re-tiled to (start != top)
  LayerMetadata start_md;
  std::vector<std::pair<Step, LayerMetadata>> parents;  // zooms start-1 .. end
};

// Not collective, deterministic. Throws JobError (at start_zoom or end_zoom where they are at fault).
LevelPlan plan_levels(const LayerMetadata& md, const PyramidArgs& a, const job::ArgsAccess& ctx) {
  const TileLayout& tl = md.layout.tile_layout;
  if (md.bounds.grid().empty()) throw JobError("Can not pyramid an empty layer (its key bounds are empty)");
  LevelPlan p;
  // The layer's place in a pyramid: a power-of-two level (ZoomedLayoutScheme) at its zoom, or a
  // floating layout at LocalLayoutScheme.inferLayoutLevel.
  const bool zoomed = is_power_of_two_level(md);
  p.top = zoomed ? *md.zoom : FloatingLayoutScheme::infer_layout_level(md.layout);
  p.start = a.start_zoom.value_or(p.top);
  p.end = a.end_zoom;
  if (p.end > p.start)
    throw ctx.param_error(&PyramidArgs::end_zoom, "end_zoom " + std::to_string(p.end) +
                                                      " is above start_zoom " + std::to_string(p.start) +
                                                      " (the layer's zoom)" +
                                                      ": a pyramid goes from start_zoom down to end_zoom");
  // The tiles of the start level: the layer's, or square tiles of tile_rows when re-tiled.
  const int btc = p.start == p.top ? tl.tile_cols : tl.tile_rows, btr = tl.tile_rows;
  if (p.start > p.end && (btc % 2 != 0 || btr % 2 != 0))
    throw JobError(
        "pyramiding halves the resolution into tiles of the same size, so tiles must have an even number "
        "of columns and rows (this layer's tiles are " +
        std::to_string(btc) + "x" + std::to_string(btr) + ")");
  p.start_md = md;
  if (p.start == p.top) {
    p.start_md.zoom = p.top;
  } else {
    // GeoPySpark 0.1: pyramid(start_zoom, ...) of a layer that is not at that zoom re-tiles it to the
    // ZoomedLayoutScheme(crs, tileRows) level start_zoom first; tiles must be a power of two on a side.
    if (!power_of_two(tl.tile_cols) || !power_of_two(tl.tile_rows))
      throw ctx.param_error(
          &PyramidArgs::start_zoom,
          "Tiles must have a col and row count that is a power of 2 to be re-tiled to zoom " +
              std::to_string(p.start) + " (this layer's tiles are " + std::to_string(tl.tile_cols) + "x" +
              std::to_string(tl.tile_rows) + " and it is at " + (zoomed ? "zoom " : "local pyramid level ") +
              std::to_string(p.top) + ")");
    try {
      p.retile = ZoomedLayoutScheme(md.crs, tl.tile_rows).level_for_zoom(p.start);
    } catch (const JobError& e) {
      throw ctx.param_error(&PyramidArgs::start_zoom, std::string("cannot re-tile the layer to zoom ") +
                                                          std::to_string(p.start) + ": " + e.what());
    }
    p.start_md = retiled_metadata(md, *p.retile);
    if (p.start_md.bounds.grid().empty())
      throw ctx.param_error(&PyramidArgs::start_zoom, "the layer's extent " + md.extent.to_string() +
                                                          " lies outside zoom " + std::to_string(p.start) +
                                                          "'s layout");
  }
  const bool base_zoomed = is_power_of_two_level(p.start_md);
  const LayerMetadata* child = &p.start_md;
  for (int z = p.start; z > p.end; --z) {
    const LayoutDefinition parent_layout =
        base_zoomed ? ZoomedLayoutScheme::zoom_out(LayoutLevel{z, child->layout}).layout
                    : FloatingLayoutScheme::zoom_out(child->layout);
    const Step s = make_step(child->layout, parent_layout);
    p.parents.emplace_back(s, parent_metadata(*child, s, z - 1));
    child = &p.parents.back().second;
  }
  return p;
}

// The levels of plan `p` over an input of `in_tiles` tiles. The start level is the input itself unless
// it is re-tiled; a parent has at most as many tiles as its children, and no more than its key bounds
// hold.
job::Shape levels_shape(const LevelPlan& p, std::uint64_t in_tiles, std::uint64_t instants) {
  job::Shape s;
  s.kind = job::ValueKind::Pyramid;
  std::uint64_t tiles =
      p.retile ? job::sat_mul(static_cast<std::uint64_t>(p.start_md.bounds.grid().size()), instants)
               : in_tiles;
  s.levels.push_back({p.start_md, tiles});
  for (const auto& [step, md] : p.parents) {
    tiles = std::min(tiles, job::sat_mul(static_cast<std::uint64_t>(md.bounds.grid().size()), instants));
    s.levels.push_back({md, tiles});
  }
  s.reuses_input = !p.retile;
  return s;
}

job::Shape plan(job::PlanContext& ctx, const PyramidArgs& a) {
  const job::PlannedLayer& in = ctx.input().layer();
  job::Shape s = levels_shape(plan_levels(in.md, a, ctx), in.tiles, in.instants());
  s.working_bytes_per_rank = job::round_working_bytes(a.round_mb);
  if (s.reuses_input || ctx.fits(s, s.working_bytes_per_rank)) return s;
  // A shallower start level that would fit.
  for (int z = *a.start_zoom - 1; z >= a.end_zoom; --z) {
    PyramidArgs b = a;
    b.start_zoom = z;
    try {
      const job::Shape t = levels_shape(plan_levels(in.md, b, ctx), in.tiles, in.instants());
      if (ctx.fits(t, s.working_bytes_per_rank)) {
        s.fits_hint = "start_zoom: " + std::to_string(z);
        break;
      }
    } catch (const JobError&) {
      break;
    }
  }
  return s;
}

job::StepValue run(job::StepContext& ctx, const PyramidArgs& a) {
  // The layer itself becomes the start level (moved, not copied, when no later step reads it).
  TiledLayer in = ctx.take_input<TiledLayer>();
  const LevelPlan p = plan_levels(in.md, a, ctx);
  const io::ResampleMethod method = a.resample_method;
  const std::size_t round = static_cast<std::size_t>(a.round_mb) << 20;

  TiledLayer base;
  if (!p.retile) {
    base = std::move(in);
    base.md.zoom = p.top;
  } else {
    ctx.log.info("re-tiling the layer (at " +
                 std::string(is_power_of_two_level(in.md) ? "zoom " : "local level ") +
                 std::to_string(p.top) + ") to ZoomedLayoutScheme zoom " + std::to_string(p.start));
    base = retile_to_level(in, p.start_md, method, round, ctx.progress);
  }

  Pyramid pyr;
  const TiledLayer* child = &pyr.levels.emplace(p.start, std::move(base)).first->second;
  int z = p.start;
  for (const auto& [s, pmd] : p.parents) {
    const TileLayout& pt = s.parent.tile_layout;
    ctx.log.info("zoom " + std::to_string(z - 1) + ": " + std::to_string(pt.layout_cols) + "x" +
                 std::to_string(pt.layout_rows) + " tiles of " + std::to_string(pt.tile_cols) + "x" +
                 std::to_string(pt.tile_rows) + (s.aligned ? "" : " (not a 2x2 split of the level below)"));
    TiledLayer parent = build_parent(*child, s, pmd, method, round, ctx.progress);
    child = &pyr.levels.emplace(--z, std::move(parent)).first->second;
  }
  return pyr;
}

const OpRegistration kPyramid{job::make_op<PyramidArgs>(
    {.name = "pyramid",
     .group = "tiling",
     .help = "resample a tiled layer level by level from its zoom (start_zoom) down to end_zoom: a pyramid",
     .doc = R"md(## Semantics

GeoPySpark's `pyramid(start_zoom, end_zoom, resample_method)` (0.1) / `pyramid()` (0.2+), GeoTrellis'
`Pyramid.up` applied level after level. The value is a pyramid: the input level and every level down to
`end_zoom`; `write_geotiff` with `{zoom}` in its `uri` writes each level.

- **Layout of each level**. A layer with a zoom z and 2^z x 2^z tiles (every ZoomedLayoutScheme layer:
  `tile_to_layout`/`reproject` with `scheme: zoom`) is pyramided with `ZoomedLayoutScheme.zoomOut`: same
  layout extent and tile size, 2^(z-1) tiles per axis. Any other layout (a floating layout, zoom 0) is
  pyramided with GeoTrellis' `LocalLayoutScheme` (GeoPySpark 0.2+ `LocalLayout` pyramids): the input is
  level `max(ceil(log2 layoutCols), ceil(log2 layoutRows))` and each level has ceil(n/2) tiles per axis,
  over the same extent, down to one tile (`gps-pyramid-local-master`: 16, 8, 4, 2, 1 tiles).
- **start_zoom** defaults to that level. Giving another zoom follows GeoPySpark 0.1: the tiles must be a
  power of two on a side (`gps-pyramid-wrong-layout-v0.1`: a 250-cell floating layout is rejected), and
  the layer is first re-tiled to the `ZoomedLayoutScheme(crs, tile_rows)` level `start_zoom` with
  `resample_method` (each tile cut into the keys it covers, as `tile_to_layout` does).
- **Tiles**. Parent key = child key / 2 (GeoTrellis: the key of the child's centre in the next layout).
  Each child tile is resampled with GDAL's warp kernel `resample_method` to tile_cols/2 x tile_rows/2 cells
  covering the child's extent and placed in its quadrant of the parent (GeoTrellis 3.x: downsample each
  child, then merge into the parent's prototype). Parents whose children are missing keep NoData there
  (zeros for raw cell types). Tiles must have an even number of columns and rows.
- **Exact 2:1 geometry**. GDAL works in the child's pixel frame, so an area kernel (average, mode, median,
  max, min, q1, q3, sum, rms) sees exactly the 2 x 2 cells under a parent cell, each with weight 1, and
  `nearest_neighbor` takes the cell south-east of the parent cell's centre (child cell (2i+1, 2j+1)),
  whatever the layout's coordinates. On these steps `average` and `nearest_neighbor` are computed by
  trellis itself, cell for cell what GDAL's kernel gives (integer means rounded half up, and moved one
  step off the NoData value when they land on it, as GDAL does); GDAL's per-tile warp setup cost more
  than the arithmetic.
- **Every kernel, no seams**. Kernels that read beyond the cells under a parent cell (bilinear,
  cubic_convolution, cubic_spline, lanczos; the area kernels by one cell) get a halo of the neighbouring
  children's cells from whichever rank holds them (up to the tile size), so each level equals GDAL's
  resampling of the stitched level below (`gdalwarp -r <method>` to half the size, with the constant
  scale 1/2). GeoTrellis 3.x rejects the cubic and lanczos kernels for pyramids; trellis accepts them.
- **NoData-aware**: GDAL's kernels skip NoData source cells, so the average, max, min, mode, median,
  sum… of NoData and data is the data; a parent cell whose source cells are all NoData is NoData.
- **Cells outside the layer's extent** (snapped outward to the level's cell grid, the window
  `write_geotiff` writes) are NoData in every level, so wide kernels do not spread data past the extent.
- **Floating layouts whose tile count is odd** (3 tiles -> 2): parent tiles are not 2 x 2 children.
  GeoTrellis sends each child to the one parent holding its centre; trellis resamples each child (with its
  halo) onto every parent cell whose centre it covers, so such levels are also the resampling of the level
  below.
- **Metadata** per level (`Pyramid.up`): the zoomed-out layout, key bounds = child bounds / 2 (the parent
  keys of the child bounds' cells for odd floating steps), extent = the new keys' extent ∩ the child
  extent, zoom - 1; cell type, CRS and key instants are unchanged (spacetime layers keep their instants).
- **Distribution**. Each level is balanced anew on the input's space-filling curve; pieces travel to the
  owners of their parent keys in rounds of about `round_mb` MiB per rank, and no layer is gathered. The
  result does not depend on the number of ranks.

## Example

```yaml
- id: tiled
  op: tile_to_layout
  scheme: zoom
  tile_size: 256
- id: pyramid
  op: pyramid
  end_zoom: 2
  resample_method: average
- op: write_geotiff
  input: pyramid
  uri: out/levels/z{zoom}.tif
```
)md",
     .accepts = {job::ValueKind::TiledLayer},
     .produces = job::ValueKind::Pyramid},
    declare, run, plan)};

}  // namespace

}  // namespace trellis::ops
