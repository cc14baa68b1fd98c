// Cutting untiled raster layers into the tiles of a layout (tile_to_layout, cut_tiles; pyramid's
// re-tiling): the layout, the pieces of each window, and their deterministic merge on the owners.
#include "ops/tiling/cut.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "io/geotiff.hpp"
#include "job/plan.hpp"
#include "mpi/collectives.hpp"
#include "mpi/exchange.hpp"
#include "mpi/rebalance.hpp"
#include "mpi/runtime.hpp"

namespace trellis::ops {

namespace {

bool near_integer(double v, double tol = 1e-6) {
  return std::fabs(v - std::round(v)) <= tol;
}

// Copies the cells of `src` (on grid sg) that fall in the destination tile grid `tg` when both grids
// have the same cell size and are aligned; returns false when they are not.
bool aligned(const GridExtent& sg, const GridExtent& tg) {
  double cw = tg.cell_width(), ch = tg.cell_height();
  if (std::fabs(sg.cell_width() - cw) > 1e-9 * cw || std::fabs(sg.cell_height() - ch) > 1e-9 * ch)
    return false;
  return near_integer((sg.extent.xmin - tg.extent.xmin) / cw) &&
         near_integer((tg.extent.ymax - sg.extent.ymax) / ch);
}

// Whether a window on grid sg is exactly the tile on grid tg: its tile can be taken without copying.
bool is_tile(const GridExtent& sg, const GridExtent& tg) {
  return sg.cols == tg.cols && sg.rows == tg.rows && aligned(sg, tg) &&
         std::lround((sg.extent.xmin - tg.extent.xmin) / tg.cell_width()) == 0 &&
         std::lround((tg.extent.ymax - sg.extent.ymax) / tg.cell_height()) == 0;
}

}  // namespace

mpi::Piece cut_piece(const Tile& src, const GridExtent& sg, const Crs& crs, const LayoutDefinition& layout,
                     const SpaceTimeKey& key, io::ResampleMethod method, bool* any) {
  GridExtent tg = layout.tile_grid(key.col, key.row);
  mpi::Piece piece;
  piece.key = key;
  *any = false;
  if (aligned(sg, tg)) {
    double cw = tg.cell_width(), ch = tg.cell_height();
    long dx = std::lround((sg.extent.xmin - tg.extent.xmin) / cw);  // source col 0 in tile cols
    long dy = std::lround((tg.extent.ymax - sg.extent.ymax) / ch);
    long c0 = std::max(0L, dx), r0 = std::max(0L, dy);
    long c1 = std::min<long>(tg.cols, dx + sg.cols), r1 = std::min<long>(tg.rows, dy + sg.rows);
    if (c1 <= c0 || r1 <= r0) return piece;
    int w = static_cast<int>(c1 - c0), h = static_cast<int>(r1 - r0);
    Tile t(src.cell_type(), w, h, src.bands());
    int bytes = src.cell_type().bytes();
    for (int b = 0; b < src.bands(); ++b)
      for (int r = 0; r < h; ++r)
        std::memcpy(t.band_data(b) + static_cast<std::size_t>(r) * w * bytes,
                    src.band_data(b) + ((r0 + r - dy) * src.cols() + (c0 - dx)) * bytes,
                    static_cast<std::size_t>(w) * bytes);
    piece.col_off = static_cast<int>(c0);
    piece.row_off = static_cast<int>(r0);
    piece.tile = std::move(t);
    *any = true;
    return piece;
  }
  // Not aligned: resample the source onto the cells of the tile it covers with GDAL's kernels. As in
  // GeoTrellis, a cell whose centre lies exactly on the source's edge is covered (it takes the edge
  // cell), so the source gets a one-cell border replicating its edge cells before warping.
  Extent cover = sg.extent.intersection(tg.extent);
  if (cover.width() < 0 || cover.height() < 0) return piece;
  double cw = tg.cell_width(), ch = tg.cell_height();
  long c0 = std::max(0L, static_cast<long>(std::ceil((cover.xmin - tg.extent.xmin) / cw - 0.5 - 1e-9)));
  long c1 = std::min<long>(
      tg.cols, static_cast<long>(std::floor((cover.xmax - tg.extent.xmin) / cw - 0.5 + 1e-9)) + 1);
  long r0 = std::max(0L, static_cast<long>(std::ceil((tg.extent.ymax - cover.ymax) / ch - 0.5 - 1e-9)));
  long r1 = std::min<long>(
      tg.rows, static_cast<long>(std::floor((tg.extent.ymax - cover.ymin) / ch - 0.5 + 1e-9)) + 1);
  if (c1 <= c0 || r1 <= r0) return piece;
  GridExtent sub{{tg.extent.xmin + c0 * cw, tg.extent.ymax - r1 * ch, tg.extent.xmin + c1 * cw,
                  tg.extent.ymax - r0 * ch},
                 c1 - c0,
                 r1 - r0};
  Tile padded(src.cell_type(), src.cols() + 2, src.rows() + 2, src.bands());
  int bytes = src.cell_type().bytes();
  for (int b = 0; b < src.bands(); ++b)
    for (int r = 0; r < padded.rows(); ++r) {
      int sr = std::clamp(r - 1, 0, src.rows() - 1);
      std::byte* dst = padded.band_data(b) + static_cast<std::size_t>(r) * padded.cols() * bytes;
      const std::byte* row = src.band_data(b) + static_cast<std::size_t>(sr) * src.cols() * bytes;
      std::memcpy(dst + bytes, row, static_cast<std::size_t>(src.cols()) * bytes);
      std::memcpy(dst, row, bytes);
      std::memcpy(dst + static_cast<std::size_t>(src.cols() + 1) * bytes,
                  row + static_cast<std::size_t>(src.cols() - 1) * bytes, bytes);
    }
  double scw = sg.cell_width(), sch = sg.cell_height();
  GridExtent pg{{sg.extent.xmin - scw, sg.extent.ymin - sch, sg.extent.xmax + scw, sg.extent.ymax + sch},
                sg.cols + 2,
                sg.rows + 2};
  piece.tile = io::warp(io::WarpSource{&padded, pg, crs}, sub, crs, src.cell_type(), method);
  piece.col_off = static_cast<int>(c0);
  piece.row_off = static_cast<int>(r0);
  *any = true;
  return piece;
}

namespace {

// Merges pieces into tiles, deterministically: a cell takes a piece's data when it is still NoData (or
// never written, for raw types) or when the piece comes later in the global order.
class PieceMerger {
 public:
  PieceMerger(CellType ct, int tile_cols, int tile_rows, int bands)
      : ct_(ct), tc_(tile_cols), tr_(tile_rows), bands_(bands) {}

