// reproject: a tiled layer to a new layout in another CRS (GeoPySpark's TiledRasterLayer.reproject),
// by buffered reprojection with GDAL's warp kernels.
//
// 1. Target grid (every rank, from metadata alone): `scheme: float` takes the extent and cell size
//    GDAL's GDALSuggestedWarpOutput2 gives for the layer's data window (what gdalwarp picks), then
//    FloatingLayoutScheme(tile_size); `scheme: zoom` takes ZoomedLayoutScheme(target_crs, tile_size,
//    resolution_threshold).level_for(that extent, that cell size), or `zoom`; `extent` + `layout` are
//    explicit. A geographic layer going to a Mercator CRS is clipped at the Mercator latitude limit;
//    a layer whose footprint crosses the antimeridian of a geographic or WebMercator target gets a
//    continuous extent (GDAL's suggestion in a CRS centred on the footprint).
// 2. Keys: each rank reprojects the footprint of each tile it owns (densified boundary and interior
//    points); the result's keys are the target keys those footprints intersect (across the antimeridian
//    too). Bounds and extent come from a reduction; the keys are balanced over the ranks and sent to
//    their owners.
// 3. Buffered reprojection: for each key it owns, a rank maps the key's extent back to the source CRS
//    (densified), buffers it by the kernel's reach (scaled when downsampling) and lists the source tiles
//    it touches. Keys are processed in batches (about round_mb MiB of remote source tiles each); the
//    owners of those source tiles send them, once per batch and requesting rank, in one exchange round
//    per batch. The source tiles a key needs are mosaicked (clipped to the layer's data window, as the
//    stitched layer would be) and warped with io::warp (GDAL's kernel, as gdalwarp), so there are no
//    seams at tile edges and each key sees the same mosaic whatever the rank count.
#include "ops/reproject/reprojector.hpp"

#include <omp.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <span>

#include "core/parallel.hpp"
#include "mpi/collectives.hpp"
#include "mpi/exchange.hpp"
#include "mpi/fetch.hpp"
#include "mpi/partition.hpp"
#include "mpi/reduce.hpp"
#include "mpi/runtime.hpp"
#include "mpi/work_share.hpp"
#include "ops/reproject/geometry.hpp"

namespace trellis::ops {

namespace {

// ------------------------------------------------------------------------------------------------
// The distributed reprojection

// Per-rank footprint summary, merged over ranks (min/max: the same whatever the order).
struct FootprintAcc {
  std::int64_t keys = 0;
  std::int64_t cmin = INT64_MAX, rmin = INT64_MAX, tmin = INT64_MAX;
  std::int64_t cmax = INT64_MIN, rmax = INT64_MIN, tmax = INT64_MIN;
  double xmin = INFINITY, ymin = INFINITY, xmax = -INFINITY, ymax = -INFINITY;

