// Tiles: NoData fill, get/set conversions, merge_fill and convert (convert_data_type cases).
#include "core/tile.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace trellis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::int32_t kIntMin = std::numeric_limits<std::int32_t>::min();

CellType ct(const char* n) {
  return CellType::parse(n);
}

TEST(Tile, ShapeAndStorage) {
  Tile t(ct("int16"), 3, 2, 2);
  EXPECT_EQ(t.cols(), 3);
  EXPECT_EQ(t.rows(), 2);
  EXPECT_EQ(t.bands(), 2);
  EXPECT_EQ(t.cells(), 6u);
  EXPECT_EQ(t.byte_size(), 6u * 2 * 2);
  EXPECT_FALSE(t.empty_shape());
  EXPECT_EQ(Tile(ct("bool"), 4, 4).byte_size(), 16u);  // one byte per cell in memory
  EXPECT_EQ(Tile(ct("float64"), 4, 4, 3).byte_size(), 4u * 4 * 3 * 8);
  EXPECT_TRUE(Tile().empty_shape());
  EXPECT_THROW(Tile(ct("int8"), -1, 2), std::invalid_argument);
}

TEST(Tile, UninitializedTilesHaveTheShapeAndTakeEveryWrite) {
  const Tile t = Tile::uninitialized(ct("float32"), 5, 3, 2);
  EXPECT_EQ(t.cols(), 5);
  EXPECT_EQ(t.rows(), 3);
  EXPECT_EQ(t.bands(), 2);
  EXPECT_EQ(t.byte_size(), 5u * 3u * 2u * 4u);
  EXPECT_TRUE(Tile::uninitialized(ct("int16"), 0, 4).empty_shape());
  EXPECT_THROW(Tile::uninitialized(ct("int16"), -1, 4), std::invalid_argument);
  EXPECT_THROW(Tile::uninitialized(ct("int16"), 4, 4, -1), std::invalid_argument);
  // Filled by its maker, it equals a tile made the usual way and filled the same.
  Tile a = Tile::uninitialized(ct("int16"), 4, 2), b(ct("int16"), 4, 2);
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 4; ++c) {
      a.set(0, c, r, r * 4 + c);
      b.set(0, c, r, r * 4 + c);
    }
  EXPECT_EQ(a, b);
}

TEST(Tile, NewTilesAreNoDataOrZero) {
  for (const char* n : {"int8", "uint8", "int16", "uint16", "int32", "float32", "float64", "int16ud-9999",
                        "float32ud-9999.0", "uint8ud255"}) {
    SCOPED_TRACE(n);
    Tile t(ct(n), 3, 3, 2);
    EXPECT_TRUE(t.all_nodata());
    EXPECT_TRUE(std::isnan(t.get(1, 2, 2)));
    EXPECT_TRUE(t.is_nodata(0, 0, 0));
  }
  // Raw types are zero-filled (ArrayTile.empty of a raw type = ofDim).
  for (const char* n :
       {"bool", "int8raw", "uint8raw", "int16raw", "uint16raw", "int32raw", "float32raw", "float64raw"}) {
    SCOPED_TRACE(n);
    Tile t(ct(n), 3, 3);
    EXPECT_FALSE(t.all_nodata());
    EXPECT_EQ(t.get(0, 1, 1), 0.0);
  }
  // Stored NoData values.
  EXPECT_EQ(Tile(ct("int8"), 1, 1).band_as<std::int8_t>(0)[0], -128);
  EXPECT_EQ(Tile(ct("int16"), 1, 1).band_as<std::int16_t>(0)[0], -32768);
  EXPECT_EQ(Tile(ct("int32"), 1, 1).band_as<std::int32_t>(0)[0], kIntMin);
  EXPECT_EQ(Tile(ct("uint16"), 1, 1).band_as<std::uint16_t>(0)[0], 0);
  EXPECT_EQ(Tile(ct("int16ud-9999"), 1, 1).band_as<std::int16_t>(0)[0], -9999);
  EXPECT_EQ(Tile(ct("uint8ud255"), 1, 1).band_as<std::uint8_t>(0)[0], 255);
  EXPECT_EQ(Tile(ct("float32ud-9999.0"), 1, 1).band_as<float>(0)[0], -9999.0f);
  EXPECT_TRUE(std::isnan(Tile(ct("float64"), 1, 1).band_as<double>(0)[0]));
}

