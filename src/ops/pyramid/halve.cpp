#include "ops/pyramid/halve.hpp"

#include <cmath>
#include <limits>
#include <type_traits>

namespace trellis::ops {

namespace {

// A mean written into T as GDAL's kernel writes it: floats as they are; integers rounded half up
// (floor(v + 0.5)), clamped to the type, and moved one step off the NoData value if they land on it
// (down, or up from the type's lowest value).
template <class T>
T store(double v, const NoDataTest<T>& nodata) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    constexpr double lo = static_cast<double>(std::numeric_limits<T>::lowest());
    constexpr double hi = static_cast<double>(std::numeric_limits<T>::max());
    const double r = std::floor(v + 0.5);
    T out = static_cast<T>(r < lo ? lo : r > hi ? hi : r);
    if (nodata.has_value && out == nodata.value)
      out = out == std::numeric_limits<T>::lowest() ? static_cast<T>(out + 1) : static_cast<T>(out - 1);
    return out;
  }
}

template <class T>
void halve_band(const T* src, int cols, int rows, T* dst, io::ResampleMethod m, const NoDataTest<T>& nodata) {
  const int pc = cols / 2, pr = rows / 2;
  for (int r = 0; r < pr; ++r) {
    const T* a = src + static_cast<std::size_t>(2 * r) * cols;
    const T* b = a + cols;
    T* out = dst + static_cast<std::size_t>(r) * pc;
    if (m == io::ResampleMethod::NearestNeighbor) {
      // The parent centre sits on the children's shared corner; GDAL's floor takes the south-east one.
      // A NoData child leaves the parent as it was made: NoData.
      for (int c = 0; c < pc; ++c)
        if (!nodata(b[2 * c + 1])) out[c] = b[2 * c + 1];
      continue;
    }
    for (int c = 0; c < pc; ++c) {
      // GDAL's order: row by row, west to east, each valid cell with weight 1.
      double sum = 0;
      int n = 0;
      const T v[4] = {a[2 * c], a[2 * c + 1], b[2 * c], b[2 * c + 1]};
      for (T x : v)
        if (!nodata(x)) {
          sum += static_cast<double>(x);
          ++n;
        }
      if (n > 0) out[c] = store<T>(sum / static_cast<double>(n), nodata);
    }
  }
}

}  // namespace

bool halves_natively(io::ResampleMethod m, const CellType& ct) {
  if (m != io::ResampleMethod::Average && m != io::ResampleMethod::NearestNeighbor) return false;
  // Bool (GDAL clips to 1 afterwards) and Int8 (warped through Int16) keep GDAL's path.
  return ct.kind != CellKind::Bool && ct.kind != CellKind::Int8;
}

std::optional<Tile> halve_aligned(const Tile& child, io::ResampleMethod m) {
  const CellType& ct = child.cell_type();
  if (!halves_natively(m, ct) || child.cols() % 2 != 0 || child.rows() % 2 != 0) return std::nullopt;
  Tile out(ct, child.cols() / 2, child.rows() / 2, child.bands());
  dispatch_kind(ct.kind, [&](auto zero) {
    using T = decltype(zero);
    const NoDataTest<T> nodata(ct);
    for (int b = 0; b < child.bands(); ++b)
      halve_band<T>(child.band_as<T>(b), child.cols(), child.rows(), out.band_as<T>(b), m, nodata);
  });
  return out;
}

}  // namespace trellis::ops