  void add_key(const SpaceTimeKey& k) {
    ++keys;
    cmin = std::min<std::int64_t>(cmin, k.col), cmax = std::max<std::int64_t>(cmax, k.col);
    rmin = std::min<std::int64_t>(rmin, k.row), rmax = std::max<std::int64_t>(rmax, k.row);
    tmin = std::min(tmin, k.instant), tmax = std::max(tmax, k.instant);
  }
  void add_extent(const Extent& e) {
    xmin = std::min(xmin, e.xmin), ymin = std::min(ymin, e.ymin);
    xmax = std::max(xmax, e.xmax), ymax = std::max(ymax, e.ymax);
  }
  void merge(const FootprintAcc& o) {
    keys += o.keys;
    cmin = std::min(cmin, o.cmin), rmin = std::min(rmin, o.rmin), tmin = std::min(tmin, o.tmin);
    cmax = std::max(cmax, o.cmax), rmax = std::max(rmax, o.rmax), tmax = std::max(tmax, o.tmax);
    add_extent({o.xmin, o.ymin, o.xmax, o.ymax});
  }
  void serialize(std::vector<std::byte>& out) const {
    const auto* b = reinterpret_cast<const std::byte*>(this);
    out.insert(out.end(), b, b + sizeof *this);
  }
  static FootprintAcc deserialize(std::span<const std::byte> bytes) {
    FootprintAcc a;
    if (bytes.size() != sizeof a) throw IoError("corrupt message: footprint summary");
    std::memcpy(&a, bytes.data(), sizeof a);
    return a;
  }
};

// A source tile placed in a mosaic: its key, and how many periods west of its own position it sits.
struct Placement {
  SpaceTimeKey key;
  int shift = 0;
};

// What one destination tile needs: the source tiles, and the mosaic window in source layout cells
// (frame of the unshifted layer; columns may lie outside the layout when tiles are shifted).
struct DestPlan {
  SpaceTimeKey key;
  CurvePos pos;
  std::vector<Placement> placements;  // shifted tiles first, unshifted last (they win overlaps)
  long c0 = 0, r0 = 0, cols = 0, rows = 0;
};

// Per-rank counters of phase 6, for the debug log.
struct WarpStats {
  std::size_t warped = 0, shipped = 0, foreign = 0, checkins = 0;
  double warp_seconds = 0, checkin_seconds = 0, round_seconds = 0;
};

class Reprojector {
 public:
  // With `consumable`, the input's tiles are freed as soon as no destination tile needs them any more
  // (the result's tiles reuse their memory); `consumable` must be `in`.
  Reprojector(const TiledLayer& in, const ReprojectTarget& target, io::ResampleMethod method,
              TiledLayer* consumable = nullptr)
      : in_(in),
        consumable_(consumable),
        src_(in.md.crs),
        tgt_(target.md.crs),
        md_(target.md),
        from_footprint_(target.extent_from_footprint),
        method_(method) {
    const LayoutDefinition& Ls = in_.md.layout;
    scw_ = Ls.cell_size().width;
    sch_ = Ls.cell_size().height;
    stc_ = Ls.tile_layout.tile_cols;
    str_ = Ls.tile_layout.tile_rows;
    window_ = data_window(in_.md);
    clip_lat_ = src_.geographic && tgt_.mercator;
    if (src_.period > 0) {
      double pc = src_.period / scw_;
      if (std::fabs(pc - std::round(pc)) < 1e-6) period_cells_ = std::lround(pc);
    }
    int n = std::max(1, omp_get_max_threads());
    for (int i = 0; i < n; ++i) {
      fwd_.push_back(std::make_unique<Transform>(src_.crs, tgt_.crs));
      inv_.push_back(std::make_unique<Transform>(tgt_.crs, src_.crs));
    }
  }

  // `share_seconds`: the interval of the work-sharing check-ins (0: no sharing).
  TiledLayer run(IndexKind index, std::size_t round_bytes, double share_seconds, job::Progress* progress,
                 const job::Logger* log = nullptr);

 private:
  void footprint_keys(const SpaceTimeKey& k, std::vector<SpaceTimeKey>& keys, FootprintAcc& acc) const;
  DestPlan plan_dest(const SpaceTimeKey& k) const;
  // Warps plans [b0, b1) of `plans` (this rank's batch; its remote source tiles in `received`) into
  // `out`, sharing the work with the other ranks every `interval` seconds (0: alone): at each check-in
  // (collective) the ranks report what they have left and how fast they go; a rank expected to finish
  // well after another ships it the mosaics of the plans at the end of its batch, and gets the warped
  // tiles back at the next check-in. Every rank calls it once per round. `warped(front)`: plans
  // [b0, front) are warped.
  void share_warp(const std::vector<DestPlan>& plans, std::size_t b0, std::size_t b1,
                  const std::map<SpaceTimeKey, Tile>& received, TiledLayer& out, double interval,
                  std::int64_t max_ship, const std::function<void(std::size_t)>& warped,
                  job::Progress* progress, WarpStats& stats) const;
  // The source cells a destination tile is warped from (nullopt: none, the tile is blank), and the warp.
  std::optional<Tile> mosaic_for(const DestPlan& plan, const std::map<SpaceTimeKey, Tile>& received) const;
  Tile warp_mosaic(const DestPlan& plan, const Tile& mosaic) const;
  Tile warp_dest(const DestPlan& plan, const std::map<SpaceTimeKey, Tile>& received) const;
  Tile blank_tile() const;