// all_nodata() against the brute-force rule (no cell reads as a number), for every kind of cell type,
// over tiles of one data cell at positions on both sides of the vectorised runs' edges, NaN cells in
// raw and user-defined float types, and values next to the NoData value.
TEST(Tile, AllNoDataIsNoCellReadingAsANumber) {
  for (const char* n : {"bool", "int8", "int8raw", "uint8", "uint8raw", "uint8ud7", "int16", "int16ud-9999",
                        "uint16", "uint16raw", "int32", "int32ud-5", "float32", "float32raw",
                        "float32ud-9999.0", "float64", "float64raw", "float64ud-1.5"}) {
    SCOPED_TRACE(n);
    const CellType t = ct(n);
    const int cols = 37, rows = 29, bands = 2;  // 1073 cells a band: runs of 512 end inside
    Tile tile(t, cols, rows, bands);
    if (t.has_nodata()) tile.fill_nodata();
    const bool raw_float = t.is_float() && !t.has_nodata();
    auto brute = [&] {
      for (int b = 0; b < bands; ++b)
        for (int r = 0; r < rows; ++r)
          for (int c = 0; c < cols; ++c)
            if (!std::isnan(tile.get(b, c, r))) return false;
      return true;
    };
    if (raw_float) {  // NaN is a raw float's only NoData
      for (int b = 0; b < bands; ++b)
        for (int i = 0; i < cols * rows; ++i) tile.set(b, i % cols, i / cols, NAN);
    }
    EXPECT_EQ(tile.all_nodata(), brute());
    const double near = t.has_nodata() && !std::isnan(t.nodata()) ? t.nodata() + 1 : 1;
    for (int pos : {0, 1, 511, 512, 513, 1023, 1024, 1072, 1073, 1585, 2145}) {
      for (double v : {near, 0.0}) {
        const int b = pos / (cols * rows), i = pos % (cols * rows);
        const double before = tile.get(b, i % cols, i / cols);
        if (t.kind == CellKind::Bool && v != 0 && v != 1) continue;
        tile.set(b, i % cols, i / cols, v);
        EXPECT_EQ(tile.all_nodata(), brute()) << "cell " << pos << " = " << v;
        // Back as it was: NoData (or NaN for a raw float); raw integer types never had NoData.
        if (std::isnan(before)) tile.set(b, i % cols, i / cols, NAN);
      }
    }
    if (t.is_float() && t.has_nodata()) {  // a stored NaN in a user-defined float type is NoData too
      ASSERT_TRUE(tile.all_nodata());
      if (t.kind == CellKind::Float32)
        tile.band_as<float>(1)[100] = NAN;
      else
        tile.band_as<double>(1)[100] = NAN;
      EXPECT_TRUE(brute());
      EXPECT_TRUE(tile.all_nodata());
    }
  }
}

TEST(Tile, GetSetRoundTrip) {
  Tile t(ct("float64"), 4, 3, 2);
  t.set(0, 1, 2, 3.25);
  t.set(1, 3, 0, -7.5);
  EXPECT_EQ(t.get(0, 1, 2), 3.25);
  EXPECT_EQ(t.get(1, 3, 0), -7.5);
  EXPECT_TRUE(std::isnan(t.get(0, 3, 0)));
  // Band-sequential, row-major layout.
  EXPECT_EQ(t.band_as<double>(0)[2 * 4 + 1], 3.25);
  EXPECT_EQ(t.band_as<double>(1)[0 * 4 + 3], -7.5);
  EXPECT_FALSE(t.all_nodata());
  t.fill_nodata();
  EXPECT_TRUE(t.all_nodata());
}