  void add(mpi::Piece&& p) {
    mpi::check_piece(p, ct_, bands_, tc_, tr_);
    auto it = states_.find(p.key);
    bool full = p.col_off == 0 && p.row_off == 0 && p.tile.cols() == tc_ && p.tile.rows() == tr_;
    if (it == states_.end()) {
      State s;
      if (full) {
        s.tile = std::move(p.tile);
        s.first_order = p.order;
      } else {
        s.tile = Tile(ct_, tc_, tr_, bands_);
        s.order.assign(s.tile.cells() * bands_, 0);
        merge(s, p);
      }
      states_.emplace(p.key, std::move(s));
      return;
    }
    State& s = it->second;
    if (s.order.empty()) materialize(s);
    merge(s, p);
  }

  std::map<SpaceTimeKey, Tile> take() {
    std::map<SpaceTimeKey, Tile> out;
    for (auto& [k, s] : states_) out.emplace(k, std::move(s.tile));
    states_.clear();
    return out;
  }

 private:
  struct State {
    Tile tile;
    std::uint64_t first_order = 0;     // the only piece so far covered the whole tile
    std::vector<std::uint64_t> order;  // per band and cell: order of the piece that wrote it (0: none)
  };

  void materialize(State& s) {
    s.order.assign(s.tile.cells() * bands_, 0);
    bool raw = !ct_.has_nodata();
    for (int b = 0; b < bands_; ++b)
      for (int r = 0; r < tr_; ++r)
        for (int c = 0; c < tc_; ++c)
          if (raw || !std::isnan(s.tile.get(b, c, r)))
            s.order[(static_cast<std::size_t>(b) * tr_ + r) * tc_ + c] = s.first_order;
  }

