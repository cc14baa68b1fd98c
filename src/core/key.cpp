#include "core/key.hpp"

#include <algorithm>

namespace trellis {

GridBounds GridBounds::intersection(const GridBounds& o) const {
  GridBounds r{std::max(col_min, o.col_min), std::max(row_min, o.row_min), std::min(col_max, o.col_max),
               std::min(row_max, o.row_max)};
  if (r.empty()) return GridBounds{};
  return r;
}

GridBounds GridBounds::combine(const GridBounds& o) const {
  if (empty()) return o;
  if (o.empty()) return *this;
  return {std::min(col_min, o.col_min), std::min(row_min, o.row_min), std::max(col_max, o.col_max),
          std::max(row_max, o.row_max)};
}

KeyBounds KeyBounds::combine(const KeyBounds& o) const {
  KeyBounds r;
  r.min = {std::min(min.col, o.min.col), std::min(min.row, o.min.row), std::min(min.instant, o.min.instant)};
  r.max = {std::max(max.col, o.max.col), std::max(max.row, o.max.row), std::max(max.instant, o.max.instant)};
  return r;
}

}  // namespace trellis