TEST(Tile, SetNaNWritesNoData) {
  struct Row {
    const char* name;
    double stored;  // raw storage value expected after set(NaN)
  };
  for (const Row& r :
       {Row{"int8", -128}, Row{"int8raw", 0}, Row{"uint8", 0}, Row{"uint8raw", 0}, Row{"int16", -32768},
        Row{"int16ud-9999", -9999}, Row{"uint16", 0}, Row{"int32", static_cast<double>(kIntMin)},
        Row{"int32raw", 0}, Row{"uint8ud7", 7}, Row{"float32ud-1.0", -1}, Row{"bool", 0}}) {
    SCOPED_TRACE(r.name);
    Tile t(ct(r.name), 1, 1);
    t.set(0, 0, 0, 5);
    t.set(0, 0, 0, kNaN);
    double stored = dispatch_kind(t.cell_type().kind, [&](auto tag) -> double {
      using T = decltype(tag);
      return static_cast<double>(t.band_as<T>(0)[0]);
    });
    EXPECT_EQ(stored, r.stored);
  }
}

TEST(Tile, SetNarrowsLikeTheJvm) {
  Tile u8(ct("uint8raw"), 4, 1);
  u8.set(0, 0, 0, -1);
  u8.set(0, 1, 0, 256);
  u8.set(0, 2, 0, 3.9);
  u8.set(0, 3, 0, 300);
  EXPECT_EQ(u8.get(0, 0, 0), 255);
  EXPECT_EQ(u8.get(0, 1, 0), 0);
  EXPECT_EQ(u8.get(0, 2, 0), 3);
  EXPECT_EQ(u8.get(0, 3, 0), 44);
  Tile i8(ct("int8raw"), 3, 1);
  i8.set(0, 0, 0, 200);
  i8.set(0, 1, 0, -3.9);
  i8.set(0, 2, 0, -128);
  EXPECT_EQ(i8.get(0, 0, 0), -56);
  EXPECT_EQ(i8.get(0, 1, 0), -3);
  EXPECT_EQ(i8.get(0, 2, 0), -128);  // raw: a value, not NoData
  Tile i32(ct("int32"), 2, 1);
  i32.set(0, 0, 0, 1e12);
  i32.set(0, 1, 0, -1e12);
  EXPECT_EQ(i32.get(0, 0, 0), 2147483647.0);
  EXPECT_TRUE(std::isnan(i32.get(0, 1, 0)));  // saturates to Int.MinValue = NODATA
  Tile u16(ct("uint16raw"), 1, 1);
  u16.set(0, 0, 0, -1);
  EXPECT_EQ(u16.get(0, 0, 0), 65535);
  Tile b(ct("bool"), 3, 1);
  b.set(0, 0, 0, 1);
  b.set(0, 1, 0, 2);
  b.set(0, 2, 0, 3);
  EXPECT_EQ(b.get(0, 0, 0), 1);
  EXPECT_EQ(b.get(0, 1, 0), 0);
  EXPECT_EQ(b.get(0, 2, 0), 1);
  Tile f(ct("float32"), 1, 1);
  f.set(0, 0, 0, 0.1);
  EXPECT_EQ(f.get(0, 0, 0), static_cast<double>(0.1f));
}

TEST(Tile, UserDefinedValuesReadAsNoData) {
  Tile t(ct("int16ud-9999"), 2, 1);
  t.set(0, 0, 0, -9999);
  t.set(0, 1, 0, -32768);
  EXPECT_TRUE(std::isnan(t.get(0, 0, 0)));
  EXPECT_EQ(t.get(0, 1, 0), -32768);
  Tile f(ct("float32ud-9999.0"), 2, 1);
  f.set(0, 0, 0, -9999);
  f.set(0, 1, 0, 1.5);
  EXPECT_TRUE(std::isnan(f.get(0, 0, 0)));
  EXPECT_EQ(f.get(0, 1, 0), 1.5);
  Tile c(ct("uint8"), 1, 1);
  c.set(0, 0, 0, 0);
  EXPECT_TRUE(c.is_nodata(0, 0, 0));
}

