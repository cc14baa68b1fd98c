// The footprints of the source tiles in the target layout, and what each destination tile needs.
#include <algorithm>

#include "ops/reproject/reprojector_parts.hpp"

namespace trellis::ops::reproject_detail {

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

}  // namespace trellis::ops::reproject_detail
