#pragma once
// A tile: cols x rows cells of one cell type, one or more bands (band-sequential), stored in the
// cell type's native width (Bool: one byte per cell). Cells read as double give NaN for NoData,
// like GeoTrellis' getDouble.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "core/cell_type.hpp"

namespace trellis {

// Calls f(T{}) with T the storage type of the kind.
template <class F>
decltype(auto) dispatch_kind(CellKind k, F&& f) {
  switch (k) {
    case CellKind::Bool:
      return f(std::uint8_t{});
    case CellKind::Int8:
      return f(std::int8_t{});
    case CellKind::UInt8:
      return f(std::uint8_t{});
    case CellKind::Int16:
      return f(std::int16_t{});
    case CellKind::UInt16:
      return f(std::uint16_t{});
    case CellKind::Int32:
      return f(std::int32_t{});
    case CellKind::Float32:
      return f(float{});
    case CellKind::Float64:
      return f(double{});
  }
  throw std::logic_error("bad cell kind");
}

// A stored cell as double, NaN for NoData (GeoTrellis' getDouble), for a known storage type.
template <class T>
inline double read_cell(T x, const CellType& ct) {
  const double v = static_cast<double>(x);
  return ct.is_nodata(v) ? std::numeric_limits<double>::quiet_NaN() : v;
}

// The NoData test of stored cells of type T, the rule read_cells applies (and GDAL's warper is given,
// io/warp.cpp): NaN and a user-defined value for float types, the NoData value (constant or
// user-defined) for integer types that have one. For kernels that work in the storage type.
template <class T>
struct NoDataTest {
  bool has_value = false;  // an integer NoData value, or a float user-defined one
  T value{};
  explicit NoDataTest(const CellType& ct) {
    if constexpr (std::is_floating_point_v<T>) {
      has_value = ct.mode == NoDataMode::UserDefined;
      value = static_cast<T>(ct.user_nodata);
    } else {
      has_value = ct.has_nodata();
      value = has_value ? static_cast<T>(static_cast<std::int64_t>(ct.nodata())) : T{0};
    }
  }
  bool operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>)
      if (x != x) return true;
    return has_value && x == value;
  }
};

// n stored cells as doubles, NaN for NoData: read_cell over an array, in one loop the compiler
// vectorises (the NoData test is a comparison in the storage type). `V` float is for kernels that have
// proved single precision gives the same results (cells whose values float holds exactly).
template <class T, class V = double>
inline void read_cells(const T* src, std::size_t n, const CellType& ct, V* out) {
  // NoDataTest's value only: a NaN cell needs no test, it converts to NaN by itself.
  const NoDataTest<T> nd(ct);
  for (std::size_t k = 0; k < n; ++k)
    out[k] =
        nd.has_value && src[k] == nd.value ? std::numeric_limits<V>::quiet_NaN() : static_cast<V>(src[k]);
}

// Converts a double to the storage type T the way GeoTrellis' setDouble does: NaN -> NoData,
// integers truncate toward zero and wrap like the JVM's narrowing (d2i then toByte/toShort).
template <class T>
inline T narrow_from_double(double v, const CellType& ct) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(v) && ct.mode == NoDataMode::UserDefined) return static_cast<T>(ct.user_nodata);
    return static_cast<T>(v);
  } else {
    if (std::isnan(v)) return ct.has_nodata() ? static_cast<T>(static_cast<std::int64_t>(ct.nodata())) : T{0};
    double t = std::trunc(v);
    std::int32_t i;
    if (t >= 2147483647.0)
      i = 2147483647;
    else if (t <= -2147483648.0)
      i = std::numeric_limits<std::int32_t>::min();
    else
      i = static_cast<std::int32_t>(t);
    if (ct.kind == CellKind::Bool) return static_cast<T>(i & 1);
    return static_cast<T>(static_cast<std::make_unsigned_t<T>>(static_cast<std::uint32_t>(i)));
  }
}

