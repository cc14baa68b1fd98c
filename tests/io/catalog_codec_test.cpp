// GeoTrellis tile files: the Avro encoder byte for byte against ../shared/spec (schemas, tile vectors, the
// records of the real GeoTrellis-written fixture), and the schema-driven decoder on the same bytes.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "io/catalog/catalog.hpp"
#include "io/catalog/tile_codec.hpp"
#include "util/test_util.hpp"

namespace trellis::io::catalog {
namespace {

using test::shared_dir;

std::vector<std::byte> from_hex(const std::string& hex) {
  std::vector<std::byte> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<std::byte>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::string to_hex(std::span<const std::byte> b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (std::byte x : b) {
    s += d[static_cast<unsigned>(x) >> 4];
    s += d[static_cast<unsigned>(x) & 15];
  }
  return s;
}

// The vectors of spec/vectors/tile-vectors.txt, in file order: (avro hex, zlib file hex).
std::vector<std::pair<std::string, std::string>> tile_vectors(const std::filesystem::path& shared) {
  std::ifstream in(shared / "spec/vectors/tile-vectors.txt");
  std::vector<std::pair<std::string, std::string>> v;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("avro_raw_hex=", 0) == 0) v.emplace_back(line.substr(13), "");
    if (line.rfind("file_hex(zlib)=", 0) == 0) v.back().second = line.substr(15);
  }
  return v;
}

Tile make(const char* type, int cols, int rows, std::vector<double> cells, int bands = 1) {
  Tile t(CellType::parse(type), cols, rows, bands);
  for (int b = 0; b < bands; ++b)
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c)
        t.set(b, c, r, cells[(static_cast<std::size_t>(b) * rows + r) * cols + c]);
  return t;
}

const double kNaN = std::numeric_limits<double>::quiet_NaN();

struct VectorCase {
  std::size_t index;  // in tile-vectors.txt
  SpaceTimeKey key;
  Tile tile;
  bool spacetime = false, multiband = false;
};

std::vector<VectorCase> array_tile_cases() {
  Tile bits(CellType::parse("bool"), 3, 3);
  bits.band_as<std::uint8_t>(0)[0] = 1;
  bits.band_as<std::uint8_t>(0)[8] = 1;
  return {
      {0, {1, 2, 0}, make("int32", 2, 2, {1, 2, 3, kNaN})},
      {1, {0, 0, 0}, make("uint16ud65535", 2, 1, {0, kNaN})},
      {2, {3, 4, 0}, make("uint8", 3, 1, {kNaN, 1, 255})},
      {3, {0, 0, 0}, make("int8raw", 2, 1, {-128, 127})},
      {4, {0, 0, 0}, make("float32", 2, 1, {1.5, kNaN})},
      {5, {0, 0, 0}, make("float64ud-9999.0", 1, 1, {kNaN})},
      {6, {0, 0, 0}, make("float32raw", 1, 1, {0})},
      {7, {0, 0, 0}, bits},
      {9, {0, 0, 0}, make("uint8raw", 1, 1, {10, 20}, 2), false, true},
      {10, {1, 1, 1262304000000}, make("int32raw", 1, 1, {42}), true, false},
  };
}

TEST(CatalogCodec, SchemaTextsAreGeoTrellisOwn) {
  const auto shared = shared_dir();
  if (!shared) GTEST_SKIP() << "../shared is absent";
  for (bool st : {false, true})
    for (bool mb : {false, true}) {
      const std::string file =
          std::string("v2-") + (st ? "spacetime" : "spatial") + "-" + (mb ? "multiband" : "tile") + ".json";
      EXPECT_EQ(tile_schema_text(st, mb), test::read_file(*shared / "spec/schemas" / file)) << file;
    }
}

TEST(CatalogCodec, EncodesTheSpecVectorsByteForByte) {
  const auto shared = shared_dir();
  if (!shared) GTEST_SKIP() << "../shared is absent";
  const auto vectors = tile_vectors(*shared);
  ASSERT_EQ(vectors.size(), 11u);
  for (const auto& c : array_tile_cases()) {
    const KeyedTile pair{c.key, &c.tile};
    const auto avro = encode_pairs({&pair, 1}, c.spacetime, c.multiband);
    EXPECT_EQ(to_hex(avro), vectors[c.index].first) << "vector " << c.index;
    // The file GeoTrellis wrote holds these bytes; trellis' zlib stream (libdeflate) holds them too.
    EXPECT_EQ(zlib_decompress(from_hex(vectors[c.index].second)), avro) << "vector " << c.index;
    EXPECT_EQ(zlib_decompress(zlib_compress(avro)), avro) << "vector " << c.index;
  }
}