TEST(Tile, MergeFillOnlyFillsNoData) {
  Tile a(ct("int32"), 2, 2);
  Tile b(ct("int32"), 2, 2);
  a.set(0, 0, 0, 1);
  a.set(0, 1, 0, 1);
  b.set(0, 1, 0, 2);
  b.set(0, 0, 1, 2);
  a.merge_fill(b);
  EXPECT_EQ(a.get(0, 0, 0), 1);
  EXPECT_EQ(a.get(0, 1, 0), 1);  // data in `a` wins
  EXPECT_EQ(a.get(0, 0, 1), 2);  // NoData in `a` filled from `b`
  EXPECT_TRUE(a.is_nodata(0, 1, 1));
}

TEST(Tile, MergeFillMultibandAndFloat) {
  Tile a(ct("float64"), 1, 1, 2);
  Tile b(ct("float64"), 1, 1, 2);
  a.set(1, 0, 0, 5);
  b.set(0, 0, 0, 7);
  b.set(1, 0, 0, 9);
  a.merge_fill(b);
  EXPECT_EQ(a.get(0, 0, 0), 7);
  EXPECT_EQ(a.get(1, 0, 0), 5);
}

TEST(Tile, MergeFillAcrossCellTypesAndShapes) {
  Tile a(ct("float32"), 2, 1);
  Tile b(ct("int16"), 2, 1);
  a.set(0, 0, 0, 1.5);
  b.set(0, 0, 0, 3);
  b.set(0, 1, 0, 4);
  a.merge_fill(b);
  EXPECT_EQ(a.get(0, 0, 0), 1.5);
  EXPECT_EQ(a.get(0, 1, 0), 4);
  EXPECT_THROW(a.merge_fill(Tile(ct("float32"), 1, 2)), std::invalid_argument);
}

TEST(Tile, MergeFillRawTypesNeverFill) {
  Tile a(ct("uint8raw"), 1, 1);
  Tile b(ct("uint8raw"), 1, 1);
  b.set(0, 0, 0, 9);
  a.merge_fill(b);
  EXPECT_EQ(a.get(0, 0, 0), 0);
}

// A two-band tile whose cell (b, c, r) holds 1000 b + 10 r + c.
Tile numbered(const char* type, int cols, int rows) {
  Tile t(ct(type), cols, rows, 2);
  for (int b = 0; b < 2; ++b)
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) t.set(b, c, r, 1000 * b + 10 * r + c);
  return t;
}

TEST(Tile, CropCopiesTheRectangleOfEveryBand) {
  const Tile t = numbered("int32", 5, 4);
  const Tile c = t.crop(1, 2, 3, 2);
  ASSERT_EQ(c.cols(), 3);
  ASSERT_EQ(c.rows(), 2);
  ASSERT_EQ(c.bands(), 2);
  EXPECT_EQ(c.cell_type(), t.cell_type());
  for (int b = 0; b < 2; ++b)
    for (int r = 0; r < 2; ++r)
      for (int col = 0; col < 3; ++col) EXPECT_EQ(c.get(b, col, r), t.get(b, col + 1, r + 2));
  EXPECT_TRUE(t.crop(0, 0, 5, 4) == t);
  EXPECT_THROW(t.crop(3, 0, 3, 1), std::out_of_range);
  EXPECT_THROW(t.crop(-1, 0, 1, 1), std::out_of_range);
}

TEST(Tile, PastePlacesAndClips) {
  const Tile src = numbered("float32", 3, 2);
  Tile dst(ct("float32"), 4, 4, 2);
  dst.paste(src, 2, 3);  // only the top-left 2 x 1 cells land inside
  for (int b = 0; b < 2; ++b)
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) {
        if (c >= 2 && r == 3)
          EXPECT_EQ(dst.get(b, c, r), src.get(b, c - 2, 0));
        else
          EXPECT_TRUE(std::isnan(dst.get(b, c, r))) << b << " " << c << " " << r;
      }
  Tile whole(ct("float32"), 3, 2, 2);
  whole.paste(src, 0, 0);
  EXPECT_TRUE(whole == src);
  Tile other(ct("float32"), 3, 2, 2);
  other.paste(src, -3, 0);  // entirely outside: nothing
  EXPECT_TRUE(other.all_nodata());
  Tile wrong(ct("int16"), 3, 2, 2);
  EXPECT_THROW(wrong.paste(src, 0, 0), std::invalid_argument);
}

