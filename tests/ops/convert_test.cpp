// convert_data_type through the op: the convert cases of ../shared/conformance/cases.json (GeoTrellis'
// convert of a double tile to every cell type; GeoPySpark's user-defined NoData names), and refusals.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "layers.hpp"
#include "mpi/partition.hpp"
#include "op_runner.hpp"
#include "util/test_util.hpp"

namespace trellis::test {
namespace {

using nlohmann::json;

TiledLayer layer(const CellType& ct, int cols, int rows, const std::vector<double>& cells) {
  return single_tile_layer(ct, cols, rows, cells, 1, {0, 0, 4, 4});
}

job::ParamValue text(const std::string& s) {
  job::ParamValue v;
  v.v = s;
  v.mark = {"job.yaml", 6, 15};
  return v;
}

TiledLayer convert(const TiledLayer& in, job::ParamMap p) {
  return std::get<TiledLayer>(run_op("convert_data_type", in, std::move(p)));
}

// GeoTrellis' cell type classes by the names trellis uses.
const std::map<std::string, std::string> kNames = {{"ByteCellType", "int8raw"},
                                                   {"DoubleCellType", "float64raw"},
                                                   {"DoubleConstantNoDataCellType", "float64"},
                                                   {"FloatConstantNoDataCellType", "float32"},
                                                   {"FloatUserDefinedNoDataCellType(1)", "float32ud1.0"},
                                                   {"IntCellType", "int32raw"},
                                                   {"IntConstantNoDataCellType", "int32"},
                                                   {"ShortCellType", "int16raw"},
                                                   {"ShortConstantNoDataCellType", "int16"},
                                                   {"ShortUserDefinedNoDataCellType(1)", "int16ud1"},
                                                   {"UByteCellType", "uint8raw"},
                                                   {"UByteConstantNoDataCellType", "uint8"},
                                                   {"UByteUserDefinedNoDataCellType(1)", "uint8ud1"},
                                                   {"UShortCellType", "uint16raw"}};

TEST(ConvertDataType, ConformanceCases) {
  const auto shared = shared_dir();
  if (!shared || !fs::exists(*shared / "conformance/cases.json")) GTEST_SKIP() << "../shared is absent";
  const auto doc = json::parse(read_file(*shared / "conformance/cases.json"));
  int checked = 0;
  for (const auto& c : doc["cases"]) {
    if (c.value("op", "") != "convert_data_type") continue;
    const std::string id = c["id"];
    SCOPED_TRACE(id);
    if (id.rfind("gt-convert-double-to-", 0) == 0) {
      const auto in = layer(CellType::parse("float64raw"), 2, 2, {0, 1, -1, NAN});
      const auto out = convert(in, {{"new_type", text(kNames.at(c["params"]["target"]))}});
      EXPECT_EQ(out.md.cell_type.name(), kNames.at(c["params"]["target"]));
      const Tile& t = out.tiles.at({0, 0, 0});
      const auto& want = c["expected"].begin().value();
      for (int i = 0; i < 4; ++i) {
        const double got = t.get(0, i % 2, i / 2);
        if (want[i].is_string())  // "NaN" or "NODATA (...)"
          EXPECT_TRUE(std::isnan(got)) << i;
        else
          EXPECT_EQ(got, want[i].get<double>()) << i;
      }
    } else if (id == "gps-with-no-data") {
      const auto in = layer(CellType::parse("float32ud-500.0"), 2, 2, {0, 0, 0, 0});
      for (const auto& [call, want] : c["expected"].items()) {
        const std::string nd = std::to_string(want["no_data_value"].get<int>());
        const auto out = convert(
            in, {{"new_type", text("float32")}, {"no_data_value", job::ParamValue{std::stod(nd), {}}}});
        EXPECT_EQ(out.md.cell_type.name(), want["cell_type"].get<std::string>()) << call;
      }
    } else if (id == "gps-no-data-of-one") {
      const auto in = layer(CellType::parse("float32raw"), 2, 2, {1, 2, 3, 1});
      const auto out =
          convert(in, {{"new_type", text("float32")}, {"no_data_value", job::ParamValue{1.0, {}}}});
      EXPECT_NE(out.md.cell_type.name().find("ud1"), std::string::npos);
      EXPECT_EQ(out.md.cell_type.nodata(), c["expected"]["no_data_value"].get<double>());
      EXPECT_TRUE(std::isnan(out.tiles.at({0, 0, 0}).get(0, 0, 0)));  // a cell of 1 is now NoData
    } else {
      ADD_FAILURE() << "a convert case this test does not know";
    }
    ++checked;
  }
  EXPECT_EQ(checked, 16) << "every convert_data_type case of cases.json";
}

TEST(ConvertDataType, ANoDataValueTheTypeCannotHoldIsRefused) {
  const auto in = layer(CellType::parse("float32"), 1, 1, {5});
  try {
    convert(in,
            {{"new_type", text("int8")}, {"no_data_value", job::ParamValue{1000.0, {"job.yaml", 7, 20}}}});
    ADD_FAILURE() << "int8 with NoData 1000 was accepted";
  } catch (const JobError& e) {
    EXPECT_NE(std::string(e.what()).find("job.yaml:7:20: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("does not fit int8"), std::string::npos) << e.what();
  }
  EXPECT_THROW(convert(in, {{"new_type", text("int8ud1000")}}), JobError);
}

}  // namespace
}  // namespace trellis::test