  // One GDAL transformer per thread between the cells of the two data windows, reused by the warps of
  // unshifted mosaics (building it per tile costs more than warping the tile); the windows are the
  // rasters gdalwarp would read and write, so GDAL wraps longitudes around the same centres. GDAL's
  // warper looks for the poles of the destination through its own transformers only, so a target
  // layout holding a pole keeps one transformer per warp.
  void make_grid_transforms() {
    auto frame = [](const LayoutDefinition& L, const CellWindow& w) {
      const CellSize cs = L.cell_size();
      return io::GridFrame{L.extent.xmin + static_cast<double>(w.c0) * cs.width,
                           L.extent.ymax - static_cast<double>(w.r0) * cs.height,
                           cs.width,
                           cs.height,
                           w.c1 - w.c0,
                           w.r1 - w.r0};
    };
    auto fits = [](const CellWindow& w) {
      return !w.empty() && w.c1 - w.c0 <= INT_MAX && w.r1 - w.r0 <= INT_MAX;
    };
    if (src_.crs.equivalent(tgt_.crs) || !fits(window_) || !fits(out_window_) || holds_pole()) return;
    const io::GridFrame sf = frame(in_.md.layout, window_), tf = frame(md_.layout, out_window_);
    for (std::size_t i = 0; i < fwd_.size(); ++i)
      grid_tr_.push_back(std::make_unique<io::GridTransform>(src_.crs, sf, tgt_.crs, tf));
  }
  // True when a pole (latitude +-89.9999, as GDAL's warper probes) lies inside the target layout.
  bool holds_pole() const {
    try {
      std::vector<double> xs{0.0, 0.0}, ys{-89.9999, 89.9999};
      Transform(Crs::from_epsg(4326), tgt_.crs).apply(xs, ys);
      for (std::size_t i = 0; i < xs.size(); ++i)
        if (std::isfinite(xs[i]) && std::isfinite(ys[i]) && md_.layout.extent.contains_point(xs[i], ys[i]))
          return true;
      return false;
    } catch (const std::exception&) {
      return true;  // cannot tell: keep GDAL's own transformers
    }
  }
  const io::GridTransform* grid_tr() const {
    return grid_tr_.empty()
               ? nullptr
               : grid_tr_[static_cast<std::size_t>(omp_get_thread_num()) % grid_tr_.size()].get();
  }
  Transform& fwd() const { return *fwd_[static_cast<std::size_t>(omp_get_thread_num()) % fwd_.size()]; }
  Transform& inv() const { return *inv_[static_cast<std::size_t>(omp_get_thread_num()) % inv_.size()]; }

