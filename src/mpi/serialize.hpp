#pragma once
// Binary encoding of keys, cell types and tiles for messages between ranks (native byte order: every
// rank runs the same executable on the same architecture).
//   key:  i32 col, i32 row, i64 instant                                   (16 bytes)
//   tile: u8 kind, u8 nodata mode, u16 0, i32 bands, i32 cols, i32 rows, f64 user NoData,
//         u64 data bytes, then the raw band-sequential cells               (32 bytes + data)
// Decoding checks sizes and enums and throws IoError on malformed input.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>
#include <vector>

#include "core/key.hpp"
#include "core/tile.hpp"

namespace trellis::mpi {

inline constexpr std::size_t kKeyBytes = 16;
inline constexpr std::size_t kTileHeaderBytes = 32;

// Appends to a vector, or fills a preallocated region (std::length_error if it would overflow).
class ByteWriter {
 public:
  explicit ByteWriter(std::vector<std::byte>& out) : vec_(&out) {}
  explicit ByteWriter(std::span<std::byte> region) : region_(region) {}

  void put_bytes(const void* p, std::size_t n);
  template <class T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    put_bytes(&v, sizeof v);
  }
  std::size_t written() const { return written_; }

 private:
  std::vector<std::byte>* vec_ = nullptr;
  std::span<std::byte> region_;
  std::size_t written_ = 0;
};

// Reads from a byte span; throws IoError when reading past the end.
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> in) : in_(in) {}

  std::span<const std::byte> get_bytes(std::size_t n);
  template <class T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    T v;
    std::memcpy(&v, get_bytes(sizeof v).data(), sizeof v);
    return v;
  }
  bool at_end() const { return pos_ == in_.size(); }
  std::size_t remaining() const { return in_.size() - pos_; }
  std::size_t position() const { return pos_; }

 private:
  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
};

void write_key(ByteWriter& w, const SpaceTimeKey& k);
SpaceTimeKey read_key(ByteReader& r);

void write_cell_type(ByteWriter& w, const CellType& ct);  // u8 kind, u8 mode, u16 0, f64 user NoData
CellType read_cell_type(ByteReader& r);

// Encoded size of a tile (header + data).
std::size_t tile_bytes(const Tile& t);
void write_tile(ByteWriter& w, const Tile& t);
Tile read_tile(ByteReader& r);

// Whole-buffer conveniences.
std::vector<std::byte> serialize_tile(const Tile& t);
Tile deserialize_tile(std::span<const std::byte> bytes);  // the span must hold exactly one tile
std::vector<std::byte> serialize_key(const SpaceTimeKey& k);
SpaceTimeKey deserialize_key(std::span<const std::byte> bytes);

}  // namespace trellis::mpi