// n doubles stored as cells of type T (narrow_from_double over an array; for float types one loop the
// compiler vectorises).
template <class T, class V = double>
inline void write_cells(const V* v, std::size_t n, const CellType& ct, T* dst) {
  if constexpr (std::is_floating_point_v<T>) {
    if (ct.mode == NoDataMode::UserDefined) {
      const T udv = static_cast<T>(ct.user_nodata);
      for (std::size_t k = 0; k < n; ++k) dst[k] = v[k] != v[k] ? udv : static_cast<T>(v[k]);
    } else {
      for (std::size_t k = 0; k < n; ++k) dst[k] = static_cast<T>(v[k]);
    }
  } else {
    for (std::size_t k = 0; k < n; ++k) dst[k] = narrow_from_double<T>(v[k], ct);
  }
}

// An allocator that leaves new elements default-initialised (for bytes: not written), so a tile's
// cells are written once, by whoever fills them, and not first zeroed by std::vector: on this kind of
// machine the first write to fresh memory is the expensive part of a step.
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  DefaultInitAllocator() = default;
  template <class U>
  DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    std::allocator_traits<std::allocator<T>>::construct(static_cast<std::allocator<T>&>(*this), p,
                                                        std::forward<Args>(args)...);
  }
};

// A tile's cells, band after band.
using TileBytes = std::vector<std::byte, DefaultInitAllocator<std::byte>>;

class Tile {
 public:
  Tile() = default;
  // A tile filled with NoData (zeros for raw types), like GeoTrellis' ArrayTile.empty.
  Tile(CellType ct, int cols, int rows, int bands = 1);
  // A tile whose cells are not initialised: for a caller that writes every cell of every band before
  // anything reads the tile (saves a pass over fresh memory). Throws std::invalid_argument on negative
  // dimensions.
  static Tile uninitialized(CellType ct, int cols, int rows, int bands = 1);

  const CellType& cell_type() const { return ct_; }
  int cols() const { return cols_; }
  int rows() const { return rows_; }
  int bands() const { return bands_; }
  std::size_t cells() const { return static_cast<std::size_t>(cols_) * rows_; }
  bool empty_shape() const { return cols_ == 0 || rows_ == 0; }

  std::byte* band_data(int b) { return data_.data() + static_cast<std::size_t>(b) * cells() * ct_.bytes(); }
  const std::byte* band_data(int b) const {
    return data_.data() + static_cast<std::size_t>(b) * cells() * ct_.bytes();
  }
  template <class T>
  T* band_as(int b) {
    return reinterpret_cast<T*>(band_data(b));
  }
  template <class T>
  const T* band_as(int b) const {
    return reinterpret_cast<const T*>(band_data(b));
  }
  TileBytes& raw() { return data_; }
  const TileBytes& raw() const { return data_; }
  std::size_t byte_size() const { return data_.size(); }

  // Cell value as double; NaN for NoData.
  double get(int band, int col, int row) const;
  // Stores v (NaN -> NoData), converting like GeoTrellis' setDouble.
  void set(int band, int col, int row, double v);
  bool is_nodata(int band, int col, int row) const { return std::isnan(get(band, col, row)); }
  // Fills every cell of every band with NoData (zeros for raw types).
  void fill_nodata();
  // True when every cell of every band is NoData.
  bool all_nodata() const;

  // Copies cells of `src` (same cell type and band count) into this tile wherever this tile is NoData
  // and `src` is not: GeoTrellis' merge of tiles with the same extent.
  void merge_fill(const Tile& src);

  // The cols x rows cells at (col0, row0), every band (the rectangle must lie inside the tile).
  Tile crop(int col0, int row0, int cols, int rows) const;
  // Copies every band of `src` (same cell type and band count) into this tile at (col0, row0); the
  // parts outside this tile are clipped.
  void paste(const Tile& src, int col0, int row0);
  // Like paste, but only the cells of `src` that hold data (NoData and NaN cells leave this tile's
  // cell as it is; for raw integer types every cell is data).
  void paste_data(const Tile& src, int col0, int row0);
  // Sets every cell outside the rectangle [col0, col1) x [row0, row1) to NoData (zero for raw types).
  void blank_outside(int col0, int row0, int col1, int row1);

  // A tile of `ct` with every cell converted (convert_data_type semantics of GeoTrellis).
  Tile convert(const CellType& ct) const;

  bool operator==(const Tile& o) const {
    return ct_ == o.ct_ && cols_ == o.cols_ && rows_ == o.rows_ && bands_ == o.bands_ && data_ == o.data_;
  }

 private:
  CellType ct_;
  int cols_ = 0, rows_ = 0, bands_ = 0;
  TileBytes data_;
};

}  // namespace trellis