TEST(CatalogCodec, DecodesTheSpecVectors) {
  const auto shared = shared_dir();
  if (!shared) GTEST_SKIP() << "../shared is absent";
  const auto vectors = tile_vectors(*shared);
  for (const auto& c : array_tile_cases()) {
    const TileDecoder dec(nlohmann::ordered_json::parse(tile_schema_text(c.spacetime, c.multiband)));
    const auto pairs = dec.decode(from_hex(vectors[c.index].second));
    ASSERT_EQ(pairs.size(), 1u);
    EXPECT_EQ(pairs[0].first, c.key) << "vector " << c.index;
    EXPECT_TRUE(pairs[0].second == c.tile)
        << "vector " << c.index << ": " << pairs[0].second.cell_type().name();
  }
  // IntConstantTile 2x2 of 7 (GeoTrellis writes constant tiles; trellis only reads them).
  const TileDecoder dec(nlohmann::ordered_json::parse(tile_schema_text(false, false)));
  const auto pairs = dec.decode(from_hex(vectors[8].second));
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].first, (SpaceTimeKey{5, 6, 0}));
  EXPECT_TRUE(pairs[0].second == make("int32", 2, 2, {7, 7, 7, 7}));
}

TEST(CatalogCodec, EveryCellTypeRoundTrips) {
  const char* types[] = {"bool",
                         "int8raw",
                         "int8",
                         "int8ud-5",
                         "uint8raw",
                         "uint8",
                         "uint8ud255",
                         "int16raw",
                         "int16",
                         "int16ud-9999",
                         "uint16raw",
                         "uint16",
                         "uint16ud65535",
                         "int32raw",
                         "int32",
                         "int32ud-1",
                         "float32raw",
                         "float32",
                         "float32ud-9999.0",
                         "float64raw",
                         "float64",
                         "float64ud1.0E-5"};
  for (const char* name : types) {
    for (int bands : {1, 3}) {
      const CellType ct = CellType::parse(name);
      Tile t(ct, 7, 5, bands);
      for (int b = 0; b < bands; ++b)
        for (int i = 0; i < 35; ++i) {
          double v = ct.kind == CellKind::Bool ? (i * 7 + b) % 3 == 0 : (i * 37 + b * 11) % 251 - 100.5;
          if (i % 9 == 4) v = kNaN;
          t.set(b, i % 7, i / 7, v);
        }
      const KeyedTile pair{{3, 9, 0}, &t};
      const bool mb = bands > 1;
      const auto file = zlib_compress(encode_pairs({&pair, 1}, false, mb));
      const TileDecoder dec(nlohmann::ordered_json::parse(tile_schema_text(false, mb)));
      const auto back = dec.decode(file);
      ASSERT_EQ(back.size(), 1u) << name;
      EXPECT_TRUE(back[0].second == t)
          << name << " x" << bands << " came back as " << back[0].second.cell_type().name();
    }
  }
}

TEST(CatalogCodec, RefusesCorruptFiles) {
  const TileDecoder dec(nlohmann::ordered_json::parse(tile_schema_text(false, false)));
  Tile t = make("int32", 2, 2, {1, 2, 3, 4});
  const KeyedTile pair{{0, 0, 0}, &t};
  auto avro = encode_pairs({&pair, 1}, false, false);
  auto truncated = avro;
  truncated.resize(truncated.size() - 3);
  EXPECT_THROW(dec.decode(zlib_compress(truncated)), IoError);
  auto longer = avro;
  longer.push_back(std::byte{0});
  EXPECT_THROW(dec.decode(zlib_compress(longer)), IoError);
  auto file = zlib_compress(avro);
  file.resize(file.size() / 2);
  EXPECT_THROW(dec.decode(file), IoError);
  auto branch = avro;
  branch[3] = std::byte{0x40};  // union branch 32: beyond the 16 tile records
  EXPECT_THROW(dec.decode(zlib_compress(branch)), IoError);
}

