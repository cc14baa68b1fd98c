#include "dist/partitioner.hpp"

#include <algorithm>

#include "dist/collectives.hpp"
#include "dist/runtime.hpp"

namespace trellis::dist {

namespace {

SpatialKey clamp_to(const KeyBounds& b, const SpaceTimeKey& k) {
  return {std::clamp(k.col, b.min.col, std::max(b.min.col, b.max.col)),
          std::clamp(k.row, b.min.row, std::max(b.min.row, b.max.row))};
}

}  // namespace

CurvePos Partitioner::position(const SpaceTimeKey& k) const {
  switch (kind_) {
    case IndexKind::ZOrder:
      return {z2_index(k.col, k.row), k.instant};
    case IndexKind::Hilbert:
      return {HilbertSpatialIndex(bounds_, hilbert_xres_, hilbert_yres_).to_index(clamp_to(bounds_, k)),
              k.instant};
    case IndexKind::RowMajor:
      return {rowmajor_index(bounds_, clamp_to(bounds_, k)), k.instant};
  }
  return {0, k.instant};
}

Partitioner Partitioner::balance(const std::vector<SpaceTimeKey>& local_keys, IndexKind kind,
                                 const KeyBounds& bounds) {
  Partitioner p;
  p.kind_ = kind;
  p.bounds_ = bounds;
  p.ranks_ = Runtime::size();
  if (kind == IndexKind::Hilbert && !bounds.grid().empty()) {
    HilbertSpatialIndex h(bounds);
    p.hilbert_xres_ = h.x_resolution();
    p.hilbert_yres_ = h.y_resolution();
  }
  // Everything that may throw (the index functions) runs before the check-in in allgatherv_values.
  std::vector<CurvePos> mine;
  mine.reserve(local_keys.size());
  for (const auto& k : local_keys) mine.push_back(p.position(k));
  std::sort(mine.begin(), mine.end());
  mine.erase(std::unique(mine.begin(), mine.end()), mine.end());

  std::vector<CurvePos> all = allgatherv_values(mine);
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());

  const std::size_t n = static_cast<std::size_t>(p.ranks_);
  p.total_ = all.size();
  const std::size_t base = p.total_ / n, extra = p.total_ % n;
  const std::size_t owning = std::min(n, p.total_);
  p.starts_.reserve(owning);
  for (std::size_t r = 0; r < owning; ++r) p.starts_.push_back(all[r * base + std::min(r, extra)]);
  return p;
}

int Partitioner::owner(const SpaceTimeKey& k) const {
  if (starts_.empty()) return 0;
  const CurvePos pos = position(k);
  auto it = std::upper_bound(starts_.begin(), starts_.end(), pos);
  if (it == starts_.begin()) return 0;
  return static_cast<int>(it - starts_.begin()) - 1;
}

std::size_t Partitioner::count(int rank) const {
  if (rank < 0 || rank >= ranks_) return 0;
  const std::size_t n = static_cast<std::size_t>(ranks_);
  const std::size_t r = static_cast<std::size_t>(rank);
  return total_ / n + (r < total_ % n ? 1 : 0);
}

}  // namespace trellis::dist
