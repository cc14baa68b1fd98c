// trellis' tile files decoded by an independent Avro implementation: Apache Avro C (Debian's
// libavro-dev), with the schema text trellis stores in the layer's metadata. Every cell type, one band
// and three: the cells, the noDataValue branch and value GeoTrellis expects (catalog spec 3.2).
#include <avro.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "io/catalog/tile_codec.hpp"

namespace trellis::io::catalog {
namespace {

// Avro C's generic value of one datum, freed on scope exit.
class AvroDatum {
 public:
  AvroDatum(const std::string& schema_text, const std::vector<std::byte>& bytes) {
    if (avro_schema_from_json_length(schema_text.data(), schema_text.size(), &schema_) != 0)
      throw std::runtime_error(std::string("avro schema: ") + avro_strerror());
    iface_ = avro_generic_class_from_schema(schema_);
    avro_generic_value_new(iface_, &value_);
    reader_ =
        avro_reader_memory(reinterpret_cast<const char*>(bytes.data()), static_cast<int64_t>(bytes.size()));
    if (avro_value_read(reader_, &value_) != 0)
      throw std::runtime_error(std::string("avro read: ") + avro_strerror());
  }
  ~AvroDatum() {
    avro_reader_free(reader_);
    avro_value_decref(&value_);
    avro_value_iface_decref(iface_);
    avro_schema_decref(schema_);
  }
  avro_value_t& value() { return value_; }

