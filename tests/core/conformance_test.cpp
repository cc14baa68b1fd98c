// Data-driven cross-check against ../shared/conformance/cases.json (the same cases are hard-coded in
// tile_test.cpp and layout_test.cpp; this guards against drift). Skips when the file is not available.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "core/layout.hpp"
#include "core/tile.hpp"

namespace trellis {
namespace {

using nlohmann::json;

// Loads cases.json or returns null (the caller skips).
json load_cases() {
  const char* shared = std::getenv("TRELLIS_SHARED");
  if (!shared || !*shared) return nullptr;
  std::ifstream in(std::string(shared) + "/conformance/cases.json");
  if (!in) return nullptr;
  return json::parse(in, nullptr, /*allow_exceptions=*/false);
}

#define LOAD_CASES_OR_SKIP(var)                                                                          \
  json var = load_cases();                                                                               \
  if (var.is_null() || !var.contains("cases"))                                                           \
    GTEST_SKIP() << "TRELLIS_SHARED unset or $TRELLIS_SHARED/conformance/cases.json missing; the cases " \
                    "are also hard-coded in tile_test.cpp and layout_test.cpp";

// GeoTrellis class name -> cell type name: "UByteUserDefinedNoDataCellType(1)" -> "uint8ud1".
std::string gt_class_to_name(const std::string& cls) {
  static const std::regex re(
      R"(^(Byte|UByte|Short|UShort|Int|Float|Double)(CellType|ConstantNoDataCellType|UserDefinedNoDataCellType\((.*)\))$)");
  std::smatch m;
  if (!std::regex_match(cls, m, re)) return {};
  const std::string k = m[1];
  std::string base = k == "Byte"     ? "int8"
                     : k == "UByte"  ? "uint8"
                     : k == "Short"  ? "int16"
                     : k == "UShort" ? "uint16"
                     : k == "Int"    ? "int32"
                     : k == "Float"  ? "float32"
                                     : "float64";
  const std::string mode = m[2];
  if (mode == "CellType") return base + "raw";
  if (mode == "ConstantNoDataCellType") return base;
  return base + "ud" + std::string(m[3]);
}

TEST(Conformance, ConvertDataTypeCases) {
  LOAD_CASES_OR_SKIP(doc);
  int checked = 0;
  for (const auto& c : doc["cases"]) {
    if (c.value("op", "") != "convert_data_type") continue;
    const std::string id = c.value("id", "");
    if (id.rfind("gt-convert-double-to-", 0) != 0) continue;
    SCOPED_TRACE(id);
    const std::string name = gt_class_to_name(c["params"].value("target", ""));
    ASSERT_FALSE(name.empty()) << c["params"].dump();
    // Source: the 2x2 DoubleCellType tile of the case.
    const auto& cells = c["inputs"]["cells"];
    Tile src(CellType::parse("float64raw"), 2, 2);
    for (int r = 0; r < 2; ++r)
      for (int col = 0; col < 2; ++col) {
        const auto& v = cells[static_cast<std::size_t>(r)][static_cast<std::size_t>(col)];
        src.set(0, col, r, v.is_number() ? v.get<double>() : std::nan(""));
      }
    Tile out = src.convert(CellType::parse(name));
    const auto& expected = c["expected"].begin().value();
    ASSERT_EQ(expected.size(), 4u);
    const int pos[4][2] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}};
    for (int i = 0; i < 4; ++i) {
      const auto& e = expected[static_cast<std::size_t>(i)];
      double got = out.get(0, pos[i][0], pos[i][1]);
      if (e.is_number())
        EXPECT_EQ(got, e.get<double>()) << "cell " << i;
      else  // "NaN" or "NODATA (...)"
        EXPECT_TRUE(std::isnan(got)) << "cell " << i << " got " << got;
    }
    ++checked;
  }
  EXPECT_GE(checked, 14);
}

TEST(Conformance, ZoomThresholdCases) {
  LOAD_CASES_OR_SKIP(doc);
  int checked = 0;
  for (const auto& c : doc["cases"]) {
    if (c.value("op", "") != "reproject_zoomed_layout") continue;
    if (!c["expected"].contains("zoom_by_z")) continue;
    const std::string id = c.value("id", "");
    SCOPED_TRACE(id);
    const std::string scheme = c["params"].value("scheme", "");
    double threshold = 0.1;
    std::smatch m;
    static const std::regex re(R"(resolutionThreshold=([0-9.]+))");
    if (std::regex_search(scheme, m, re)) threshold = std::stod(m[1]);
    ASSERT_NE(scheme.find("WebMercator"), std::string::npos);
    ZoomedLayoutScheme wm(Crs::from_epsg(3857), 256, threshold);
    for (const auto& [z, row] : c["expected"]["zoom_by_z"].items()) {
      double cs = row["cellSize_m"].get<double>();
      EXPECT_EQ(wm.zoom(0, 0, {cs, cs}), row["expected_zoom"].get<int>()) << "z=" << z;
      ++checked;
    }
  }
  EXPECT_GE(checked, 3 * 19);
}

}  // namespace
}  // namespace trellis
