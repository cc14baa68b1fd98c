#include "layer/partitioner.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace trellis {

namespace {

SpatialKey clamp_to(const KeyBounds& b, const SpaceTimeKey& k) {
  return {std::clamp(k.col, b.min.col, std::max(b.min.col, b.max.col)),
          std::clamp(k.row, b.min.row, std::max(b.min.row, b.max.row))};
}

}  // namespace

Partitioner::Partitioner(IndexKind kind, const KeyBounds& bounds, int ranks)
    : kind_(kind), bounds_(bounds), ranks_(std::max(1, ranks)) {
  if (kind == IndexKind::Hilbert && !bounds.grid().empty()) {
    HilbertSpatialIndex h(bounds);
    hilbert_xres_ = h.x_resolution();
    hilbert_yres_ = h.y_resolution();
  }
}

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

void Partitioner::split(const std::vector<CurvePos>& all) {
  const std::size_t n = static_cast<std::size_t>(ranks_);
  total_ = all.size();
  const std::size_t base = total_ / n, extra = total_ % n;
  const std::size_t owning = std::min(n, total_);
  starts_.clear();
  starts_.reserve(owning);
  counts_.assign(n, 0);
  for (std::size_t r = 0; r < owning; ++r) {
    starts_.push_back(all[r * base + std::min(r, extra)]);
    counts_[r] = base + (r < extra ? 1 : 0);
  }
}

void Partitioner::split(const std::vector<CurvePos>& all, const std::vector<std::uint64_t>& weights) {
  if (weights.size() != all.size())
    throw std::invalid_argument("Partitioner::split: " + std::to_string(weights.size()) + " weights for " +
                                std::to_string(all.size()) + " keys");
  unsigned __int128 total = 0;
  for (std::uint64_t w : weights) total += w;
  if (total == 0) return split(all);
  const std::size_t n = static_cast<std::size_t>(ranks_);
  total_ = all.size();
  starts_.clear();
  counts_.assign(n, 0);
  unsigned __int128 before = 0;  // weight of the positions before i
  for (std::size_t i = 0; i < all.size(); ++i) {
    // The rank holding the middle of position i's weight: floor((before + w/2) * n / total).
    const auto r = static_cast<std::size_t>(
        std::min<unsigned __int128>(n - 1, ((2 * before + weights[i]) * n) / (2 * total)));
    while (starts_.size() <= r) starts_.push_back(all[i]);  // ranks skipped own nothing
    ++counts_[r];
    before += weights[i];
  }
}

int Partitioner::owner(const SpaceTimeKey& k) const {
  if (starts_.empty()) return 0;
  const CurvePos pos = position(k);
  auto it = std::upper_bound(starts_.begin(), starts_.end(), pos);
  if (it == starts_.begin()) return 0;
  return static_cast<int>(it - starts_.begin()) - 1;
}

std::size_t Partitioner::count(int rank) const {
  if (rank < 0 || rank >= ranks_ || counts_.empty()) return 0;
  return counts_[static_cast<std::size_t>(rank)];
}

}  // namespace trellis