  void merge(State& s, const mpi::Piece& p) {
    const Tile& t = p.tile;
    bool raw = !ct_.has_nodata();
    dispatch_kind(ct_.kind, [&](auto zero) {
      using T = decltype(zero);
      for (int b = 0; b < bands_; ++b) {
        T* dst = s.tile.band_as<T>(b);
        const T* src = t.band_as<T>(b);
        for (int r = 0; r < t.rows(); ++r)
          for (int c = 0; c < t.cols(); ++c) {
            T v = src[static_cast<std::size_t>(r) * t.cols() + c];
            if (!raw && ct_.is_nodata(static_cast<double>(v))) continue;
            std::size_t di = static_cast<std::size_t>(r + p.row_off) * tc_ + (c + p.col_off);
            std::uint64_t& o = s.order[static_cast<std::size_t>(b) * tr_ * tc_ + di];
            bool empty = o == 0 || (!raw && ct_.is_nodata(static_cast<double>(dst[di])));
            if (empty || p.order > o) {
              dst[di] = v;
              o = p.order;
            }
          }
      }
    });
  }

  CellType ct_;
  int tc_, tr_, bands_;
  std::map<SpaceTimeKey, State> states_;
};

}  // namespace

LayerMetadata plan_layout(const RasterLayer& in, const LayoutArgs& a,
                          const std::optional<CellType>& cell_type) {
  if (in.sources.empty()) throw JobError("the input layer has no rasters");
  const auto& first = in.sources.front();
  LayerMetadata md;
  md.crs = first.crs;
  md.bands = first.bands;
  md.cell_type = first.cell_type;
  md.extent = first.grid.extent;
  md.temporal = in.temporal;
  CellSize cs = first.grid.cell_size();
  auto res = [](const CellSize& c) { return std::sqrt(c.width * c.height); };
  for (const auto& s : in.sources) {
    if (!s.crs.equivalent(md.crs))
      throw JobError("the rasters have different CRSs (" + md.crs.label() + " in '" + first.path + "', " +
                     s.crs.label() + " in '" + s.path +
                     "'); read them with one `crs` or reproject them first");
    if (s.bands != md.bands)
      throw JobError("the rasters have different band counts (" + std::to_string(md.bands) + " and " +
                     std::to_string(s.bands) + ")");
    md.extent = md.extent.combine(s.grid.extent);
    md.cell_type = md.cell_type.union_with(s.cell_type);
    if (res(s.grid.cell_size()) < res(cs)) cs = s.grid.cell_size();  // the finest resolution wins
  }
  if (cell_type) md.cell_type = *cell_type;
  if (auto explicit_layout = a.explicit_layout()) {
    md.layout = *explicit_layout;
  } else if (a.scheme == LayoutSchemeKind::Zoom) {
    ZoomedLayoutScheme zs(md.crs, a.tile_size, a.resolution_threshold);
    LayoutLevel lvl = a.zoom ? zs.level_for_zoom(*a.zoom) : zs.level_for(md.extent, cs);
    md.layout = lvl.layout;
    md.zoom = lvl.zoom;
  } else {
    md.layout = FloatingLayoutScheme{a.tile_size, a.tile_size}.level_for(md.extent, cs);
    md.zoom = 0;
  }
  GridBounds gb = md.layout.extent_to_bounds(md.extent).intersection(md.layout.layout_bounds());
  if (gb.empty()) throw JobError("the rasters do not intersect the layout");
  std::int64_t tmin = 0, tmax = 0;
  if (in.temporal) {
    tmin = tmax = first.instant;
    for (const auto& s : in.sources) tmin = std::min(tmin, s.instant), tmax = std::max(tmax, s.instant);
  }
  md.bounds = KeyBounds{{static_cast<std::int32_t>(gb.col_min), static_cast<std::int32_t>(gb.row_min), tmin},
                        {static_cast<std::int32_t>(gb.col_max), static_cast<std::int32_t>(gb.row_max), tmax}};
  return md;
}

std::uint64_t planned_tiles(const RasterLayer& in, const LayerMetadata& md) {
  const GridBounds b = md.bounds.grid();
  std::map<std::int64_t, std::uint64_t> per_instant;
  for (const auto& s : in.sources) {
    const auto keys = [&](const GridExtent& g) {
      return static_cast<std::uint64_t>(md.layout.extent_to_bounds(g.extent).intersection(b).size());
    };
    std::uint64_t n = keys(s.grid);
    if (s.data_cells) {
      // Only where the source may hold data (parts sharing a tile count it twice: an upper bound).
      std::uint64_t in_parts = 0;
      for (const auto& part : *s.data_cells) in_parts = job::sat_add(in_parts, keys(s.sub_grid(part)));
      n = std::min(n, in_parts);
    }
    per_instant[in.temporal ? s.instant : 0] += n;
  }
  std::uint64_t n = 0;
  for (const auto& [t, keys] : per_instant) n += std::min(keys, static_cast<std::uint64_t>(b.size()));
  return n;
}

namespace {

// A window of the layer, whether it reads its own blocks (reads_own_blocks), what reading it costs
// (io::read_costs; 0 unless it reads its own blocks), and the rank whose share it was.
struct CostedWindow {
  RasterWindow window;
  std::uint64_t cost = 0;
  int share_of = 0;
  bool own = false;
};

// The keys of a window its owner reads weigh its read cost plus its cell bytes / kCellBytesPerWeight:
// decoding writes every cell, and a block of NoData, stored in a few hundred bytes, still costs its
// cells' memory (but makes no tile for the steps that follow).
constexpr std::uint64_t kCellBytesPerWeight = 64;

// Whether reading `w` decodes only blocks no other window needs: its edges are block edges of its source
// (or the raster's edges). Strips across a whole row of windows are not.
bool reads_own_blocks(const RasterSource& s, const RasterWindow& w) {
  if (s.block_cols < 1 || s.block_rows < 1) return false;
  const auto on_edge = [](long v, long block, long size) { return v % block == 0 || v == size; };
  return on_edge(w.col0, s.block_cols, s.grid.cols) && on_edge(w.col0 + w.cols, s.block_cols, s.grid.cols) &&
         on_edge(w.row0, s.block_rows, s.grid.rows) && on_edge(w.row0 + w.rows, s.block_rows, s.grid.rows);
}

}  // namespace

TiledLayer tile_raster_layer(const RasterLayer& in, const LayerMetadata& md, io::ResampleMethod method,
                             IndexKind index, std::size_t round_bytes, job::Progress* progress) {
  const LayoutDefinition& L = md.layout;
  const GridBounds lb = L.layout_bounds();
  auto keys_of = [&](const RasterWindow& w) {
    GridBounds gb = L.extent_to_bounds(in.window_grid(w).extent).intersection(lb);
    std::vector<SpaceTimeKey> ks;
    std::int64_t t = in.temporal ? in.sources[w.source].instant : 0;
    for (long r = gb.row_min; r <= gb.row_max && !gb.empty(); ++r)
      for (long c = gb.col_min; c <= gb.col_max; ++c)
        ks.push_back({static_cast<std::int32_t>(c), static_cast<std::int32_t>(r), t});
    return ks;
  };
  const std::uint64_t tile_bytes = static_cast<std::uint64_t>(L.tile_layout.tile_cols) *
                                   static_cast<std::uint64_t>(L.tile_layout.tile_rows) *
                                   static_cast<std::uint64_t>(md.bands * md.cell_type.bytes());
  auto cell_bytes = [&](const RasterWindow& w) {
    return static_cast<std::uint64_t>(w.cols) * static_cast<std::uint64_t>(w.rows) *
           static_cast<std::uint64_t>(md.bands * md.cell_type.bytes());
  };

  // read_geotiff gave each rank a contiguous share of the windows by count, but a tile stays with the
  // rank owning its key, and data is rarely spread evenly (a coast, the gaps of a mosaic). So every rank
  // learns every window and its read cost (the stored bytes, which a block of NoData barely has), the
  // keys are split by that cost, and a window whose blocks no other window needs is read by the rank
  // owning its key: its tile is made where it stays, and nothing travels. Other windows (strips shared
  // by a row of windows) stay in their share, where a run of neighbours decodes each block once.
  std::vector<CostedWindow> all;
  {
    // Only the windows their owners will read need a cost (a striped file has a strip per row or so:
    // asking for each under every window would cost more than it tells).
    std::vector<CostedWindow> share(in.windows.size());
    std::vector<RasterWindow> own;
    std::vector<std::size_t> own_at;  // their places in `share`
    for (std::size_t i = 0; i < in.windows.size(); ++i) {
      const RasterWindow& w = in.windows[i];
      share[i] = {w, 0, mpi::Runtime::rank(), reads_own_blocks(in.sources[w.source], w)};
      if (share[i].own) own.push_back(w), own_at.push_back(i);
    }
    const std::vector<std::uint64_t> costs = io::read_costs(in, own);
    for (std::size_t j = 0; j < own.size(); ++j) share[own_at[j]].cost = costs[j];
    all = mpi::allgatherv_values(share);  // in global order: the shares are contiguous runs of it
  }
  TiledLayer out;
  out.md = md;
  out.partitioner = Partitioner(index, md.bounds, mpi::Runtime::size());
  // Per window of `all`: the key its owner reads it for (the middle one), whether it is its only key,
  // and whether it has any (a window outside the layout makes nothing).
  struct Home {
    SpaceTimeKey key;
    bool only = false, any = false;
  };
  std::vector<Home> homes(all.size());
  {
    // Per key: the read costs of the windows its owner reads, and whether a window read in its share
    // makes it. The owner pays for reading a window only when it reads it; a key made by a window read in
    // its share weighs one whole tile, so such keys split by count, as every key did before the costs
    // were known (a striped file's strips say nothing of where the data is).
    struct Weighed {
      CurvePos pos;
      std::uint64_t cost;
      bool shared;
      bool operator<(const Weighed& o) const { return pos < o.pos; }
    };
    std::vector<Weighed> weighed;
    for (std::size_t i = 0; i < all.size(); ++i) {
      const CostedWindow& cw = all[i];
      const auto ks = keys_of(cw.window);
      if (!ks.empty()) homes[i] = {ks[ks.size() / 2], ks.size() == 1, true};
      const std::uint64_t cost = cw.own ? (cw.cost + cell_bytes(cw.window) / kCellBytesPerWeight) /
                                              std::max<std::size_t>(1, ks.size())
                                        : 0;
      for (const auto& k : ks) weighed.push_back({out.partitioner.position(k), cost, !cw.own});
    }
    std::sort(weighed.begin(), weighed.end());
    std::vector<CurvePos> positions;
    std::vector<std::uint64_t> weights;
    for (std::size_t i = 0; i < weighed.size();) {
      std::uint64_t cost = 0;
      bool shared = false;
      const CurvePos pos = weighed[i].pos;
      for (; i < weighed.size() && weighed[i].pos == pos; ++i)
        cost += weighed[i].cost, shared |= weighed[i].shared;
      positions.push_back(pos);
      weights.push_back(cost + (shared ? tile_bytes : 0) + 1);  // +1: an empty layer splits by count
    }
    out.partitioner.split(positions, weights);
  }
  std::vector<RasterWindow> windows;  // the windows this rank reads, in global order
  // The bytes each sends or holds as a piece before merging, which the rounds bound: none for a window
  // that is exactly a tile this rank owns, whose tile becomes the layer's as it is. Weighing those
  // windows by their cells would cut a rank's reading into rounds that cost unlike the other ranks'
  // (a run of sea, then one of land), each waiting for the slowest at every round.
  std::vector<std::uint64_t> round_weights;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const CostedWindow& cw = all[i];
    const Home& h = homes[i];
    if (!h.any) continue;
    const int owner = out.partitioner.owner(h.key);
    const int reader = cw.own ? owner : cw.share_of;
    if (reader != mpi::Runtime::rank()) continue;
    const bool stays =
        h.only && owner == reader && is_tile(in.window_grid(cw.window), L.tile_grid(h.key.col, h.key.row));
    windows.push_back(cw.window);
    round_weights.push_back(stays ? 0 : cell_bytes(cw.window));
  }
  all.clear();
  all.shrink_to_fit();
  homes.clear();
  homes.shrink_to_fit();

