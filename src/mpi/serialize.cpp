#include "mpi/serialize.hpp"

#include <limits>
#include <stdexcept>
#include <string>

#include "core/error.hpp"

namespace trellis::mpi {

void ByteWriter::put_bytes(const void* p, std::size_t n) {
  if (n == 0) return;
  if (vec_) {
    const std::size_t at = vec_->size();
    vec_->resize(at + n);
    std::memcpy(vec_->data() + at, p, n);
  } else {
    if (n > region_.size() - written_) throw std::length_error("ByteWriter: region overflow");
    std::memcpy(region_.data() + written_, p, n);
  }
  written_ += n;
}

std::span<const std::byte> ByteReader::get_bytes(std::size_t n) {
  if (n > in_.size() - pos_)
    throw IoError("corrupt message: " + std::to_string(n) + " bytes needed at offset " +
                  std::to_string(pos_) + " of " + std::to_string(in_.size()));
  auto s = in_.subspan(pos_, n);
  pos_ += n;
  return s;
}

void write_key(ByteWriter& w, const SpaceTimeKey& k) {
  w.put<std::int32_t>(k.col);
  w.put<std::int32_t>(k.row);
  w.put<std::int64_t>(k.instant);
}

SpaceTimeKey read_key(ByteReader& r) {
  SpaceTimeKey k;
  k.col = r.get<std::int32_t>();
  k.row = r.get<std::int32_t>();
  k.instant = r.get<std::int64_t>();
  return k;
}

void write_cell_type(ByteWriter& w, const CellType& ct) {
  w.put<std::uint8_t>(static_cast<std::uint8_t>(ct.kind));
  w.put<std::uint8_t>(static_cast<std::uint8_t>(ct.mode));
  w.put<std::uint16_t>(0);
  w.put<double>(ct.user_nodata);
}

CellType read_cell_type(ByteReader& r) {
  const auto kind = r.get<std::uint8_t>();
  const auto mode = r.get<std::uint8_t>();
  r.get<std::uint16_t>();
  const double nd = r.get<double>();
  if (kind > static_cast<std::uint8_t>(CellKind::Float64) ||
      mode > static_cast<std::uint8_t>(NoDataMode::UserDefined))
    throw IoError("corrupt message: bad cell type " + std::to_string(kind) + "/" + std::to_string(mode));
  CellType ct;
  ct.kind = static_cast<CellKind>(kind);
  ct.mode = static_cast<NoDataMode>(mode);
  ct.user_nodata = nd;
  return ct;
}

std::size_t tile_bytes(const Tile& t) {
  return kTileHeaderBytes + t.byte_size();
}

// The 32-byte header: kind, mode, 2 pad bytes, bands, cols, rows, user NoData, data bytes.
void write_tile(ByteWriter& w, const Tile& t) {
  const CellType& ct = t.cell_type();
  w.put<std::uint8_t>(static_cast<std::uint8_t>(ct.kind));
  w.put<std::uint8_t>(static_cast<std::uint8_t>(ct.mode));
  w.put<std::uint16_t>(0);
  w.put<std::int32_t>(t.bands());
  w.put<std::int32_t>(t.cols());
  w.put<std::int32_t>(t.rows());
  w.put<double>(ct.user_nodata);
  w.put<std::uint64_t>(t.byte_size());
  w.put_bytes(t.raw().data(), t.byte_size());
}

Tile read_tile(ByteReader& r) {
  const auto kind = r.get<std::uint8_t>();
  const auto mode = r.get<std::uint8_t>();
  r.get<std::uint16_t>();
  const auto bands = r.get<std::int32_t>();
  const auto cols = r.get<std::int32_t>();
  const auto rows = r.get<std::int32_t>();
  const double nd = r.get<double>();
  const auto nbytes = r.get<std::uint64_t>();
  if (kind > static_cast<std::uint8_t>(CellKind::Float64) ||
      mode > static_cast<std::uint8_t>(NoDataMode::UserDefined))
    throw IoError("corrupt message: bad cell type " + std::to_string(kind) + "/" + std::to_string(mode));
  if (bands < 0 || cols < 0 || rows < 0) throw IoError("corrupt message: negative tile dimensions");
  CellType ct;
  ct.kind = static_cast<CellKind>(kind);
  ct.mode = static_cast<NoDataMode>(mode);
  ct.user_nodata = nd;
  if (bands == 0 && cols == 0 && rows == 0) {
    if (nbytes != 0) throw IoError("corrupt message: data for an empty tile");
    return Tile();
  }
  const unsigned __int128 expect = static_cast<unsigned __int128>(static_cast<std::uint64_t>(cols)) *
                                   static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(bands) *
                                   static_cast<std::uint64_t>(ct.bytes());
  if (expect != nbytes || nbytes > r.remaining())
    throw IoError("corrupt message: tile of " + std::to_string(cols) + "x" + std::to_string(rows) + "x" +
                  std::to_string(bands) + " cells with " + std::to_string(nbytes) + " data bytes");
  auto data = r.get_bytes(nbytes);
  Tile t = Tile::uninitialized(ct, cols, rows, bands);  // every byte is copied below
  if (t.byte_size() != nbytes) throw IoError("corrupt message: tile size mismatch");
  if (nbytes) std::memcpy(t.raw().data(), data.data(), nbytes);
  return t;
}

std::vector<std::byte> serialize_tile(const Tile& t) {
  std::vector<std::byte> out;
  out.reserve(tile_bytes(t));
  ByteWriter w(out);
  write_tile(w, t);
  return out;
}

Tile deserialize_tile(std::span<const std::byte> bytes) {
  ByteReader r(bytes);
  Tile t = read_tile(r);
  if (!r.at_end()) throw IoError("corrupt message: trailing bytes after a tile");
  return t;
}

std::vector<std::byte> serialize_key(const SpaceTimeKey& k) {
  std::vector<std::byte> out;
  ByteWriter w(out);
  write_key(w, k);
  return out;
}

SpaceTimeKey deserialize_key(std::span<const std::byte> bytes) {
  ByteReader r(bytes);
  SpaceTimeKey k = read_key(r);
  if (!r.at_end()) throw IoError("corrupt message: trailing bytes after a key");
  return k;
}

}  // namespace trellis::mpi