TEST(Tile, BlankOutsideKeepsOnlyTheRectangle) {
  for (const char* type : {"int16", "uint8raw", "float64"}) {
    SCOPED_TRACE(type);
    const Tile t = numbered(type, 6, 5);
    Tile b = t;
    b.blank_outside(1, 1, 4, 3);
    const Tile empty(ct(type), 6, 5, 2);
    for (int band = 0; band < 2; ++band)
      for (int r = 0; r < 5; ++r)
        for (int c = 0; c < 6; ++c) {
          const bool in = c >= 1 && c < 4 && r >= 1 && r < 3;
          const double want = in ? t.get(band, c, r) : empty.get(band, c, r);
          if (std::isnan(want))
            EXPECT_TRUE(std::isnan(b.get(band, c, r)));
          else
            EXPECT_EQ(b.get(band, c, r), want) << band << " " << c << " " << r;
        }
    Tile all = t;
    all.blank_outside(0, 0, 99, 99);  // a rectangle covering the tile changes nothing
    EXPECT_TRUE(all == t);
  }
}

TEST(Tile, Equality) {
  Tile a(ct("int16"), 2, 2), b(ct("int16"), 2, 2);
  EXPECT_EQ(a, b);
  b.set(0, 1, 1, 3);
  EXPECT_NE(a, b);
  EXPECT_NE(Tile(ct("int16"), 2, 2), Tile(ct("int16raw"), 2, 2));
}

// ---------------------------------------------------------------------------------------------------
// convert_data_type cases (cases.json, GeoTrellis v1.2.0 ArrayTileSpec): the source is
// DoubleArrayTile(Array(0.0, 1.0, -1.0, NaN), 2, 2, DoubleCellType); expected values at
// (0,0),(1,0),(0,1),(1,1). "NODATA" reads back as NaN here (our get is getDouble with NaN for NoData).

Tile double_source() {
  Tile t(ct("float64raw"), 2, 2);
  t.set(0, 0, 0, 0.0);
  t.set(0, 1, 0, 1.0);
  t.set(0, 0, 1, -1.0);
  t.set(0, 1, 1, kNaN);
  return t;
}

void expect_cells(const Tile& t, const std::vector<double>& want) {
  const int pos[4][2] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}};
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE("cell (" + std::to_string(pos[i][0]) + "," + std::to_string(pos[i][1]) + ")");
    double got = t.get(0, pos[i][0], pos[i][1]);
    if (std::isnan(want[static_cast<std::size_t>(i)]))
      EXPECT_TRUE(std::isnan(got)) << got;
    else
      EXPECT_EQ(got, want[static_cast<std::size_t>(i)]);
  }
}

struct ConvertCase {
  const char* id;
  const char* target;
  std::vector<double> expected;
};

TEST(TileConvert, GeoTrellisArrayTileSpecCases) {
  const std::vector<ConvertCase> cases = {
      {"gt-convert-double-to-byte", "int8raw", {0, 1, -1, 0}},
      {"gt-convert-double-to-ubyte", "uint8raw", {0, 1, 255, 0}},
      {"gt-convert-double-to-ubyte-const", "uint8", {kNaN, 1, 255, kNaN}},
      {"gt-convert-double-to-ubyte-ud1", "uint8ud1", {0, kNaN, 255, kNaN}},
      {"gt-convert-double-to-short", "int16raw", {0, 1, -1, 0}},
      {"gt-convert-double-to-short-const", "int16", {0, 1, -1, kNaN}},
      {"gt-convert-double-to-short-ud1", "int16ud1", {0, kNaN, -1, kNaN}},
      {"gt-convert-double-to-ushort", "uint16raw", {0, 1, 65535, 0}},
      {"gt-convert-double-to-int", "int32raw", {0, 1, -1, 0}},
      {"gt-convert-double-to-int-const", "int32", {0, 1, -1, kNaN}},
      {"gt-convert-double-to-float-const", "float32", {0, 1, -1, kNaN}},
      {"gt-convert-double-to-float-ud1", "float32ud1.0", {0, kNaN, -1, kNaN}},
      {"gt-convert-double-to-double", "float64raw", {0, 1, -1, kNaN}},
      {"gt-convert-double-to-double-const", "float64", {0, 1, -1, kNaN}},
  };
  const Tile src = double_source();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.id);
    Tile out = src.convert(ct(c.target));
    EXPECT_EQ(out.cell_type(), ct(c.target));
    EXPECT_EQ(out.cols(), 2);
    EXPECT_EQ(out.rows(), 2);
    expect_cells(out, c.expected);
  }
}

