// GeoTrellis tile files (tile_codec.hpp): schema texts, encoding, zlib, schema-driven decoding.
#include "io/catalog/tile_codec.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "core/error.hpp"

namespace trellis::io::catalog {

namespace {

// The 16 tile records of GeoTrellis 1.1-2.x's union, in branch order (catalog spec 3.2).
struct TileRecordSpec {
  const char* name;
  const char* cells;   // the cells (or cell) field's type
  const char* nodata;  // the noDataValue union, or nullptr (bit tiles)
  const char* deflt;   // its default
  bool constant;
};
constexpr const char* kIntArray = R"({"type":"array","items":"int"})";
constexpr const char* kIntNd = R"(["int","null"])";
constexpr TileRecordSpec kRecords[] = {
    {"ByteArrayTile", R"("bytes")", kIntNd, "-128", false},
    {"FloatArrayTile", R"({"type":"array","items":"float"})", R"(["boolean","float"])", "true", false},
    {"DoubleArrayTile", R"({"type":"array","items":"double"})", R"(["boolean","double"])", "true", false},
    {"ShortArrayTile", kIntArray, kIntNd, "-32768", false},
    {"IntArrayTile", kIntArray, kIntNd, "-2147483648", false},
    {"BitArrayTile", R"("bytes")", nullptr, nullptr, false},
    {"UByteArrayTile", R"("bytes")", kIntNd, "0", false},
    {"UShortArrayTile", kIntArray, kIntNd, "0", false},
    {"ByteConstantTile", R"("int")", kIntNd, "-128", true},
    {"FloatConstantTile", R"("float")", R"(["boolean","float"])", "true", true},
    {"DoubleConstantTile", R"("double")", R"(["boolean","double"])", "true", true},
    {"ShortConstantTile", R"("int")", kIntNd, "0", true},  // GeoTrellis' schema default, not its NoData
    {"IntConstantTile", R"("int")", kIntNd, "-2147483648", true},
    {"BitConstantTile", R"("boolean")", nullptr, nullptr, true},
    {"UByteConstantTile", R"("int")", kIntNd, "0", true},
    {"UShortConstantTile", R"("int")", kIntNd, "0", true},
};

// Avro's printer names the namespace of a record only where it differs from the enclosing one.
std::string tile_records(bool with_namespace) {
  std::string s;
  for (const auto& r : kRecords) {
    if (!s.empty()) s += ',';
    s += R"({"type":"record","name":")" + std::string(r.name) + '"';
    if (with_namespace) s += R"(,"namespace":"geotrellis.raster")";
    s += R"(,"fields":[{"name":"cols","type":"int"},{"name":"rows","type":"int"},{"name":")";
    s += std::string(r.constant ? "cell" : "cells") + R"(","type":)" + r.cells + '}';
    if (r.nodata)
      s += R"(,{"name":"noDataValue","type":)" + std::string(r.nodata) + R"(,"default":)" + r.deflt + '}';
    s += "]}";
  }
  return s;
}

// Branch of the union for an array tile of a kind.
int array_branch(CellKind k) {
  switch (k) {
    case CellKind::Int8:
      return 0;
    case CellKind::Float32:
      return 1;
    case CellKind::Float64:
      return 2;
    case CellKind::Int16:
      return 3;
    case CellKind::Int32:
      return 4;
    case CellKind::Bool:
      return 5;
    case CellKind::UInt8:
      return 6;
    case CellKind::UInt16:
      return 7;
  }
  throw std::logic_error("bad cell kind");
}

// The int written for a NoData value of an integer kind: GeoTrellis stores bytes and shorts signed.
std::int32_t stored_int_nodata(const CellType& ct) {
  const auto v = static_cast<std::int64_t>(ct.nodata());
  switch (ct.kind) {
    case CellKind::Int8:
    case CellKind::UInt8:
      return static_cast<std::int8_t>(static_cast<std::uint8_t>(v));
    case CellKind::Int16:
    case CellKind::UInt16:
      return static_cast<std::int16_t>(static_cast<std::uint16_t>(v));
    default:
      return static_cast<std::int32_t>(v);
  }
}