  const TiledLayer& in_;
  TiledLayer* consumable_;
  CrsInfo src_, tgt_;
  LayerMetadata md_;
  bool from_footprint_;
  io::ResampleMethod method_;
  double scw_ = 1, sch_ = 1;
  int stc_ = 1, str_ = 1;
  CellWindow window_;      // the source layer's data window (source layout cells)
  CellWindow out_window_;  // the result's data window (target layout cells)
  bool clip_lat_ = false;
  long period_cells_ = 0;  // the source period in cells, when whole
  std::vector<std::unique_ptr<Transform>> fwd_, inv_;
  std::vector<std::unique_ptr<io::GridTransform>> grid_tr_;
};

void Reprojector::footprint_keys(const SpaceTimeKey& k, std::vector<SpaceTimeKey>& keys,
                                 FootprintAcc& acc) const {
  Extent e = in_.md.layout.key_extent(k.col, k.row).intersection(in_.md.extent);
  if (clip_lat_) {
    e.ymin = std::max(e.ymin, -kMercatorMaxLatitude);
    e.ymax = std::min(e.ymax, kMercatorMaxLatitude);
  }
  if (!(e.width() > 0 && e.height() > 0)) return;
  std::vector<double> xs, ys;
  sample_extent(e, 20, 7, xs, ys);
  fwd().apply(xs, ys);
  auto f = points_envelope(xs, ys, tgt_.period);
  if (!f) return;
  const LayoutDefinition& Lt = md_.layout;
  const CellSize tcs = Lt.cell_size();
  const GridBounds lb = Lt.layout_bounds();
  for (int s : {0, -1, 1}) {
    if (s != 0 && tgt_.period <= 0) break;
    Extent fs{f->xmin + s * tgt_.period, f->ymin, f->xmax + s * tgt_.period, f->ymax};
    Extent i = fs.intersection(Lt.extent);
    // Across the antimeridian, a sliver (PROJ's -180 for +180) is not a footprint.
    const double tol = s == 0 ? 0.0 : 0.5 * tcs.width;
    if (!(i.width() > tol && i.height() > 0)) continue;
    GridBounds gb = Lt.extent_to_bounds(i).intersection(lb);
    if (gb.empty()) continue;
    acc.add_extent(i);
    for (long r = gb.row_min; r <= gb.row_max; ++r)
      for (long c = gb.col_min; c <= gb.col_max; ++c) {
        SpaceTimeKey dk{static_cast<std::int32_t>(c), static_cast<std::int32_t>(r), k.instant};
        keys.push_back(dk);
        acc.add_key(dk);
      }
  }
}

DestPlan Reprojector::plan_dest(const SpaceTimeKey& k) const {
  DestPlan plan;
  plan.key = k;
  const LayoutDefinition& Lt = md_.layout;
  const LayoutDefinition& Ls = in_.md.layout;
  std::vector<double> xs, ys;
  sample_extent(Lt.key_extent(k.col, k.row), 20, 7, xs, ys);
  inv().apply(xs, ys);
  auto region = points_envelope(xs, ys, src_.period);
  if (!region) return plan;
  const Extent R = *region;
  // The kernel's reach, scaled when the destination is coarser than the source (downsampling).
  const double sx = R.width() / scw_ / Lt.tile_layout.tile_cols;
  const double sy = R.height() / sch_ / Lt.tile_layout.tile_rows;
  const double rad = kernel_radius(method_);
  const long bx = static_cast<long>(std::ceil(rad * std::max(1.0, sx))) + 2;
  const long by = static_cast<long>(std::ceil(rad * std::max(1.0, sy))) + 2;

  struct Win {
    int shift;
    long c0, r0, c1, r1;  // in the source layout's cells, [c0, c1) x [r0, r1)
  };
  std::vector<Win> wins;
  for (int s : {0, -1, 1}) {
    if (s != 0 && src_.period <= 0) break;
    Extent rs{R.xmin + s * src_.period, R.ymin, R.xmax + s * src_.period, R.ymax};
    if (s != 0) {
      // Another copy of the region is used only where it really covers data across the antimeridian.
      Extent ov = rs.intersection(in_.md.extent);
      if (!(ov.width() > 0.5 * scw_ && ov.height() > 0)) continue;
    }
    Win w{s, lfloor((rs.xmin - Ls.extent.xmin) / scw_) - bx, lfloor((Ls.extent.ymax - rs.ymax) / sch_) - by,
          lfloor((rs.xmax - Ls.extent.xmin) / scw_) + bx + 1,
          lfloor((Ls.extent.ymax - rs.ymin) / sch_) + by + 1};
    w.c0 = std::max(w.c0, window_.c0), w.r0 = std::max(w.r0, window_.r0);
    w.c1 = std::min(w.c1, window_.c1), w.r1 = std::min(w.r1, window_.r1);
    if (w.c1 <= w.c0 || w.r1 <= w.r0) continue;
    wins.push_back(w);
  }
  if (wins.empty()) return plan;
  if (wins.size() > 1 && period_cells_ == 0) {
    // Shifted tiles cannot share a grid with the others: keep the largest window (the unshifted on ties).
    auto area = [](const Win& w) { return (w.c1 - w.c0) * (w.r1 - w.r0); };
    Win best = wins.front();
    for (const auto& w : wins)
      if (area(w) > area(best)) best = w;
    wins = {best};
  }
  long mc0 = LONG_MAX, mr0 = LONG_MAX, mc1 = LONG_MIN, mr1 = LONG_MIN;
  for (const auto& w : wins) {
    long off = static_cast<long>(w.shift) * period_cells_;
    mc0 = std::min(mc0, w.c0 - off), mc1 = std::max(mc1, w.c1 - off);
    mr0 = std::min(mr0, w.r0), mr1 = std::max(mr1, w.r1);
  }
  plan.c0 = mc0, plan.r0 = mr0, plan.cols = mc1 - mc0, plan.rows = mr1 - mr0;
  const GridBounds kb = in_.md.bounds.grid();
  std::stable_sort(wins.begin(), wins.end(),
                   [](const Win& a, const Win& b) { return (a.shift != 0) > (b.shift != 0); });
  for (const auto& w : wins) {
    GridBounds gb =
        GridBounds{w.c0 / stc_, w.r0 / str_, (w.c1 - 1) / stc_, (w.r1 - 1) / str_}.intersection(kb);
    for (long r = gb.row_min; r <= gb.row_max && !gb.empty(); ++r)
      for (long c = gb.col_min; c <= gb.col_max; ++c)
        plan.placements.push_back(
            {{static_cast<std::int32_t>(c), static_cast<std::int32_t>(r), k.instant}, w.shift});
  }
  return plan;
}

// Copies the cells of `src` (its cell (0,0) at mosaic cell (oc, orow)) into the mosaic; with
// `data_only`, NoData cells of src leave the mosaic's cell as it is.
void blit(const Tile& src, long oc, long orow, Tile& m, bool data_only) {
  if (oc >= m.cols() || orow >= m.rows() || oc + src.cols() <= 0 || orow + src.rows() <= 0) return;
  const int c = static_cast<int>(oc), r = static_cast<int>(orow);
  if (data_only)
    m.paste_data(src, c, r);
  else
    m.paste(src, c, r);
}

std::optional<Tile> Reprojector::mosaic_for(const DestPlan& plan,
                                            const std::map<SpaceTimeKey, Tile>& received) const {
  if (plan.cols <= 0 || plan.rows <= 0) return std::nullopt;
  if (plan.cols > INT_MAX || plan.rows > INT_MAX)
    throw IoError("reproject: the source region of tile (" + std::to_string(plan.key.col) + ", " +
                  std::to_string(plan.key.row) + ") is too large");
  Tile mosaic(in_.md.cell_type, static_cast<int>(plan.cols), static_cast<int>(plan.rows), in_.md.bands);
  const bool data_only = in_.md.cell_type.has_nodata() || in_.md.cell_type.is_float();
  bool any = false;
  for (const auto& pl : plan.placements) {
    const Tile* t = nullptr;
    if (auto it = in_.tiles.find(pl.key); it != in_.tiles.end())
      t = &it->second;
    else if (auto jt = received.find(pl.key); jt != received.end())
      t = &jt->second;
    if (!t) continue;
    Tile converted;
    if (!(t->cell_type() == in_.md.cell_type)) {
      converted = t->convert(in_.md.cell_type);
      t = &converted;
    }
    long oc = static_cast<long>(pl.key.col) * stc_ - static_cast<long>(pl.shift) * period_cells_ - plan.c0;
    long orow = static_cast<long>(pl.key.row) * str_ - plan.r0;
    blit(*t, oc, orow, mosaic, data_only);
    any = true;
  }
  if (!any) return std::nullopt;
  return mosaic;
}

Tile Reprojector::blank_tile() const {
  const TileLayout& tl = md_.layout.tile_layout;
  return Tile(md_.cell_type, tl.tile_cols, tl.tile_rows, md_.bands);
}

Tile Reprojector::warp_mosaic(const DestPlan& plan, const Tile& mosaic) const {
  const LayoutDefinition& Lt = md_.layout;
  if (mosaic.cols() != plan.cols || mosaic.rows() != plan.rows || !(mosaic.cell_type() == in_.md.cell_type))
    throw IoError("reproject: the mosaic of tile (" + std::to_string(plan.key.col) + ", " +
                  std::to_string(plan.key.row) + ") does not match its plan");
  GridExtent mg{{in_.md.layout.extent.xmin + static_cast<double>(plan.c0) * scw_,
                 in_.md.layout.extent.ymax - static_cast<double>(plan.r0 + plan.rows) * sch_,
                 in_.md.layout.extent.xmin + static_cast<double>(plan.c0 + plan.cols) * scw_,
                 in_.md.layout.extent.ymax - static_cast<double>(plan.r0) * sch_},
                plan.cols,
                plan.rows};
  // Only the cells inside the layer's extent are warped (the window write_geotiff stitches, the grid gdalwarp
  // writes): GDAL estimates its kernel's scale from the source window a chunk maps to, so a chunk reaching
  // beyond the data would be scaled differently from the same cells in gdalwarp's output.
  const long tc = Lt.tile_layout.tile_cols, tr = Lt.tile_layout.tile_rows;
  const long kc0 = static_cast<long>(plan.key.col) * tc, kr0 = static_cast<long>(plan.key.row) * tr;
  const long c0 = std::max(kc0, out_window_.c0), c1 = std::min(kc0 + tc, out_window_.c1);
  const long r0 = std::max(kr0, out_window_.r0), r1 = std::min(kr0 + tr, out_window_.r1);
  if (c1 <= c0 || r1 <= r0) return blank_tile();
  const io::WarpSource src{&mosaic, mg, in_.md.crs};
  const bool shifted = std::any_of(plan.placements.begin(), plan.placements.end(),
                                   [](const Placement& p) { return p.shift != 0; });
  const io::FramePlacement placement{grid_tr(), plan.c0 - window_.c0, plan.r0 - window_.r0,
                                     c0 - out_window_.c0, r0 - out_window_.r0};
  const io::FramePlacement* pl = placement.transform && !shifted ? &placement : nullptr;
  if (c1 - c0 == tc && r1 - r0 == tr)
    return io::warp(src, Lt.tile_grid(plan.key.col, plan.key.row), md_.crs, md_.cell_type, method_, 1, pl);
  Tile part = io::warp(src, window_grid(Lt, c0, r0, c1, r1), md_.crs, md_.cell_type, method_, 1, pl);
  Tile out = blank_tile();
  blit(part, c0 - kc0, r0 - kr0, out, false);
  return out;
}

Tile Reprojector::warp_dest(const DestPlan& plan, const std::map<SpaceTimeKey, Tile>& received) const {
  std::optional<Tile> mosaic = mosaic_for(plan, received);
  return mosaic ? warp_mosaic(plan, *mosaic) : blank_tile();
}

void Reprojector::share_warp(const std::vector<DestPlan>& plans, std::size_t b0, std::size_t b1,
                             const std::map<SpaceTimeKey, Tile>& received, TiledLayer& out, double interval,
                             std::int64_t max_ship, const std::function<void(std::size_t)>& warped,
                             job::Progress* progress, WarpStats& stats) const {
  const std::size_t threads = fwd_.size();
  std::size_t front = b0, back = b1;  // own plans not yet warped nor shipped
  struct Foreign {
    SpaceTimeKey key;
    int owner;
    Tile mosaic;
  };
  std::vector<Foreign> foreign;        // shipped to this rank, to warp
  std::vector<mpi::Outgoing> results;  // warped for other ranks, to send back
  auto advance = [&](std::size_t n) {
    if (progress) progress->advance(n);
  };
  auto warp_own = [&](std::size_t n) {
    const double t = mpi::Runtime::wtime();
    std::vector<Tile> tiles(n);
    parallel_for(n, [&](std::size_t i) { tiles[i] = warp_dest(plans[front + i], received); });
    for (std::size_t i = 0; i < n; ++i) out.tiles.emplace(plans[front + i].key, std::move(tiles[i]));
    front += n;
    stats.warped += n;
    stats.warp_seconds += mpi::Runtime::wtime() - t;
    advance(n);
    warped(front);
  };
  auto warp_foreign = [&](std::size_t n) {
    const double t = mpi::Runtime::wtime();
    std::vector<Tile> tiles(n);
    parallel_for(
        n, [&](std::size_t i) { tiles[i] = warp_mosaic(plan_dest(foreign[i].key), foreign[i].mosaic); });
    for (std::size_t i = 0; i < n; ++i) {
      mpi::Piece pc;
      pc.key = foreign[i].key;
      pc.tile = std::move(tiles[i]);
      results.push_back({foreign[i].owner, std::move(pc)});
    }
    foreign.erase(foreign.begin(), foreign.begin() + static_cast<std::ptrdiff_t>(n));
    stats.warped += n;
    stats.warp_seconds += mpi::Runtime::wtime() - t;
  };
  if (interval <= 0 || mpi::Runtime::size() == 1) {
    const std::size_t chunk = 32 * threads;
    while (front < back) warp_own(std::min(back - front, chunk));
    return;
  }
  for (;;) {
    // A slice of work: shipped mosaics first (their owners wait for them), then the batch.
    const double start = mpi::Runtime::wtime();
    while (mpi::Runtime::wtime() - start < interval) {
      if (!foreign.empty())
        warp_foreign(std::min(foreign.size(), threads));
      else if (front < back)
        warp_own(std::min(back - front, threads));
      else
        break;
    }
    // The check-in: the shipped mosaics go to the ranks about to idle, the tiles warped for other ranks
    // go back to their owners.
    const double checkin = mpi::Runtime::wtime();
    const mpi::ShareStatus mine{
        static_cast<std::int64_t>(back - front), static_cast<std::int64_t>(foreign.size()),
        stats.warp_seconds > 0 ? static_cast<double>(stats.warped) / stats.warp_seconds : 0.0};
    ++stats.checkins;
    const mpi::CheckIn c = mpi::share_check_in(
        mine, interval, max_ship,
        [&](const mpi::Shipment& sh, std::vector<mpi::Piece>& items) {
          for (std::int64_t i = 0; i < sh.count; ++i) {
            const DestPlan& plan = plans[--back];
            std::optional<Tile> mosaic = mosaic_for(plan, received);
            if (!mosaic) {  // a blank tile: nothing to warp
              out.tiles.emplace(plan.key, blank_tile());
              advance(1);
              continue;
            }
            mpi::Piece pc;
            pc.key = plan.key;
            pc.tile = std::move(*mosaic);
            items.push_back(std::move(pc));
            ++stats.shipped;
          }
        },
        std::move(results),
        [&](mpi::Piece&& pc, int owner) {
          foreign.push_back({pc.key, owner, std::move(pc.tile)});
          ++stats.foreign;
        },
        [&](mpi::Piece&& pc) {
          out.tiles.emplace(pc.key, std::move(pc.tile));
          advance(1);
        });
    results.clear();
    stats.checkin_seconds += mpi::Runtime::wtime() - checkin;
    // With nothing left anywhere, no shipment was made and this round delivered the last results.
    if (c.left == 0) break;
  }
}

TiledLayer Reprojector::run(IndexKind index, std::size_t round_bytes, double share_seconds,
                            job::Progress* progress, const job::Logger* log) {
  const int me = mpi::Runtime::rank();
  const double t0 = mpi::Runtime::wtime();

  // 1. The target keys the footprints of this rank's tiles touch.
  std::vector<SpaceTimeKey> src_keys;
  src_keys.reserve(in_.tiles.size());
  for (const auto& [k, _] : in_.tiles) src_keys.push_back(k);
  const int nthreads = static_cast<int>(fwd_.size());
  std::vector<std::vector<SpaceTimeKey>> thread_keys(nthreads);
  std::vector<FootprintAcc> thread_acc(nthreads);
  parallel_for(src_keys.size(), [&](std::size_t i) {
    std::size_t t = static_cast<std::size_t>(omp_get_thread_num()) % thread_keys.size();
    footprint_keys(src_keys[i], thread_keys[t], thread_acc[t]);
  });
  std::vector<SpaceTimeKey> local_keys;
  FootprintAcc acc;
  for (int t = 0; t < nthreads; ++t) {
    local_keys.insert(local_keys.end(), thread_keys[t].begin(), thread_keys[t].end());
    acc.merge(thread_acc[t]);
  }
  thread_keys.clear();
  std::sort(local_keys.begin(), local_keys.end());
  local_keys.erase(std::unique(local_keys.begin(), local_keys.end()), local_keys.end());

  // 2. Bounds and extent over all ranks (the same on every rank, so an error here is everyone's).
  const FootprintAcc all = mpi::allreduce(acc);
  if (all.keys == 0)
    throw JobError("the layer does not intersect the target layout (target CRS " + md_.crs.definition() +
                   ", layout extent " + md_.layout.extent.to_string() + ")");
  TiledLayer out;
  out.md = md_;
  out.md.bounds =
      KeyBounds{{static_cast<std::int32_t>(all.cmin), static_cast<std::int32_t>(all.rmin), all.tmin},
                {static_cast<std::int32_t>(all.cmax), static_cast<std::int32_t>(all.rmax), all.tmax}};
  if (from_footprint_)
    out.md.extent = Extent{all.xmin, all.ymin, all.xmax, all.ymax}.intersection(md_.layout.extent);
  out_window_ = data_window(out.md);
  make_grid_transforms();
  out.partitioner = mpi::balance(local_keys, index, out.md.bounds);

  // 3. The keys go to their owners.
  const std::set<SpaceTimeKey> owned = mpi::gather_owned_keys(local_keys, out.partitioner, round_bytes);
  std::vector<SpaceTimeKey>().swap(local_keys);

  // 4. What each owned key needs, in curve order (those needing no remote tile first), cut into batches
  //    of about round_bytes of remote tiles.
  std::vector<DestPlan> plans(owned.size());
  {
    std::vector<SpaceTimeKey> ks(owned.begin(), owned.end());
    parallel_for(ks.size(), [&](std::size_t i) {
      plans[i] = plan_dest(ks[i]);
      plans[i].pos = out.partitioner.position(ks[i]);
    });
  }
  std::sort(plans.begin(), plans.end(), [](const DestPlan& a, const DestPlan& b) {
    return a.pos != b.pos ? a.pos < b.pos : a.key < b.key;
  });
  // The plans that need no remote tile first (they all go in the first batch): every rank's first batch
  // then holds most of its work, wherever its remote tiles lie on the curve, and the batches the ranks
  // warp between two rounds are about even.
  std::stable_partition(plans.begin(), plans.end(), [&](const DestPlan& d) {
    return std::none_of(d.placements.begin(), d.placements.end(),
                        [&](const Placement& pl) { return in_.partitioner.owner(pl.key) != me; });
  });
  const std::size_t src_tile_bytes =
      static_cast<std::size_t>(stc_) * str_ * in_.md.bands * in_.md.cell_type.bytes();
  std::vector<std::size_t> batch_start;           // plans[batch_start[b] .. batch_start[b+1])
  std::vector<std::vector<SpaceTimeKey>> wanted;  // remote source keys of each batch
  {
    std::set<SpaceTimeKey> cur;
    for (std::size_t i = 0; i < plans.size(); ++i) {
      std::vector<SpaceTimeKey> remote;
      for (const auto& pl : plans[i].placements)
        if (in_.partitioner.owner(pl.key) != me && !cur.count(pl.key)) remote.push_back(pl.key);
      std::sort(remote.begin(), remote.end());
      remote.erase(std::unique(remote.begin(), remote.end()), remote.end());
      if (batch_start.empty() ||
          (!cur.empty() && (cur.size() + remote.size()) * src_tile_bytes > round_bytes)) {
        if (!batch_start.empty()) wanted.emplace_back(cur.begin(), cur.end());
        batch_start.push_back(i);
        cur.clear();
        remote.clear();
        for (const auto& pl : plans[i].placements)
          if (in_.partitioner.owner(pl.key) != me) remote.push_back(pl.key);
      }
      cur.insert(remote.begin(), remote.end());
    }
    if (!batch_start.empty()) wanted.emplace_back(cur.begin(), cur.end());
    batch_start.push_back(plans.size());
  }
  const std::size_t nbatches = wanted.size();

  // 5. Requests to the owners of the source tiles (the rounds themselves are phase 6).
  mpi::TileFetch fetch(
      in_.partitioner, wanted, [&](const SpaceTimeKey& k) { return in_.tiles.count(k) > 0; }, round_bytes);
  const auto& requests = fetch.requests();  // per batch: (source key, rank)

  // A consumable input's tiles are freed once no destination tile needs them and they are sent:
  // release[i + 1] holds the tiles free after plans [0, i] are warped (batch b's round was sent before
  // its first plan is warped; a round past this rank's batches, at the end), release[0] the unused ones.
  std::vector<std::vector<SpaceTimeKey>> release;
  if (consumable_) {
    std::map<SpaceTimeKey, std::size_t> last;  // 1 + that plan index
    for (const auto& [k, _] : in_.tiles) last[k] = 0;
    auto use = [&](const SpaceTimeKey& k, std::size_t i) {
      if (auto it = last.find(k); it != last.end()) it->second = std::max(it->second, i + 1);
    };
    for (std::size_t i = 0; i < plans.size(); ++i)
      for (const auto& pl : plans[i].placements) use(pl.key, i);
    for (std::size_t b = 0; b < requests.size(); ++b)
      for (const auto& [k, rank] : requests[b]) use(k, b < nbatches ? batch_start[b] : plans.size());
    release.resize(plans.size() + 2);
    for (const auto& [k, i] : last) release[i].push_back(k);
  }
  std::size_t released = 0;
  const std::size_t input_tiles = in_.tiles.size();
  std::size_t freed_early = 0;  // source tiles freed while this rank still had plans to warp
  auto release_until = [&](std::size_t warped) {  // plans [0, warped) are warped
    for (; released < release.size() && released <= warped; ++released) {
      for (const auto& k : release[released]) consumable_->tiles.erase(k);
      if (warped < plans.size()) freed_early += release[released].size();
      std::vector<SpaceTimeKey>().swap(release[released]);
    }
  };
  release_until(0);

  // 6. Batch by batch, every rank taking part in as many rounds as the rank with the most batches: one
  //    exchange round brings each rank the remote source tiles of its batch, then the ranks warp their
  //    batches, sharing the work (share_warp).
  if (progress) progress->begin(plans.size(), "tiles");
  const std::size_t rounds = fetch.rounds();
  const std::int64_t max_ship =
      static_cast<std::int64_t>(std::max<std::size_t>(1, round_bytes / src_tile_bytes));
  WarpStats stats;
  const double t6 = mpi::Runtime::wtime();
  std::map<SpaceTimeKey, Tile> received;
  for (std::size_t b = 0; b < rounds; ++b) {
    const double round_start = mpi::Runtime::wtime();
    received = fetch.round(b, in_.tiles);
    stats.round_seconds += mpi::Runtime::wtime() - round_start;
    const std::size_t b0 = b < nbatches ? batch_start[b] : plans.size();
    const std::size_t b1 = b < nbatches ? batch_start[b + 1] : plans.size();
    share_warp(plans, b0, b1, received, out, share_seconds, max_ship, release_until, progress, stats);
    received.clear();
    release_until(b1);
  }
  release_until(release.size());
  if (log) {
    const std::string input_use = consumable_ ? "freed " + std::to_string(freed_early) + " of " +
                                                    std::to_string(input_tiles) +
                                                    " source tile(s) before the last warp"
                                              : "source tiles kept for a later step";
    char line[512];
    std::snprintf(line, sizeof line,
                  "reproject: %zu tile(s) in %zu batch(es): planned in %.2f s; warped %zu tile(s) in %.2f s "
                  "(%zu for other ranks), shipped %zu to other ranks; %.2f s in %zu round(s), %.2f s in %zu "
                  "check-in(s), %.2f s in all; %s; %s",
                  plans.size(), nbatches, t6 - t0, stats.warped, stats.warp_seconds, stats.foreign,
                  stats.shipped, stats.round_seconds, rounds, stats.checkin_seconds, stats.checkins,
                  mpi::Runtime::wtime() - t6, input_use.c_str(),
                  grid_tr_.empty() ? "a GDAL transformer per tile" : "one GDAL transformer per thread");
    log->debug_all(line);
  }
  return out;
}

}  // namespace

TiledLayer reproject_layer(const TiledLayer& in, const ReprojectTarget& target, io::ResampleMethod method,
                           IndexKind index, std::size_t round_bytes, double share_seconds,
                           TiledLayer* consumable, job::Progress* progress, const job::Logger* log) {
  Reprojector rp(in, target, method, consumable);
  return rp.run(index, round_bytes, share_seconds, progress, log);
}

}  // namespace trellis::ops