// The stored values behind the expectations above (what a catalog writer sees).
TEST(TileConvert, StoredValues) {
  const Tile src = double_source();
  Tile ub = src.convert(ct("uint8"));
  EXPECT_EQ(ub.band_as<std::uint8_t>(0)[2], 255);
  EXPECT_EQ(ub.band_as<std::uint8_t>(0)[3], 0);
  Tile ud1 = src.convert(ct("int16ud1"));
  EXPECT_EQ(ud1.band_as<std::int16_t>(0)[1], 1);
  EXPECT_EQ(ud1.band_as<std::int16_t>(0)[3], 1);
  Tile i32 = src.convert(ct("int32"));
  EXPECT_EQ(i32.band_as<std::int32_t>(0)[3], kIntMin);
  Tile f = src.convert(ct("float32ud1.0"));
  EXPECT_EQ(f.band_as<float>(0)[3], 1.0f);
}

TEST(TileConvert, FromIntegerTilesUsesIntNoData) {
  Tile s(ct("int16"), 3, 1);
  s.set(0, 0, 0, 7);
  s.set(0, 1, 0, -300);
  // (2,0) stays NoData
  Tile f = s.convert(ct("float32"));
  EXPECT_EQ(f.get(0, 0, 0), 7);
  EXPECT_EQ(f.get(0, 1, 0), -300);
  EXPECT_TRUE(std::isnan(f.get(0, 2, 0)));
  // NoData -> Int.MinValue -> target NoData or, for raw targets, Int.MinValue narrowed.
  Tile r32 = s.convert(ct("int32raw"));
  EXPECT_EQ(r32.get(0, 2, 0), static_cast<double>(kIntMin));
  Tile r8 = s.convert(ct("int8raw"));
  EXPECT_EQ(r8.get(0, 2, 0), 0);
  EXPECT_EQ(r8.get(0, 1, 0), static_cast<double>(static_cast<std::int8_t>(-300)));
  Tile c8 = s.convert(ct("uint8"));
  EXPECT_TRUE(std::isnan(c8.get(0, 2, 0)));
  Tile ud = s.convert(ct("int32ud-9999"));
  EXPECT_TRUE(std::isnan(ud.get(0, 2, 0)));
  EXPECT_EQ(ud.band_as<std::int32_t>(0)[2], -9999);
  Tile fraw = s.convert(ct("float64raw"));
  EXPECT_EQ(fraw.get(0, 2, 0), static_cast<double>(kIntMin));
  Tile fud = s.convert(ct("float64ud-1.0"));
  EXPECT_EQ(fud.band_as<double>(0)[2], -1.0);
  // uint8 raw source reads unsigned.
  Tile u(ct("uint8raw"), 1, 1);
  u.set(0, 0, 0, 250);
  EXPECT_EQ(u.convert(ct("int16")).get(0, 0, 0), 250);
  // bool
  Tile b = u.convert(ct("bool"));
  EXPECT_EQ(b.get(0, 0, 0), 0);  // 250 & 1
  EXPECT_EQ(b.convert(ct("int32")).get(0, 0, 0), 0);
}

TEST(TileConvert, SameTypeIsACopyAndMultibandIsConverted) {
  Tile s(ct("float64"), 2, 1, 3);
  s.set(2, 1, 0, 42.9);
  EXPECT_EQ(s.convert(ct("float64")), s);
  Tile i = s.convert(ct("int16"));
  EXPECT_EQ(i.bands(), 3);
  EXPECT_EQ(i.get(2, 1, 0), 42);
  EXPECT_TRUE(std::isnan(i.get(0, 0, 0)));
}

}  // namespace
}  // namespace trellis
