#pragma once
// Tile keys. A layer key carries a column, a row (row 0 = north) and, for spacetime layers, an instant
// in epoch milliseconds (0 for spatial layers).
#include <compare>
#include <cstdint>
#include <functional>
#include <string>

namespace trellis {

struct SpatialKey {
  std::int32_t col = 0, row = 0;
  auto operator<=>(const SpatialKey&) const = default;
};

struct SpaceTimeKey {
  std::int32_t col = 0, row = 0;
  std::int64_t instant = 0;  // epoch milliseconds
  SpatialKey spatial() const { return {col, row}; }
  auto operator<=>(const SpaceTimeKey&) const = default;
};

// Inclusive bounds of a key grid.
struct GridBounds {
  long col_min = 0, row_min = 0, col_max = -1, row_max = -1;
  bool empty() const { return col_max < col_min || row_max < row_min; }
  long width() const { return col_max - col_min + 1; }
  long height() const { return row_max - row_min + 1; }
  long size() const { return empty() ? 0 : width() * height(); }
  bool contains(long c, long r) const { return c >= col_min && c <= col_max && r >= row_min && r <= row_max; }
  GridBounds intersection(const GridBounds& o) const;
  GridBounds combine(const GridBounds& o) const;
  bool operator==(const GridBounds&) const = default;
};

struct KeyBounds {
  SpaceTimeKey min, max;  // inclusive; instants are 0 for spatial layers
  GridBounds grid() const { return {min.col, min.row, max.col, max.row}; }
  bool includes(const SpaceTimeKey& k) const {
    return k.col >= min.col && k.col <= max.col && k.row >= min.row && k.row <= max.row &&
           k.instant >= min.instant && k.instant <= max.instant;
  }
  KeyBounds combine(const KeyBounds& o) const;
  bool operator==(const KeyBounds&) const = default;
};

}  // namespace trellis

template <>
struct std::hash<trellis::SpaceTimeKey> {
  std::size_t operator()(const trellis::SpaceTimeKey& k) const noexcept {
    std::uint64_t h = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(k.col)) << 32) ^
                      static_cast<std::uint32_t>(k.row);
    return std::hash<std::uint64_t>{}(h ^ (static_cast<std::uint64_t>(k.instant) * 0x9E3779B97F4A7C15ULL));
  }
};
