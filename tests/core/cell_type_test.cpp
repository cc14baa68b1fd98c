// Cell type names, NoData conventions, union and Java Double.toString (catalog spec section 6).
#include "core/cell_type.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace trellis {
namespace {

TEST(JavaDoubleToString, FollowsJavaRules) {
  EXPECT_EQ(java_double_to_string(-9999.0), "-9999.0");
  EXPECT_EQ(java_double_to_string(1.0e-5), "1.0E-5");
  EXPECT_EQ(java_double_to_string(static_cast<double>(-3.4028235e38f)), "-3.4028234663852886E38");
  EXPECT_EQ(java_double_to_string(0.0), "0.0");
  EXPECT_EQ(java_double_to_string(-0.0), "-0.0");
  EXPECT_EQ(java_double_to_string(1.0), "1.0");
  EXPECT_EQ(java_double_to_string(-1.0), "-1.0");
  EXPECT_EQ(java_double_to_string(18.0), "18.0");
  EXPECT_EQ(java_double_to_string(0.1), "0.1");
  EXPECT_EQ(java_double_to_string(0.001), "0.001");
  EXPECT_EQ(java_double_to_string(0.0001), "1.0E-4");
  EXPECT_EQ(java_double_to_string(0.00123), "0.00123");
  EXPECT_EQ(java_double_to_string(9999999.0), "9999999.0");
  EXPECT_EQ(java_double_to_string(1.0e7), "1.0E7");
  EXPECT_EQ(java_double_to_string(123456789.0), "1.23456789E8");
  EXPECT_EQ(java_double_to_string(2.0037508342789244E7), "2.0037508342789244E7");
  EXPECT_EQ(java_double_to_string(-2.0015109355797417E7), "-2.0015109355797417E7");
  EXPECT_EQ(java_double_to_string(138.83392384789715), "138.83392384789715");
  EXPECT_EQ(java_double_to_string(100.5), "100.5");
  EXPECT_EQ(java_double_to_string(1234567.125), "1234567.125");
  EXPECT_EQ(java_double_to_string(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(java_double_to_string(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(java_double_to_string(-std::numeric_limits<double>::infinity()), "-Infinity");
  EXPECT_EQ(java_double_to_string(std::numeric_limits<double>::max()), "1.7976931348623157E308");
  EXPECT_EQ(java_double_to_string(std::numeric_limits<double>::denorm_min()), "4.9E-324");
  EXPECT_EQ(java_double_to_string(1e21), "1.0E21");
  EXPECT_EQ(java_double_to_string(-1.5e-10), "-1.5E-10");
}

// Every name of spec section 6 parses and prints back identically.
TEST(CellTypeName, CanonicalNamesRoundTrip) {
  const std::vector<std::string> names = {
      "bool",
      "int8raw",
      "int8",
      "int8ud-5",
      "int8ud127",
      "uint8raw",
      "uint8",
      "uint8ud255",
      "uint8ud15",
      "int16raw",
      "int16",
      "int16ud-9999",
      "uint16raw",
      "uint16",
      "uint16ud65535",
      "uint16ud1",
      "int32raw",
      "int32",
      "int32ud-9999",
      "int32ud2147483647",
      "float32raw",
      "float32",
      "float32ud-9999.0",
      "float32ud-1.0",
      "float32ud0.0",
      "float32ud1.0",
      "float32ud-10.0",
      "float32ud18.0",
      "float32ud-3.4028234663852886E38",
      "float64raw",
      "float64",
      "float64ud-9999.0",
      "float64ud1.0E-5",
      "float64ud1.0E300",
  };
  for (const auto& n : names) {
    SCOPED_TRACE(n);
    EXPECT_EQ(CellType::parse(n).name(), n);
  }
}

TEST(CellTypeName, KindsAndModes) {
  struct Row {
    const char* name;
    CellKind kind;
    NoDataMode mode;
  };
  const Row rows[] = {
      {"bool", CellKind::Bool, NoDataMode::Raw},
      {"int8raw", CellKind::Int8, NoDataMode::Raw},
      {"int8", CellKind::Int8, NoDataMode::Constant},
      {"uint8raw", CellKind::UInt8, NoDataMode::Raw},
      {"uint8", CellKind::UInt8, NoDataMode::Constant},
      {"int16raw", CellKind::Int16, NoDataMode::Raw},
      {"int16", CellKind::Int16, NoDataMode::Constant},
      {"uint16raw", CellKind::UInt16, NoDataMode::Raw},
      {"uint16", CellKind::UInt16, NoDataMode::Constant},
      {"int32raw", CellKind::Int32, NoDataMode::Raw},
      {"int32", CellKind::Int32, NoDataMode::Constant},
      {"float32raw", CellKind::Float32, NoDataMode::Raw},
      {"float32", CellKind::Float32, NoDataMode::Constant},
      {"float64raw", CellKind::Float64, NoDataMode::Raw},
      {"float64", CellKind::Float64, NoDataMode::Constant},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    CellType ct = CellType::parse(r.name);
    EXPECT_EQ(ct.kind, r.kind);
    EXPECT_EQ(ct.mode, r.mode);
  }
}

TEST(CellTypeName, NonCanonicalSpellings) {
  EXPECT_EQ(CellType::parse("boolraw").name(), "bool");
  // Float ud values are parsed like Java's Double.parseDouble and printed with Double.toString.
  EXPECT_EQ(CellType::parse("float32ud-9999").name(), "float32ud-9999.0");
  EXPECT_EQ(CellType::parse("float64ud0.00001").name(), "float64ud1.0E-5");
  EXPECT_EQ(CellType::parse("float64ud1e-5").name(), "float64ud1.0E-5");
  EXPECT_EQ(CellType::parse("float32ud-3.4028235E38").name(), "float32ud-3.4028234663852886E38");
  // float32 ud values are stored as floats: 0.1f widened to double.
  EXPECT_EQ(CellType::parse("float32ud0.1").name(), "float32ud0.10000000149011612");
  // NaN ud means the constant NoData type.
  EXPECT_EQ(CellType::parse("float32udNaN").name(), "float32");
  EXPECT_EQ(CellType::parse("float64udNaN").name(), "float64");
  // Integers: Integer.parseInt then .toByte / .toShort; uint8/uint16 print unsigned.
  EXPECT_EQ(CellType::parse("uint8ud-1").name(), "uint8ud255");
  EXPECT_EQ(CellType::parse("uint8ud256").name(), "uint8ud0");
  EXPECT_EQ(CellType::parse("uint16ud-1").name(), "uint16ud65535");
  EXPECT_EQ(CellType::parse("int8ud255").name(), "int8ud-1");
  EXPECT_EQ(CellType::parse("int16ud40000").name(), "int16ud-25536");
  EXPECT_EQ(CellType::parse("int8ud+5").name(), "int8ud5");
  // A ud value equal to the constant stays user-defined (spec section 6).
  CellType c = CellType::parse("int8ud-128");
  EXPECT_EQ(c.mode, NoDataMode::UserDefined);
  EXPECT_EQ(c.name(), "int8ud-128");
}

TEST(CellTypeName, RejectsUnknownNames) {
  for (const char* bad : {"", "foo", "int8ud", "int8udx", "int8ud1.5", "float32udabc", "float32ud", "int64",
                          "uint32", "int8rawx", "Int8", "float", "bool8", "int32ud99999999999"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(CellType::parse(bad), JobError);
  }
  try {
    CellType::parse("xyz");
    FAIL();
  } catch (const JobError& e) {
    EXPECT_NE(std::string(e.what()).find("xyz"), std::string::npos);
    EXPECT_EQ(e.code(), kExitJob);
  }
}

TEST(CellTypeNoData, ConstantsPerKind) {
  EXPECT_EQ(CellType::parse("int8").nodata(), -128);
  EXPECT_EQ(CellType::parse("uint8").nodata(), 0);
  EXPECT_EQ(CellType::parse("int16").nodata(), -32768);
  EXPECT_EQ(CellType::parse("uint16").nodata(), 0);
  EXPECT_EQ(CellType::parse("int32").nodata(), static_cast<double>(std::numeric_limits<std::int32_t>::min()));
  EXPECT_TRUE(std::isnan(CellType::parse("float32").nodata()));
  EXPECT_TRUE(std::isnan(CellType::parse("float64").nodata()));
  EXPECT_EQ(CellType::parse("int16ud-9999").nodata(), -9999);
  EXPECT_EQ(CellType::parse("uint8ud255").nodata(), 255);
  EXPECT_EQ(CellType::parse("float32ud-9999.0").nodata(), -9999);
}

TEST(CellTypeNoData, HasNoData) {
  for (const char* n :
       {"bool", "int8raw", "uint8raw", "int16raw", "uint16raw", "int32raw", "float32raw", "float64raw"}) {
    SCOPED_TRACE(n);
    EXPECT_FALSE(CellType::parse(n).has_nodata());
  }
  for (const char* n :
       {"int8", "uint8", "int16", "uint16", "int32", "float32", "float64", "int8ud3", "float64ud-1.0"}) {
    SCOPED_TRACE(n);
    EXPECT_TRUE(CellType::parse(n).has_nodata());
  }
}

TEST(CellTypeNoData, IsNoData) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // Raw types never hold NoData.
  EXPECT_FALSE(CellType::parse("int8raw").is_nodata(-128));
  EXPECT_FALSE(CellType::parse("uint8raw").is_nodata(0));
  EXPECT_FALSE(CellType::parse("int32raw").is_nodata(std::numeric_limits<std::int32_t>::min()));
  EXPECT_FALSE(CellType::parse("float64raw").is_nodata(nan));
  EXPECT_FALSE(CellType::parse("bool").is_nodata(0));
  // Integer constants.
  EXPECT_TRUE(CellType::parse("int8").is_nodata(-128));
  EXPECT_FALSE(CellType::parse("int8").is_nodata(-127));
  EXPECT_TRUE(CellType::parse("uint8").is_nodata(0));
  EXPECT_FALSE(CellType::parse("uint8").is_nodata(255));
  EXPECT_TRUE(CellType::parse("int16").is_nodata(-32768));
  EXPECT_TRUE(CellType::parse("uint16").is_nodata(0));
  EXPECT_TRUE(CellType::parse("int32").is_nodata(std::numeric_limits<std::int32_t>::min()));
  EXPECT_FALSE(CellType::parse("int32").is_nodata(0));
  // Float constants: NaN only.
  EXPECT_TRUE(CellType::parse("float32").is_nodata(nan));
  EXPECT_FALSE(CellType::parse("float32").is_nodata(0));
  EXPECT_TRUE(CellType::parse("float64").is_nodata(nan));
  // User-defined: equality with the user value.
  EXPECT_TRUE(CellType::parse("int16ud-9999").is_nodata(-9999));
  EXPECT_FALSE(CellType::parse("int16ud-9999").is_nodata(-32768));
  EXPECT_TRUE(CellType::parse("uint8ud255").is_nodata(255));
  EXPECT_TRUE(CellType::parse("float32ud-9999.0").is_nodata(-9999));
  EXPECT_FALSE(CellType::parse("float32ud-9999.0").is_nodata(0));
  EXPECT_TRUE(CellType::parse("float32ud0.1").is_nodata(static_cast<double>(0.1f)));
  EXPECT_TRUE(CellType::parse("float64ud1.0E-5").is_nodata(1e-5));
}

TEST(CellTypeSize, BitsAndBytes) {
  struct Row {
    const char* name;
    int bits, bytes;
  };
  for (const Row& r :
       {Row{"bool", 1, 1}, Row{"int8", 8, 1}, Row{"uint8raw", 8, 1}, Row{"int16", 16, 2},
        Row{"uint16", 16, 2}, Row{"int32", 32, 4}, Row{"float32", 32, 4}, Row{"float64", 64, 8}}) {
    SCOPED_TRACE(r.name);
    CellType ct = CellType::parse(r.name);
    EXPECT_EQ(ct.bits(), r.bits);
    EXPECT_EQ(ct.bytes(), r.bytes);
  }
  EXPECT_TRUE(CellType::parse("float32").is_float());
  EXPECT_FALSE(CellType::parse("int32").is_float());
}

TEST(CellTypeUnion, GeoTrellisRule) {
  auto u = [](const char* a, const char* b) {
    return CellType::parse(a).union_with(CellType::parse(b)).name();
  };
  EXPECT_EQ(u("int8", "int16"), "int16");
  EXPECT_EQ(u("int16", "int8"), "int16");
  EXPECT_EQ(u("int16", "float32"), "float32");
  EXPECT_EQ(u("float32", "int16"), "float32");
  EXPECT_EQ(u("int32", "float32"), "float32");  // same bits: the float wins
  EXPECT_EQ(u("float32", "int32"), "float32");
  EXPECT_EQ(u("int32", "float64"), "float64");
  EXPECT_EQ(u("float64", "uint8"), "float64");
  EXPECT_EQ(u("bool", "uint8raw"), "uint8raw");
  EXPECT_EQ(u("uint8", "int8"), "int8");  // tie, neither float: the other one
  EXPECT_EQ(u("float32", "float32"), "float32");
  // The winner keeps its own NoData mode.
  EXPECT_EQ(u("float32ud-9999.0", "int16"), "float32ud-9999.0");
  EXPECT_EQ(u("int16raw", "int32ud5"), "int32ud5");
}

// gps-with-no-data / gps-no-data-of-one: with_no_data on float32 tiles.
TEST(CellTypeWithNoData, GeoPySparkCases) {
  CellType f = CellType::parse("float32ud-500.0");  // Tile(arr, 'FLOAT', -500.0)
  CellType a = f.with_nodata(-10.0);
  EXPECT_EQ(a.name(), "float32ud-10.0");
  EXPECT_EQ(a.nodata(), -10);
  CellType b = f.with_nodata(18.0);
  EXPECT_EQ(b.name(), "float32ud18.0");
  EXPECT_EQ(b.nodata(), 18);
  CellType one = CellType::parse("float32").with_nodata(1.0);  // gps-no-data-of-one
  EXPECT_NE(one.name().find("ud1"), std::string::npos);
  EXPECT_EQ(one.name(), "float32ud1.0");
  EXPECT_EQ(one.nodata(), 1);
}

TEST(CellTypeWithNoData, ModesAndCasts) {
  EXPECT_EQ(CellType::parse("int8").with_nodata(std::nullopt).name(), "int8raw");
  EXPECT_EQ(CellType::parse("int8raw").with_nodata(-128.0).name(), "int8");
  EXPECT_EQ(CellType::parse("int8raw").with_nodata(-5.0).name(), "int8ud-5");
  EXPECT_EQ(CellType::parse("uint8").with_nodata(255.0).name(), "uint8ud255");
  EXPECT_EQ(CellType::parse("uint8").with_nodata(0.0).name(), "uint8");
  EXPECT_EQ(CellType::parse("uint16raw").with_nodata(0.0).name(), "uint16");
  EXPECT_EQ(CellType::parse("int32raw").with_nodata(-2147483648.0).name(), "int32");
  EXPECT_EQ(CellType::parse("int16").with_nodata(-9999.7).name(), "int16ud-9999");
  EXPECT_EQ(CellType::parse("float64").with_nodata(std::numeric_limits<double>::quiet_NaN()).name(),
            "float64");
  EXPECT_EQ(CellType::parse("float64raw").with_nodata(-9999.0).name(), "float64ud-9999.0");
  EXPECT_EQ(CellType::parse("float32").with_nodata(std::nullopt).name(), "float32raw");
  EXPECT_EQ(CellType::parse("bool").with_nodata(1.0).name(), "bool");
  EXPECT_EQ(CellType::parse("int16").without_nodata().name(), "int16raw");
}

TEST(CellTypeEquality, UserValueMatters) {
  EXPECT_EQ(CellType::parse("int8ud3"), CellType::parse("int8ud3"));
  EXPECT_NE(CellType::parse("int8ud3"), CellType::parse("int8ud4"));
  EXPECT_NE(CellType::parse("int8"), CellType::parse("int8raw"));
  EXPECT_EQ(CellType::parse("float32"), CellType::parse("float32udNaN"));
}

}  // namespace
}  // namespace trellis
