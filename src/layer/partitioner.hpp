#pragma once
// Ownership of tiles: each rank owns a contiguous range of the layer's space-filling-curve index
// (Z-order by default, Hilbert as an option), balanced by tile count. The Partitioner is the split
// itself, the same on every rank; mpi::balance() (mpi/partition.hpp) computes it collectively.
#include <cstdint>
#include <vector>

#include "core/key.hpp"
#include "index/key_index.hpp"

namespace trellis {

// Position of a key along the curve: the curve index, then the instant.
struct CurvePos {
  std::uint64_t index = 0;
  std::int64_t instant = 0;
  auto operator<=>(const CurvePos&) const = default;
};

class Partitioner {
 public:
  Partitioner() = default;
  // A partitioner over `ranks` ranks owning nothing yet (see split()). Curve index: ZOrder
  // z2_index(col, row) (absolute), Hilbert HilbertSpatialIndex over `bounds`, RowMajor
  // rowmajor_index(bounds, key); the instant breaks ties. Keys must lie inside `bounds` (Hilbert and
  // RowMajor index relative to them). Deterministic; throws what the index functions throw.
  Partitioner(IndexKind kind, const KeyBounds& bounds, int ranks);

  // Splits the distinct curve positions of every key of the layer (sorted, unique) into `ranks()`
  // contiguous ranges of (nearly) equal counts: the first total % ranks ranks get one key more; when
  // there are fewer keys than ranks, the last ranks own empty ranges. Deterministic.
  void split(const std::vector<CurvePos>& all_sorted_unique);
  // Splits them into `ranks()` contiguous ranges of (nearly) equal total weight, weights[i] being that
  // of all_sorted_unique[i] (the same length): a position goes to the rank in which the middle of its
  // weight falls, so a rank between two heavy keys may own none. All weights 0: split(). Deterministic
  // (integer arithmetic); throws std::invalid_argument when the lengths differ.
  void split(const std::vector<CurvePos>& all_sorted_unique, const std::vector<std::uint64_t>& weights);

  // The rank whose range holds the key's curve position (rank 0 if no rank owns any key). Keys outside
  // the bounds are clamped into them for Hilbert and RowMajor.
  int owner(const SpaceTimeKey& k) const;
  CurvePos position(const SpaceTimeKey& k) const;
  IndexKind kind() const { return kind_; }
  const KeyBounds& bounds() const { return bounds_; }
  std::size_t total_keys() const { return total_; }
  // Number of ranks the partitioner was balanced for.
  int ranks() const { return ranks_; }
  // Number of distinct keys rank r owns.
  std::size_t count(int rank) const;
  // starts()[r] = first position owned by rank r or, when r owns none, by the next rank that owns any;
  // only up to the last rank that owns a key.
  const std::vector<CurvePos>& starts() const { return starts_; }

 private:
  IndexKind kind_ = IndexKind::ZOrder;
  KeyBounds bounds_;
  std::vector<CurvePos> starts_;  // starts_[r] = first position owned by rank r (starts_[0] = minimum)
  std::size_t total_ = 0;
  std::vector<std::size_t> counts_;  // distinct keys per rank
  int ranks_ = 1;
  int hilbert_xres_ = 0, hilbert_yres_ = 0;
};

}  // namespace trellis
