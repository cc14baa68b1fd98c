// Row-major index (catalog spec 4.6): RowMajorSpatialKeyIndex.
#include <cstdint>
#include <limits>
#include <string>

#include "core/error.hpp"
#include "index/key_index.hpp"

namespace trellis {

std::uint64_t rowmajor_index(const KeyBounds& bounds, const SpatialKey& k) {
  const std::int64_t min_col = bounds.min.col, min_row = bounds.min.row;
  const std::int64_t max_col = bounds.max.col, max_row = bounds.max.row;
  if (k.col < min_col || k.col > max_col || k.row < min_row || k.row > max_row) {
    throw JobError("rowmajor index: key (" + std::to_string(k.col) + ", " + std::to_string(k.row) +
                   ") is outside the index bounds (" + std::to_string(min_col) + ", " +
                   std::to_string(min_row) + ")-(" + std::to_string(max_col) + ", " +
                   std::to_string(max_row) + ")");
  }
  // GeoTrellis computes layoutCols * (row - minRow) + (col - minCol) in Int; refuse what would overflow.
  // layout_cols <= 2^31 - 1 and row - minRow < 2^32 keep the int64 product below 2^63.
  constexpr std::int64_t kIntMax = std::numeric_limits<std::int32_t>::max();
  const std::int64_t layout_cols = max_col - min_col + 1;
  const std::int64_t index =
      layout_cols > kIntMax ? kIntMax + 1 : layout_cols * (k.row - min_row) + (k.col - min_col);
  if (index > kIntMax) {
    throw JobError("rowmajor index: key (" + std::to_string(k.col) + ", " + std::to_string(k.row) +
                   ") overflows GeoTrellis' 32-bit row-major arithmetic; use zorder or hilbert");
  }
  return static_cast<std::uint64_t>(index);
}

}  // namespace trellis