void encode_band(avro::Writer& w, const Tile& t, int band) {
  const CellType& ct = t.cell_type();
  const std::size_t n = t.cells();
  w.write_long(array_branch(ct.kind));
  w.write_int(t.cols());
  w.write_int(t.rows());
  auto array = [&](auto write_item) {
    w.write_long(static_cast<std::int64_t>(n));
    for (std::size_t i = 0; i < n; ++i) write_item(i);
    w.write_long(0);
  };
  switch (ct.kind) {
    case CellKind::Int8:
    case CellKind::UInt8:
      w.write_bytes({t.band_data(band), n});
      break;
    case CellKind::Bool: {
      std::vector<std::byte> bits((n + 7) / 8);
      const auto* c = t.band_as<std::uint8_t>(band);
      for (std::size_t i = 0; i < n; ++i)
        if (c[i] & 1) bits[i >> 3] |= std::byte{static_cast<std::uint8_t>(1u << (i & 7))};
      w.write_bytes(bits);
      return;  // no noDataValue
    }
    case CellKind::Int16:
    case CellKind::UInt16: {
      // Shorts as the JVM boxes them: sign-extended, also for unsigned cells.
      const auto* c = t.band_as<std::int16_t>(band);
      w.reserve(3 * n + 8);
      array([&](std::size_t i) { w.write_int(c[i]); });
      break;
    }
    case CellKind::Int32: {
      const auto* c = t.band_as<std::int32_t>(band);
      w.reserve(5 * n + 8);
      array([&](std::size_t i) { w.write_int(c[i]); });
      break;
    }
    case CellKind::Float32:
      w.write_long(static_cast<std::int64_t>(n));
      w.write_floats(t.band_as<float>(band), n);
      w.write_long(0);
      break;
    case CellKind::Float64:
      w.write_long(static_cast<std::int64_t>(n));
      w.write_doubles(t.band_as<double>(band), n);
      w.write_long(0);
      break;
  }
  if (ct.is_float()) {
    if (ct.mode == NoDataMode::UserDefined) {
      w.write_long(1);
      if (ct.kind == CellKind::Float32)
        w.write_float(static_cast<float>(ct.user_nodata));
      else
        w.write_double(ct.user_nodata);
    } else {
      w.write_long(0);
      w.write_bool(ct.mode == NoDataMode::Constant);
    }
  } else if (ct.has_nodata()) {
    w.write_long(0);
    w.write_int(stored_int_nodata(ct));
  } else {
    w.write_long(1);  // null: a raw cell type
  }
}

// The cell type a tile record states: its kind, and its noDataValue (catalog spec 3.2, decoding).
CellType record_cell_type(CellKind kind, const avro::Value& rec) {
  if (kind == CellKind::Bool) return CellType{CellKind::Bool, NoDataMode::Raw, 0};
  if (!rec.has_field("noDataValue")) return CellType{kind, NoDataMode::Constant, 0};
  const avro::Value& nd = rec.field("noDataValue");
  if (kind == CellKind::Float32 || kind == CellKind::Float64) {
    if (nd.kind == avro::Value::Kind::Bool)
      return CellType{kind, nd.b ? NoDataMode::Constant : NoDataMode::Raw, 0};
    if (std::isnan(nd.d)) return CellType{kind, NoDataMode::Constant, 0};
    return CellType{kind, NoDataMode::UserDefined, nd.d};
  }
  if (nd.kind == avro::Value::Kind::Null) return CellType{kind, NoDataMode::Raw, 0};
  const std::int64_t v = nd.l;
  const CellType constant{kind, NoDataMode::Constant, 0};
  if (v == stored_int_nodata(constant)) return constant;
  double ud = static_cast<double>(v);
  if (kind == CellKind::Int8) ud = static_cast<std::int8_t>(v);
  if (kind == CellKind::UInt8) ud = static_cast<std::uint8_t>(v);
  if (kind == CellKind::Int16) ud = static_cast<std::int16_t>(v);
  if (kind == CellKind::UInt16) ud = static_cast<std::uint16_t>(v);
  return CellType{kind, NoDataMode::UserDefined, ud};
}