// The real GeoTrellis 2.0.0-RC2 catalog: its metadata, the values spec 3.5 and 9.1 state, and files that
// trellis' encoder writes back byte for byte.
TEST(CatalogCodec, ReadsTheGeoTrellisWrittenFixture) {
  const auto shared = shared_dir();
  if (!shared) GTEST_SKIP() << "../shared is absent";
  const Catalog cat((*shared / "data/geotrellis-catalog/catalog").string());
  const auto ids = cat.layers();
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0].name, "landsat");
  EXPECT_EQ(ids[0].zoom, 0);
  const LayerAttributes a = cat.read_layer(ids[0]);
  EXPECT_EQ(a.md.cell_type.name(), "uint16raw");
  EXPECT_EQ(a.md.layout.tile_layout, (TileLayout{34, 28, 256, 256}));
  EXPECT_EQ(a.md.layout.extent.xmin, 138.83392384789715);
  EXPECT_EQ(a.md.extent.ymax, 37.10945605969421);
  EXPECT_EQ(a.md.crs.epsg(), 4326);
  EXPECT_EQ(a.md.bounds.max, (SpaceTimeKey{33, 27, 0}));
  EXPECT_EQ(a.key_index.kind, IndexKind::ZOrder);
  EXPECT_EQ(a.key_index.file_name_width(), 4);
  EXPECT_EQ(a.header.path, "landsat/0");
  EXPECT_FALSE(a.header.multiband());

  const TileDecoder dec(a.schema);
  const std::map<std::string, SpaceTimeKey> files = {{"0100", {10, 4, 0}},
                                                     {"0562", {4, 21, 0}},
                                                     {"0128", {0, 8, 0}},
                                                     {"0129", {1, 8, 0}},
                                                     {"1675", {33, 27, 0}}};
  for (const auto& [name, key] : files) {
    const std::string path =
        cat.tile_path(a.header, a.key_index.to_index(key), a.key_index.file_name_width());
    EXPECT_EQ(path, cat.tile_dir(a.header) + "/" + name);
    const auto bytes = cat.read_tile_file(path);
    ASSERT_TRUE(bytes) << path;
    const auto pairs = dec.decode(*bytes);
    ASSERT_EQ(pairs.size(), 1u);
    EXPECT_EQ(pairs[0].first, key) << name;
    const Tile& t = pairs[0].second;
    EXPECT_EQ(t.cell_type().name(), "uint16raw");
    ASSERT_EQ(t.cols(), 256);
    ASSERT_EQ(t.rows(), 256);
    if (name == "0100") {
      EXPECT_EQ(t.band_as<std::uint16_t>(0)[0], 26119);  // zigzag 8e 98 03 (spec 3.5)
    }
    if (name == "0128" || name == "1675") {  // all-zero tiles (spec 9.1)
      for (std::size_t i = 0; i < t.cells(); ++i) ASSERT_EQ(t.band_as<std::uint16_t>(0)[i], 0);
    }
    // trellis encodes GeoTrellis' own record bytes.
    const KeyedTile pair{pairs[0].first, &t};
    EXPECT_EQ(encode_pairs({&pair, 1}, false, false), zlib_decompress(*bytes)) << name;
  }
  EXPECT_FALSE(cat.read_tile_file(cat.tile_dir(a.header) + "/0000"));  // sparse: no file
}

// GeoTrellis 3.x's schema (key namespace geotrellis.tiling, a 17th branch PaddedTile): trellis' bytes
// decode with it unchanged, and a PaddedTile datum (written here by hand, spec 3.2) decodes to the chunk
// placed at its offset in a tile of NoData.
TEST(CatalogCodec, DecodesWithGeoTrellis3Schemas) {
  const auto shared = shared_dir();
  if (!shared) GTEST_SKIP() << "../shared is absent";
  const auto v3 =
      nlohmann::ordered_json::parse(test::read_file(*shared / "spec/schemas/v3-spatial-tile.json"));
  const TileDecoder dec(v3);
  Tile t = make("int16ud-9999", 3, 2, {1, 2, kNaN, 4, 5, 6});
  const KeyedTile pair{{2, 3, 0}, &t};
  auto back = dec.decode(zlib_compress(encode_pairs({&pair, 1}, false, false)));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_TRUE(back[0].second == t);

  // pairs: 1 item; key (1, 0); branch 16 PaddedTile { chunk: branch 4 IntArrayTile 1x2 [7, 8] int32,
  // colOffset 1, rowOffset 0, cols 3, rows 2 }; end of pairs.
  avro::Writer w;
  w.write_long(1);
  w.write_int(1);
  w.write_int(0);
  w.write_long(16);
  w.write_long(4);
  w.write_int(1);
  w.write_int(2);
  w.write_long(2);
  w.write_int(7);
  w.write_int(8);
  w.write_long(0);
  w.write_long(0);
  w.write_int(std::numeric_limits<std::int32_t>::min());
  w.write_int(1);
  w.write_int(0);
  w.write_int(3);
  w.write_int(2);
  w.write_long(0);
  back = dec.decode(zlib_compress(w.bytes()));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].first, (SpaceTimeKey{1, 0, 0}));
  EXPECT_TRUE(back[0].second == make("int32", 3, 2, {kNaN, 7, kNaN, kNaN, 8, kNaN}));

  // Multiband and spacetime, with GeoTrellis 3's schemas.
  Tile mb = make("float32", 2, 1, {1.5, kNaN, -3, 4}, 2);
  const KeyedTile st{{4, 5, 1262304000000}, &mb};
  const TileDecoder dec3(
      nlohmann::ordered_json::parse(test::read_file(*shared / "spec/schemas/v3-spacetime-multiband.json")));
  back = dec3.decode(zlib_compress(encode_pairs({&st, 1}, true, true)));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].first, st.key);
  EXPECT_TRUE(back[0].second == mb);
}