  // GDAL's block cache must hold what a thread reads again (a striped file's strips under a row of
  // windows): below that, every window decodes its strips anew.
  const std::uint64_t per_thread = in.read_cache_bytes();
  if (per_thread > 0)
    io::ensure_gdal_cache(per_thread * static_cast<std::uint64_t>(omp_get_max_threads()) +
                          (std::uint64_t{16} << 20));
  if (progress) progress->begin(windows.size(), "windows");
  PieceMerger merger(md.cell_type, L.tile_layout.tile_cols, L.tile_layout.tile_rows, md.bands);
  // Windows worth about round_bytes of cells per round, cut in parallel. Contiguous runs of windows per
  // thread: each thread has its own GDAL dataset (and cached blocks), so neighbouring windows, which
  // share blocks, go to the same thread.
  mpi::route_pieces(
      windows.size(), [&](std::size_t i) { return static_cast<std::size_t>(round_weights[i]); },
      [&](std::size_t i, std::vector<mpi::Piece>& pieces) {
        const auto& w = windows[i];
        Tile src = io::read_window(in, w);
        if (!(src.cell_type() == md.cell_type)) src = src.convert(md.cell_type);
        const GridExtent sg = in.window_grid(w);
        const auto ks = keys_of(w);
        for (const auto& k : ks) {
          bool any = false;
          mpi::Piece pc;
          if (ks.size() == 1 && is_tile(sg, L.tile_grid(k.col, k.row))) {  // the window is the tile
            pc.key = k;
            pc.tile = std::move(src);
            any = true;
          } else {
            pc = cut_piece(src, sg, md.crs, L, k, method, &any);
          }
          // Layers are sparse: a piece without a data cell makes no tile (nor any traffic).
          if (!any || (md.cell_type.has_nodata() && pc.tile.all_nodata())) continue;
          pc.order = w.ordinal;
          pieces.push_back(std::move(pc));
        }
        if (progress) progress->advance();
      },
      out.partitioner, [&](mpi::Piece&& p) { merger.add(std::move(p)); }, round_bytes, mpi::Schedule::Static);
  out.tiles = merger.take();
  // The split followed the stored bytes; where they misjudged which tiles hold data, even the counts out.
  mpi::rebalance(out, round_bytes);
  return out;
}

}  // namespace trellis::ops
