#include "mpi/serialize.hpp"

#include <gtest/gtest.h>

#include "mpi_gen.hpp"

namespace trellis::mpi {
namespace {

using test::gen_tile;

std::vector<CellType> all_cell_types() {
  std::vector<CellType> out;
  for (auto kind : {CellKind::Bool, CellKind::Int8, CellKind::UInt8, CellKind::Int16, CellKind::UInt16,
                    CellKind::Int32, CellKind::Float32, CellKind::Float64}) {
    out.push_back({kind, NoDataMode::Constant, 0.0});
    out.push_back({kind, NoDataMode::Raw, 0.0});
    if (kind != CellKind::Bool)
      out.push_back({kind, NoDataMode::UserDefined, kind == CellKind::UInt8 ? 7.0 : -5.0});
  }
  return out;
}

TEST(Serialize, TileRoundTripEveryCellType) {
  std::uint64_t seed = 1;
  for (const CellType& ct : all_cell_types()) {
    for (int bands : {1, 3}) {
      Tile t = gen_tile(ct, 7, 5, bands, ++seed);
      auto bytes = serialize_tile(t);
      EXPECT_EQ(bytes.size(), tile_bytes(t));
      Tile u = deserialize_tile(bytes);
      EXPECT_EQ(u, t) << ct.name() << " bands " << bands;
      EXPECT_EQ(u.cell_type().mode, ct.mode);
      EXPECT_EQ(u.cell_type().user_nodata, ct.user_nodata);
    }
  }
}

TEST(Serialize, EmptyTilesAndKeys) {
  EXPECT_EQ(deserialize_tile(serialize_tile(Tile())), Tile());
  Tile zero(CellType{CellKind::Int16, NoDataMode::Constant, 0}, 0, 4, 2);
  EXPECT_EQ(deserialize_tile(serialize_tile(zero)), zero);
  SpaceTimeKey k{-3, 77, 1234567890123LL};
  EXPECT_EQ(deserialize_key(serialize_key(k)), k);
  EXPECT_EQ(serialize_key(k).size(), kKeyBytes);
}

TEST(Serialize, SeveralValuesInOneBuffer) {
  std::vector<std::byte> buf;
  ByteWriter w(buf);
  Tile a = gen_tile(CellType{CellKind::Float32, NoDataMode::Constant, 0}, 3, 2, 1, 9);
  Tile b = gen_tile(CellType{CellKind::UInt16, NoDataMode::Raw, 0}, 2, 3, 2, 10);
  write_key(w, {1, 2, 3});
  write_tile(w, a);
  w.put<std::uint64_t>(42);
  write_tile(w, b);
  ByteReader r(buf);
  EXPECT_EQ(read_key(r), (SpaceTimeKey{1, 2, 3}));
  EXPECT_EQ(read_tile(r), a);
  EXPECT_EQ(r.get<std::uint64_t>(), 42u);
  EXPECT_EQ(read_tile(r), b);
  EXPECT_TRUE(r.at_end());
}

TEST(Serialize, CorruptInputThrowsIoError) {
  Tile t = gen_tile(CellType{CellKind::Int32, NoDataMode::Constant, 0}, 4, 4, 1, 3);
  auto bytes = serialize_tile(t);
  EXPECT_THROW(deserialize_tile(std::span<const std::byte>(bytes).first(bytes.size() - 1)), IoError);
  EXPECT_THROW(deserialize_tile(std::span<const std::byte>(bytes).first(10)), IoError);
  auto bad = bytes;
  bad[0] = std::byte{99};  // cell kind
  EXPECT_THROW(deserialize_tile(bad), IoError);
  bad = bytes;
  bad[8] = std::byte{5};  // bands: data size no longer matches
  EXPECT_THROW(deserialize_tile(bad), IoError);
  bytes.push_back(std::byte{0});
  EXPECT_THROW(deserialize_tile(bytes), IoError);
  std::vector<std::byte> region(4);
  ByteWriter w{std::span<std::byte>(region)};
  EXPECT_THROW(w.put<std::uint64_t>(1), std::length_error);
}

}  // namespace
}  // namespace trellis::mpi