// Metadata as GeoTrellis 3.x (circe) prints it: other member order, numbers in exponent form.
TEST(CatalogCodec, ParsesGeoTrellis3Metadata) {
  const std::string text =
      R"([{"name":"w","zoom":2},{"header":{"keyClass":"geotrellis.layer.SpatialKey","valueClass":"geotrellis.raster.MultibandTile","path":"w/2","layerType":"AvroLayerType","format":"file"},)"
      R"("metadata":{"cellType":"uint8ud15","layoutDefinition":{"extent":{"xmin":-2.0037508342789244E7,"ymin":-2.0037508342789244E7,"xmax":2.0037508342789244E7,"ymax":2.0037508342789244E7},"tileLayout":{"layoutCols":4,"layoutRows":4,"tileCols":256,"tileRows":256}},)"
      R"("extent":{"xmin":-1.0E7,"ymin":0.0,"xmax":1.0E6,"ymax":1.5E7},"crs":"+proj=merc +a=6378137 +b=6378137 +lat_ts=0.0 +lon_0=0.0 +x_0=0.0 +y_0=0 +k=1.0 +units=m +nadgrids=@null +wktext +no_defs ",)"
      R"("bounds":{"minKey":{"col":1,"row":0},"maxKey":{"col":2,"row":1}}},)"
      R"("keyIndex":{"type":"hilbert","properties":{"keyBounds":{"minKey":{"col":1,"row":0},"maxKey":{"col":2,"row":1}},"xResolution":1,"yResolution":1}},"schema":{"type":"record","name":"KeyValueRecord","fields":[]}}])";
  const LayerAttributes a = parse_metadata_attribute(text);
  EXPECT_TRUE(a.header.multiband());
  EXPECT_FALSE(a.bands_known);
  EXPECT_EQ(a.md.cell_type.name(), "uint8ud15");
  EXPECT_EQ(a.md.layout.extent.xmax, 20037508.342789244);
  EXPECT_EQ(a.md.extent.ymax, 1.5e7);
  EXPECT_EQ(a.md.crs.epsg(), 3857);
  EXPECT_EQ(a.md.zoom, 2);
  EXPECT_EQ(a.key_index.kind, IndexKind::Hilbert);
  EXPECT_EQ(a.key_index.to_index({2, 1, 0}), 2u);  // (1, 1) after the minKey offset, 1 bit per axis
  // What is missing or wrong is named.
  EXPECT_THROW(parse_metadata_attribute("[1]"), IoError);
  std::string bad = text;
  bad.replace(bad.find("\"crs\""), 5, "\"crz\"");
  try {
    parse_metadata_attribute(bad);
    ADD_FAILURE();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("metadata has no 'crs'"), std::string::npos) << e.what();
  }
  // The text trellis writes parses back to the same attributes.
  const LayerAttributes again = parse_metadata_attribute(metadata_attribute_text("w", 2, a));
  EXPECT_EQ(again.md.layout, a.md.layout);
  EXPECT_EQ(again.md.extent.xmin, a.md.extent.xmin);
  EXPECT_EQ(again.md.bounds, a.md.bounds);
  EXPECT_EQ(again.key_index.x_resolution, 1);
  EXPECT_EQ(again.header.path, "w/2");
}

}  // namespace
}  // namespace trellis::io::catalog
