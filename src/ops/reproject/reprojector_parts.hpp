#pragma once
// The pieces of the distributed reprojection, shared by its files: the per-rank footprint summary, what
// each destination tile needs (DestPlan), and the Reprojector itself. footprint.cpp finds the keys and
// plans, mosaic.cpp builds and warps the mosaics, reprojector.cpp runs the phases (its header comment
// says how). Internal to src/ops/reproject.
#include <omp.h>

#include <atomic>
#include <climits>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "job/log.hpp"
#include "job/progress.hpp"
#include "layer/layer.hpp"
#include "ops/reproject/geometry.hpp"
#include "ops/reproject/reproject.hpp"

namespace trellis::ops::reproject_detail {

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
  mutable std::atomic<std::size_t> native_ = 0;  // tiles warped by the written-out bilinear (debug log)
};

// Copies the cells of `src` (its cell (0,0) at mosaic cell (oc, orow)) into the mosaic; with
// `data_only`, NoData cells of src leave the mosaic's cell as it is.
void blit(const Tile& src, long oc, long orow, Tile& m, bool data_only);

}  // namespace trellis::ops::reproject_detail
