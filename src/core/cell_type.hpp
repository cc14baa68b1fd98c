#pragma once
// GeoTrellis cell types: kind x NoData mode, with GeoTrellis' names (catalog spec section 6).
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace trellis {

enum class CellKind : std::uint8_t { Bool, Int8, UInt8, Int16, UInt16, Int32, Float32, Float64 };
enum class NoDataMode : std::uint8_t { Raw, Constant, UserDefined };

inline constexpr std::int32_t kIntNoData = std::numeric_limits<std::int32_t>::min();

struct CellType {
  CellKind kind = CellKind::Float64;
  NoDataMode mode = NoDataMode::Constant;
  double user_nodata = 0.0;  // meaningful when mode == UserDefined (already cast to the kind's range)

  // Parses a GeoTrellis name: "int16", "uint8raw", "float32ud-9999.0", "bool", ... Throws JobError.
  static CellType parse(std::string_view name);
  // parse(), refusing a user-defined NoData value the type cannot hold (GeoTrellis would wrap int8ud1000
  // to int8ud-24, so real -24 cells would become NoData): what a job may name. Throws JobError.
  static CellType parse_exact(std::string_view name);
  // GeoTrellis' toName (Java Double.toString formatting for float ud values).
  std::string name() const;

  bool is_float() const { return kind == CellKind::Float32 || kind == CellKind::Float64; }
  int bits() const;
  int bytes() const;        // in-memory bytes per cell (Bool is stored as one byte per cell in memory)
  bool has_nodata() const;  // false for raw types and Bool
  // The NoData value as a double (NaN for constant float types). Only valid when has_nodata().
  double nodata() const;
  // True when the stored value v (as double) is NoData for this cell type.
  bool is_nodata(double v) const;
  // Smallest type that can hold both (GeoTrellis CellType.union): used when merging sources.
  CellType union_with(const CellType& other) const;
  // Same kind with another NoData mode (Constant/Raw/UserDefined(v)).
  CellType with_nodata(std::optional<double> nd) const;
  CellType without_nodata() const { return CellType{kind, NoDataMode::Raw, 0.0}; }

  bool operator==(const CellType& o) const {
    return kind == o.kind && mode == o.mode &&
           (mode != NoDataMode::UserDefined || user_nodata == o.user_nodata);
  }
};

// Java Double.toString of a double (used for float ud names and catalog JSON).
std::string java_double_to_string(double v);

}  // namespace trellis
