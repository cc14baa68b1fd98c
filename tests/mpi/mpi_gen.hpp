#pragma once
// Deterministic generators shared by the MPI tests: every rank can compute what any rank holds.
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/key.hpp"
#include "core/tile.hpp"
#include "mpi/failure.hpp"
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

}  // namespace trellis::mpi::test
