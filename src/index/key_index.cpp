// Index kind names, resolution() and tile file names (catalog spec 1.1, 2.5, 4.1).
#include "index/key_index.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "core/error.hpp"

namespace trellis {
namespace {

// JVM double -> int: NaN -> 0, saturating, otherwise truncation toward zero.
int jvm_d2i(double d) {
  if (std::isnan(d)) return 0;
  if (d >= 2147483647.0) return std::numeric_limits<int>::max();
  if (d <= -2147483648.0) return std::numeric_limits<int>::min();
  return static_cast<int>(d);
}

}  // namespace

IndexKind parse_index_kind(const std::string& name) {
  if (name == "zorder") return IndexKind::ZOrder;
  if (name == "hilbert") return IndexKind::Hilbert;
  if (name == "rowmajor") return IndexKind::RowMajor;
  throw JobError("unknown key index '" + name + "' (valid: zorder, hilbert, rowmajor)");
}

const char* index_kind_name(IndexKind k) {
  switch (k) {
    case IndexKind::ZOrder:
      return "zorder";
    case IndexKind::Hilbert:
      return "hilbert";
    case IndexKind::RowMajor:
      return "rowmajor";
  }
  return "unknown";
}

int index_resolution(double max, double min) {
  // Kept as GeoTrellis computes it (natural logs in doubles), including its 2^29 / 2^31 artefacts.
  const double length = max - min + 1;
  return jvm_d2i(std::ceil(std::log(length) / std::log(2.0)));
}

std::uint64_t spatial_index(IndexKind kind, const KeyBounds& bounds, const SpatialKey& k) {
  switch (kind) {
    case IndexKind::ZOrder:
      return z2_index(k.col, k.row);
    case IndexKind::Hilbert:
      return HilbertSpatialIndex(bounds).to_index(k);
    case IndexKind::RowMajor:
      return rowmajor_index(bounds, k);
  }
  throw JobError("spatial_index: invalid index kind");
}

int index_digits(std::uint64_t index) {
  return static_cast<int>(std::to_string(index).size());
}

std::string encode_index_filename(std::uint64_t index, int max_width) {
  std::string s = std::to_string(index);
  if (max_width > static_cast<int>(s.size()))
    s.insert(0, static_cast<std::size_t>(max_width) - s.size(), '0');
  return s;
}

}  // namespace trellis
