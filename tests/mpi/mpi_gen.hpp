#pragma once
// Deterministic generators shared by the MPI tests: every rank can compute what any rank holds.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/key.hpp"
#include "core/tile.hpp"
#include "layer/layer.hpp"
#include "mpi/failure.hpp"
#include "mpi/partition.hpp"
#include "mpi/runtime.hpp"

namespace trellis::mpi::test {

inline std::uint64_t mix(std::uint64_t x) {  // splitmix64
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
inline std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  return mix(mix(a) ^ (b * 0x632BE59BD9B4E019ULL));
}
inline std::uint64_t mix(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  return mix(mix(a, b), c);
}

// A value that fits every cell type's range (Bool: 0/1), NaN for about one cell in eight.
inline double gen_value(const CellType& ct, std::uint64_t h) {
  if (ct.has_nodata() && h % 8 == 0) return std::numeric_limits<double>::quiet_NaN();
  const double v = static_cast<double>((h >> 8) % 120);
  switch (ct.kind) {
    case CellKind::Bool:
      return static_cast<double>(h >> 3 & 1);
    case CellKind::Int8:
      return v - 60;
    case CellKind::Float32:
    case CellKind::Float64:
      return (v - 50) * 0.25;
    default:
      return v;
  }
}

inline Tile gen_tile(const CellType& ct, int cols, int rows, int bands, std::uint64_t seed) {
  Tile t(ct, cols, rows, bands);
  for (int b = 0; b < bands; ++b)
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c)
        t.set(b, c, r, gen_value(ct, mix(seed, b * 1000003ULL + r * 1009ULL + c)));
  return t;
}

// The outcome of one step run the way the job executor runs it (step, then check_in(); the top-level
// handler reports errors).
struct Outcome {
  int code = 0;
  int rank = -1;
  bool self_failed = false;
  std::string what;
};

inline Outcome run_step(const std::function<void()>& step) {
  try {
    step();
    check_in();
    return {};
  } catch (const PeerFailure& e) {
    return {static_cast<int>(e.code()), e.failed_rank(), false, e.what()};
  } catch (const Error& e) {
    Failure f = report_failure(e.code());
    return {static_cast<int>(f.code), f.rank, true, e.what()};
  } catch (const std::exception& e) {
    Failure f = report_failure(kExitInternal);
    return {static_cast<int>(f.code), f.rank, true, e.what()};
  }
}

inline int rank() {
  return Runtime::rank();
}
inline int size() {
  return Runtime::size();
}

// A globally known layer, so every rank can compute any tile: 5 x 4 tiles of 6 x 5 cells, two instants;
// a tile is missing when mix(col, row, instant) % missing_mod == 0 (missing_mod 0: none missing).
struct GlobalLayer {
  CellType ct;
  int bands = 1;
  int missing_mod = 4;
  static constexpr int kLayoutCols = 5, kLayoutRows = 4, kCols = 6, kRows = 5;
  static constexpr std::int64_t kInstants[2] = {0, 1000};

  bool exists(long c, long r, std::int64_t t) const {
    if (c < 0 || r < 0 || c >= kLayoutCols || r >= kLayoutRows) return false;
    return missing_mod == 0 || mix(c, r, t) % missing_mod != 0;
  }
  double value(long gx, long gy, std::int64_t t, int b) const {
    return gen_value(ct, mix(gx + 1000, gy + 1000, t * 8 + b));
  }
  Tile tile(int c, int r, std::int64_t t) const {
    Tile out(ct, kCols, kRows, bands);
    for (int b = 0; b < bands; ++b)
      for (int y = 0; y < kRows; ++y)
        for (int x = 0; x < kCols; ++x) out.set(b, x, y, value(c * kCols + x, r * kRows + y, t, b));
    return out;
  }
  std::vector<SpaceTimeKey> keys() const {
    std::vector<SpaceTimeKey> out;
    for (std::int64_t t : kInstants)
      for (int r = 0; r < kLayoutRows; ++r)
        for (int c = 0; c < kLayoutCols; ++c)
          if (exists(c, r, t)) out.push_back({c, r, t});
    return out;
  }
  // This rank's part, distributed by a partitioner of `kind`.
  TiledLayer local(IndexKind kind) const {
    TiledLayer l;
    l.md.cell_type = ct;
    l.md.bands = bands;
    l.md.layout.tile_layout = {kLayoutCols, kLayoutRows, kCols, kRows};
    l.md.bounds = {{0, 0, kInstants[0]}, {kLayoutCols - 1, kLayoutRows - 1, kInstants[1]}};
    l.md.temporal = true;
    const auto all = keys();
    std::vector<SpaceTimeKey> share;
    for (std::size_t i = 0; i < all.size(); ++i)
      if (static_cast<int>(i % static_cast<std::size_t>(size())) == rank()) share.push_back(all[i]);
    l.partitioner = balance(share, kind, l.md.bounds);
    for (const auto& k : all)
      if (l.partitioner.owner(k) == rank()) l.tiles.emplace(k, tile(k.col, k.row, k.instant));
    return l;
  }
  // The cell at global cell (gx, gy), NaN where no tile is.
  double cell(long gx, long gy, std::int64_t t, int b) const {
    const long nc = static_cast<long>(std::floor(static_cast<double>(gx) / kCols));
    const long nr = static_cast<long>(std::floor(static_cast<double>(gy) / kRows));
    if (!exists(nc, nr, t)) return std::numeric_limits<double>::quiet_NaN();
    return value(gx, gy, t, b);
  }
  // Brute force: the buffered tile of key k.
  Tile buffered(const SpaceTimeKey& k, int rad) const {
    Tile out(ct, kCols + 2 * rad, kRows + 2 * rad, bands);
    for (int b = 0; b < bands; ++b)
      for (int j = 0; j < kRows + 2 * rad; ++j)
        for (int i = 0; i < kCols + 2 * rad; ++i) {
          const long gx = static_cast<long>(k.col) * kCols + i - rad,
                     gy = static_cast<long>(k.row) * kRows + j - rad;
          const long nc = static_cast<long>(std::floor(static_cast<double>(gx) / kCols));
          const long nr = static_cast<long>(std::floor(static_cast<double>(gy) / kRows));
          if (exists(nc, nr, k.instant)) out.set(b, i, j, value(gx, gy, k.instant, b));
        }
    return out;
  }
};

}  // namespace trellis::mpi::test