CellKind record_kind(const std::string& simple, bool& constant) {
  static const std::pair<const char*, CellKind> kKinds[] = {
      {"Byte", CellKind::Int8},      {"UByte", CellKind::UInt8}, {"Short", CellKind::Int16},
      {"UShort", CellKind::UInt16},  {"Int", CellKind::Int32},   {"Float", CellKind::Float32},
      {"Double", CellKind::Float64}, {"Bit", CellKind::Bool}};
  for (const auto& [prefix, kind] : kKinds) {
    const std::string p(prefix);
    if (simple == p + "ArrayTile" || simple == p + "RawArrayTile") {
      constant = false;
      return kind;
    }
    if (simple == p + "ConstantTile") {
      constant = true;
      return kind;
    }
  }
  throw IoError("unknown GeoTrellis tile record '" + simple + "'");
}

int int_field(const avro::Value& rec, const char* name) {
  const avro::Value& v = rec.field(name);
  if (v.kind != avro::Value::Kind::Long)
    throw IoError(std::string("tile field '") + name + "' is not an int");
  return static_cast<int>(v.l);
}

Tile decode_band(const avro::Value& rec);

// PaddedTile (GeoTrellis 3): a chunk placed at an offset in a larger tile of NoData.
Tile decode_padded(const avro::Value& rec) {
  const Tile chunk = decode_band(rec.field("chunk"));
  const int cols = int_field(rec, "cols"), rows = int_field(rec, "rows");
  if (cols < 0 || rows < 0) throw IoError("PaddedTile has a negative size");
  Tile t(chunk.cell_type(), cols, rows);
  t.paste(chunk, int_field(rec, "colOffset"), int_field(rec, "rowOffset"));
  return t;
}

Tile decode_band(const avro::Value& rec) {
  if (rec.kind != avro::Value::Kind::Record) throw IoError("a tile is not an Avro record");
  const std::string simple = rec.simple_name();
  if (simple == "PaddedTile") return decode_padded(rec);
  bool constant = false;
  const CellKind kind = record_kind(simple, constant);
  const CellType ct = record_cell_type(kind, rec);
  const int cols = int_field(rec, "cols"), rows = int_field(rec, "rows");
  if (cols < 0 || rows < 0 || static_cast<std::int64_t>(cols) * rows > (std::int64_t{1} << 31))
    throw IoError(simple + " has an impossible size " + std::to_string(cols) + "x" + std::to_string(rows));
  Tile t(ct, cols, rows);
  const std::size_t n = t.cells();
  if (constant) {
    const avro::Value& c = rec.field("cell");
    const double v = c.kind == avro::Value::Kind::Bool   ? (c.b ? 1.0 : 0.0)
                     : c.kind == avro::Value::Kind::Long ? static_cast<double>(c.l)
                                                         : c.d;
    dispatch_kind(kind, [&](auto z) {
      using T = decltype(z);
      T stored;
      if constexpr (std::is_floating_point_v<T>)
        stored = static_cast<T>(v);
      else  // bytes and shorts come signed: keep their bits
        stored = static_cast<T>(static_cast<std::int64_t>(v));
      std::fill_n(t.band_as<T>(0), n, stored);
    });
    return t;
  }
  const avro::Value& cells = rec.field("cells");
  auto check = [&](std::size_t got) {
    if (got != n)
      throw IoError(simple + " has " + std::to_string(got) + " cells for " + std::to_string(cols) + "x" +
                    std::to_string(rows));
  };
  switch (kind) {
    case CellKind::Int8:
    case CellKind::UInt8:
      check(cells.bytes.size());
      std::memcpy(t.band_data(0), cells.bytes.data(), n);
      break;
    case CellKind::Bool: {
      if (cells.bytes.size() != (n + 7) / 8) throw IoError("BitArrayTile has the wrong number of bytes");
      auto* c = t.band_as<std::uint8_t>(0);
      for (std::size_t i = 0; i < n; ++i)
        c[i] = (static_cast<std::uint8_t>(cells.bytes[i >> 3]) >> (i & 7)) & 1;
      break;
    }
    case CellKind::Int16:
    case CellKind::UInt16: {
      check(cells.ints.size());
      auto* c = t.band_as<std::uint16_t>(0);
      for (std::size_t i = 0; i < n; ++i) c[i] = static_cast<std::uint16_t>(cells.ints[i]);
      break;
    }
    case CellKind::Int32: {
      check(cells.ints.size());
      auto* c = t.band_as<std::int32_t>(0);
      for (std::size_t i = 0; i < n; ++i) c[i] = static_cast<std::int32_t>(cells.ints[i]);
      break;
    }
    case CellKind::Float32:
      check(cells.floats.size());
      std::memcpy(t.band_data(0), cells.floats.data(), n * sizeof(float));
      break;
    case CellKind::Float64:
      check(cells.doubles.size());
      std::memcpy(t.band_data(0), cells.doubles.data(), n * sizeof(double));
      break;
  }
  return t;
}