 private:
  avro_schema_t schema_{};
  avro_value_iface_t* iface_{};
  avro_value_t value_{};
  avro_reader_t reader_{};
};

avro_value_t field(avro_value_t& rec, const char* name) {
  avro_value_t f;
  EXPECT_EQ(avro_value_get_by_name(&rec, name, &f, nullptr), 0) << name;
  return f;
}

int int_of(avro_value_t v) {
  int32_t i = 0;
  EXPECT_EQ(avro_value_get_int(&v, &i), 0);
  return i;
}

// One band record, decoded by Avro C, against the band of the tile trellis encoded.
void check_band(avro_value_t& u, const Tile& t, int band) {
  avro_value_t rec;
  ASSERT_EQ(avro_value_get_current_branch(&u, &rec), 0);
  const char* name = avro_schema_name(avro_value_get_schema(&rec));
  const CellType& ct = t.cell_type();
  static const char* kNames[] = {"BitArrayTile",    "ByteArrayTile", "UByteArrayTile", "ShortArrayTile",
                                 "UShortArrayTile", "IntArrayTile",  "FloatArrayTile", "DoubleArrayTile"};
  EXPECT_STREQ(name, kNames[static_cast<int>(ct.kind)]);
  EXPECT_EQ(int_of(field(rec, "cols")), t.cols());
  EXPECT_EQ(int_of(field(rec, "rows")), t.rows());
  avro_value_t cells = field(rec, "cells");
  const std::size_t n = t.cells();
  if (ct.kind == CellKind::Int8 || ct.kind == CellKind::UInt8 || ct.kind == CellKind::Bool) {
    const void* buf = nullptr;
    size_t size = 0;
    ASSERT_EQ(avro_value_get_bytes(&cells, &buf, &size), 0);
    const auto* b = static_cast<const std::uint8_t*>(buf);
    if (ct.kind == CellKind::Bool) {
      ASSERT_EQ(size, (n + 7) / 8);
      for (std::size_t i = 0; i < n; ++i)
        EXPECT_EQ((b[i / 8] >> (i % 8)) & 1, t.band_as<std::uint8_t>(band)[i]) << "bit " << i;
      return;  // no noDataValue
    }
    ASSERT_EQ(size, n);
    EXPECT_EQ(std::memcmp(b, t.band_data(band), n), 0);
  } else {
    size_t size = 0;
    ASSERT_EQ(avro_value_get_size(&cells, &size), 0);
    ASSERT_EQ(size, n);
    for (std::size_t i = 0; i < n; ++i) {
      avro_value_t e;
      avro_value_get_by_index(&cells, i, &e, nullptr);
      const double want = dispatch_kind(ct.kind, [&](auto z) {
        using T = decltype(z);
        return static_cast<double>(t.band_as<T>(band)[i]);
      });
      if (ct.kind == CellKind::Float32) {
        float f = 0;
        avro_value_get_float(&e, &f);
        EXPECT_TRUE(f == want || (std::isnan(f) && std::isnan(want))) << i;
      } else if (ct.kind == CellKind::Float64) {
        double d = 0;
        avro_value_get_double(&e, &d);
        EXPECT_TRUE(d == want || (std::isnan(d) && std::isnan(want))) << i;
      } else {
        const int got = int_of(e);
        // Shorts are stored sign-extended, as the JVM boxes them.
        const double expect =
            ct.kind == CellKind::UInt16 ? static_cast<std::int16_t>(static_cast<std::uint16_t>(want)) : want;
        EXPECT_EQ(got, expect) << i;
      }
    }
  }
  // noDataValue: ["int","null"] for integers, ["boolean", float|double] for floats.
  avro_value_t nd = field(rec, "noDataValue"), branch;
  int disc = -1;
  avro_value_get_discriminant(&nd, &disc);
  avro_value_get_current_branch(&nd, &branch);
  if (ct.is_float()) {
    if (ct.mode == NoDataMode::UserDefined) {
      EXPECT_EQ(disc, 1);
      double v = 0;
      if (ct.kind == CellKind::Float32) {
        float f = 0;
        avro_value_get_float(&branch, &f);
        v = f;
      } else {
        avro_value_get_double(&branch, &v);
      }
      EXPECT_EQ(v, ct.kind == CellKind::Float32 ? static_cast<float>(ct.user_nodata) : ct.user_nodata);
    } else {
      EXPECT_EQ(disc, 0);
      int b = -1;
      avro_value_get_boolean(&branch, &b);
      EXPECT_EQ(b != 0, ct.mode == NoDataMode::Constant);
    }
  } else if (ct.has_nodata()) {
    EXPECT_EQ(disc, 0);
    const auto v = static_cast<std::int64_t>(ct.nodata());
    const std::int64_t stored = ct.kind == CellKind::UInt8    ? static_cast<std::int8_t>(v)
                                : ct.kind == CellKind::UInt16 ? static_cast<std::int16_t>(v)
                                                              : v;
    EXPECT_EQ(int_of(branch), stored);
  } else {
    EXPECT_EQ(disc, 1);  // null: a raw type
  }
}

TEST(CatalogAvroC, DecodesTrellisTilesOfEveryCellType) {
  const char* types[] = {"bool",
                         "int8raw",
                         "int8",
                         "int8ud-5",
                         "uint8raw",
                         "uint8",
                         "uint8ud200",
                         "int16raw",
                         "int16",
                         "int16ud-9999",
                         "uint16raw",
                         "uint16",
                         "uint16ud40000",
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
      SCOPED_TRACE(std::string(name) + " x" + std::to_string(bands));
      const CellType ct = CellType::parse(name);
      Tile t(ct, 5, 4, bands);
      for (int b = 0; b < bands; ++b)
        for (int i = 0; i < 20; ++i)
          t.set(b, i % 5, i / 5,
                ct.kind == CellKind::Bool ? (i + b) % 2
                : i % 7 == 3              ? std::nan("")
                                          : (i * 4099 + b) % 60000 - 200.5);
      const KeyedTile pair{{7, 11, 0}, &t};
      const bool mb = bands > 1;
      AvroDatum d(tile_schema_text(false, mb), encode_pairs({&pair, 1}, false, mb));
      avro_value_t pairs = field(d.value(), "pairs"), p;
      size_t n = 0;
      avro_value_get_size(&pairs, &n);
      ASSERT_EQ(n, 1u);
      avro_value_get_by_index(&pairs, 0, &p, nullptr);
      avro_value_t key = field(p, "_1");
      EXPECT_EQ(int_of(field(key, "col")), 7);
      EXPECT_EQ(int_of(field(key, "row")), 11);
      avro_value_t v = field(p, "_2");
      if (!mb) {
        check_band(v, t, 0);
        continue;
      }
      avro_value_t bands_v = field(v, "bands");
      avro_value_get_size(&bands_v, &n);
      ASSERT_EQ(n, 3u);
      for (int b = 0; b < 3; ++b) {
        avro_value_t u;
        avro_value_get_by_index(&bands_v, static_cast<size_t>(b), &u, nullptr);
        check_band(u, t, b);
      }
    }
  }
}

}  // namespace
}  // namespace trellis::io::catalog