Tile decode_value(const avro::Value& v) {
  if (v.kind != avro::Value::Kind::Record || v.simple_name() != "ArrayMultibandTile") return decode_band(v);
  const avro::Value& bands = v.field("bands");
  if (bands.items.empty()) throw IoError("ArrayMultibandTile has no band");
  std::vector<Tile> each;
  for (const auto& b : bands.items) each.push_back(decode_band(b));
  const Tile& first = each.front();
  Tile t(first.cell_type(), first.cols(), first.rows(), static_cast<int>(each.size()));
  const std::size_t band_bytes = first.cells() * static_cast<std::size_t>(first.cell_type().bytes());
  for (std::size_t b = 0; b < each.size(); ++b) {
    if (!(each[b].cell_type() == first.cell_type()) || each[b].cols() != first.cols() ||
        each[b].rows() != first.rows())
      throw IoError("the bands of an ArrayMultibandTile differ in cell type or size");
    std::memcpy(t.band_data(static_cast<int>(b)), each[b].band_data(0), band_bytes);
  }
  return t;
}

}  // namespace

std::string tile_schema_text(bool spacetime, bool multiband) {
  std::string key =
      R"({"type":"record","name":")" + std::string(spacetime ? "SpaceTimeKey" : "SpatialKey") +
      R"(","namespace":"geotrellis.spark","fields":[{"name":"col","type":"int"},{"name":"row","type":"int"})";
  if (spacetime) key += R"(,{"name":"instant","type":"long","aliases":["millis"]})";
  key += "]}";
  const std::string value =
      multiband
          ? R"({"type":"record","name":"ArrayMultibandTile","namespace":"geotrellis.raster","fields":[{"name":"bands","type":{"type":"array","items":[)" +
                tile_records(false) + "]}}]}"
          : "[" + tile_records(true) + "]";
  return R"({"type":"record","name":"KeyValueRecord","namespace":"geotrellis.spark.io","fields":[{"name":"pairs","type":{"type":"array","items":{"type":"record","name":"Tuple2","namespace":"scala","fields":[{"name":"_1","type":)" +
         key + R"(},{"name":"_2","type":)" + value + "}]}}}]}";
}

std::vector<std::byte> encode_pairs(std::span<const KeyedTile> pairs, bool spacetime, bool multiband) {
  avro::Writer w;
  if (!pairs.empty()) {
    w.write_long(static_cast<std::int64_t>(pairs.size()));
    for (const auto& [key, tile] : pairs) {
      w.write_int(key.col);
      w.write_int(key.row);
      if (spacetime) w.write_long(key.instant);
      if (multiband) {
        w.write_long(tile->bands());
        for (int b = 0; b < tile->bands(); ++b) encode_band(w, *tile, b);
        w.write_long(0);
      } else {
        if (tile->bands() != 1) throw std::invalid_argument("a multiband tile in a single-band tile record");
        encode_band(w, *tile, 0);
      }
    }
  }
  w.write_long(0);
  return std::move(w.bytes());
}

std::vector<std::pair<SpaceTimeKey, Tile>> TileDecoder::decode(std::span<const std::byte> file) const {
  std::vector<std::byte> raw;
  try {
    raw = zlib_decompress(file);
  } catch (const IoError& e) {
    throw IoError(std::string("a tile file is ") + e.what());
  }
  const avro::Value rec = schema_.decode(raw);
  if (rec.kind != avro::Value::Kind::Record || !rec.has_field("pairs"))
    throw IoError("a tile file is not a GeoTrellis KeyValueRecord");
  std::vector<std::pair<SpaceTimeKey, Tile>> out;
  for (const auto& pair : rec.field("pairs").items) {
    const avro::Value& k = pair.field("_1");
    SpaceTimeKey key{static_cast<std::int32_t>(k.field("col").l), static_cast<std::int32_t>(k.field("row").l),
                     0};
    if (k.has_field("instant")) key.instant = k.field("instant").l;
    out.emplace_back(key, decode_value(pair.field("_2")));
  }
  return out;
}

}  // namespace trellis::io::catalog
