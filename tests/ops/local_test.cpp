// local (map algebra) on in-memory layers: every local_* case of ../shared/conformance/cases.json, and
// the typing, NoData and band rules of ops/local/program.hpp against a serial computation.
// (tests/e2e/local_test.cpp runs it on 1-4 ranks.)
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>

#include "layers.hpp"
#include "mpi/partition.hpp"
#include "op_runner.hpp"
#include "util/test_util.hpp"

namespace trellis::test {
namespace {

using nlohmann::json;

TiledLayer one_tile(const CellType& ct, int cols, int rows, const std::vector<double>& cells, int bands = 1) {
  return single_tile_layer(ct, cols, rows, cells, bands);
}

job::ParamValue text(const std::string& s) {
  job::ParamValue v;
  v.v = s;
  v.mark = {"job.yaml", 3, 17};
  return v;
}

// The one tile of `local` over `inputs` with `expression` (and `extra` parameters).
Tile local(const std::map<std::string, TiledLayer>& inputs, const std::string& expression,
           job::ParamMap extra = {}) {
  std::map<std::string, job::StepValue> values;
  for (const auto& [n, l] : inputs) values[n] = l;
  extra["expression"] = text(expression);
  const auto out = std::get<TiledLayer>(run_op_named("local", values, extra));
  EXPECT_EQ(out.tiles.size(), 1u);
  return out.tiles.begin()->second;
}

// GeoPySpark's expressions in trellis' syntax (`**` is pow, `a /: b` is Scala's b-first division,
// `x.local_max(y)` is max(x, y)).
std::string in_trellis_syntax(const std::string& e) {
  static const std::map<std::string, std::string> kFrom = {
      {"tiled.local_max(4)", "max(tiled, 4)"},
      {"tiled.local_max(tiled + 1)", "max(tiled, tiled + 1)"},
      {"0.0 ** tiled", "pow(0.0, tiled)"},
      {"3 ** tiled", "pow(3, tiled)"},
      {"-10.7 /: r", "-10.7 / r"},
      {"-10 /: r", "-10 / r"},
      {"2 /: AllTwos", "2 / AllTwos"}};
  const auto it = kFrom.find(e);
  return it == kFrom.end() ? e : it->second;
}

// A case's cell type: GeoPySpark's Tile(arr, 'INT', -500) and no_data_value, GeoTrellis' raster names.
CellType case_cell_type(const json& in) {
  static const std::map<std::string, std::string> kTile = {{"Tile(arr, 'INT', -500)", "int32ud-500"},
                                                           {"Tile(arr, 'FLOAT', -500)", "float32ud-500.0"},
                                                           {"Tile(arr, 'int16', -500)", "int16ud-500"}};
  if (in.contains("cell_type")) return CellType::parse(kTile.at(in["cell_type"].get<std::string>()));
  if (in.contains("tile")) {
    const std::string t = in["tile"];
    return CellType::parse(t.find("IntConstantNoData") != std::string::npos ? "int32" : "float64");
  }
  if (in.value("dtype", "") == "int") return CellType::parse("int32ud-500");
  if (in.contains("no_data_value") && in["no_data_value"].is_number())
    return CellType::parse("float64ud-500.0");
  return CellType::parse("float64");
}

// "zeros (1,4,4) float64", "np.full((1,4,4), 3.0) (dtype int64)", or the rows themselves.
std::vector<double> case_cells(const json& cells, int* cols, int* rows) {
  std::vector<double> out;
  if (cells.is_string()) {
    const std::string s = cells;
    std::smatch m;
    *cols = *rows = 4;
    double v = 0;
    if (std::regex_search(s, m, std::regex(R"(np\.full\(\(1,4,4\), ([0-9.]+))"))) v = std::stod(m[1]);
    return std::vector<double>(16, v);
  }
  const json& rows_of =
      cells[0].is_array() && cells[0][0].is_array() ? cells[0] : cells;  // (1, r, c) or (r, c)
  *rows = static_cast<int>(rows_of.size());
  *cols = static_cast<int>(rows_of[0].size());
  for (const auto& r : rows_of)
    for (const auto& c : r) out.push_back(c.is_string() ? NAN : c.get<double>());
  return out;
}

// Expected cells: "all 4", "all 0.0" or the rows.
std::vector<double> expected_cells(const json& e, std::size_t n) {
  if (e.is_string()) return std::vector<double>(n, std::stod(e.get<std::string>().substr(4)));
  int c = 0, r = 0;
  return case_cells(e, &c, &r);
}

void expect_cells(const Tile& t, const std::vector<double>& want) {
  ASSERT_EQ(t.cells(), want.size());
  for (int r = 0; r < t.rows(); ++r)
    for (int c = 0; c < t.cols(); ++c) {
      const double w = want[static_cast<std::size_t>(r * t.cols() + c)], got = t.get(0, c, r);
      if (std::isnan(w))
        EXPECT_TRUE(std::isnan(got)) << "(" << c << ", " << r << ")";
      else
        EXPECT_DOUBLE_EQ(got, w) << "(" << c << ", " << r << ")";
    }
}

TEST(Local, ConformanceCases) {
  const auto shared = shared_dir();
  if (!shared || !fs::exists(*shared / "conformance/cases.json")) GTEST_SKIP() << "../shared is absent";
  const auto doc = json::parse(read_file(*shared / "conformance/cases.json"));
  int checked = 0;
  for (const auto& c : doc["cases"]) {
    const std::string op = c.value("op", ""), id = c.value("id", "");
    if (op.rfind("local", 0) != 0) continue;
    SCOPED_TRACE(id);
    const json& in = c["inputs"];
    const json& want = c["expected"];
    const std::string expr = c["params"].value("expr", "");
    if (id == "gt-local-add-seq-doubles") {
      // Seq(tiles).localAdd: NaN in any operand gives NaN; doubles do not overflow.
      for (std::size_t k = 0; k < in["cases"].size(); ++k) {
        std::map<std::string, TiledLayer> layers;
        std::string sum;
        const json& operands = in["cases"][k];
        for (std::size_t i = 0; i < operands.size(); ++i) {
          const std::string name = "t" + std::to_string(i);
          const double v = operands[i].is_string() ? NAN : operands[i].get<double>();
          layers.emplace(name, one_tile(CellType::parse("float64"), 1, 1, {v}));
          sum += (sum.empty() ? "" : " + ") + name;
        }
        expect_cells(local(layers, sum),
                     {want["results"][k].is_string() ? NAN : want["results"][k].get<double>()});
      }
    } else if (id == "gt-local-divide-by-zero") {
      const Tile i = local({{"a", one_tile(CellType::parse("int32"), 1, 1, {in["int"][0][0].get<double>()})},
                            {"b", one_tile(CellType::parse("int32"), 1, 1, {in["int"][0][1].get<double>()})}},
                           "a / b");
      EXPECT_TRUE(std::isnan(i.get(0, 0, 0))) << "int division by 0 is NODATA";
      EXPECT_EQ(i.band_as<std::int32_t>(0)[0], kIntNoData);
      for (const auto& pair : in["double"]) {
        const Tile d = local({{"a", one_tile(CellType::parse("float64"), 1, 1, {pair[0].get<double>()})},
                              {"b", one_tile(CellType::parse("float64"), 1, 1, {pair[1].get<double>()})}},
                             "a / b");
        EXPECT_TRUE(std::isnan(d.get(0, 0, 0)));
      }
    } else if (id == "gt-local-subtract-63-17") {
      const Tile t =
          local({{"r63", one_tile(CellType::parse("int32"), 100, 100, std::vector<double>(10000, 63))},
                 {"r17", one_tile(CellType::parse("int32"), 100, 100, std::vector<double>(10000, 17))}},
                expr);
      EXPECT_EQ(t.get(0, 0, 0), want["cell(0,0)"].get<double>());
      EXPECT_EQ(t.cell_type().name(), "int32");
    } else if (id.rfind("gt-spark-local", 0) == 0) {
      // spark-testkit's constant layers (FloatConstantNoData), one per name the expression uses.
      std::map<std::string, TiledLayer> layers;
      const std::map<std::string, double> kValue = {{"AllOnes", 1}, {"AllTwos", 2}, {"AllHundreds", 100}};
      for (const auto& [name, v] : kValue)
        if (expr.find(name) != std::string::npos)
          layers.emplace(name, one_tile(CellType::parse("float32"), 8, 8, std::vector<double>(64, v)));
      const Tile t = local(layers, in_trellis_syntax(expr));
      const double lo = want["(min,max)"][0], hi = want["(min,max)"][1];
      for (int r = 0; r < 8; ++r)
        for (int col = 0; col < 8; ++col) {
          EXPECT_GE(t.get(0, col, r), lo);
          EXPECT_LE(t.get(0, col, r), hi);
        }
    } else {
      // One layer ("tiled" in GeoPySpark's tests, "r" in GeoTrellis').
      const std::string name = id.rfind("gps-", 0) == 0 ? "tiled" : "r";
      int cols = 0, rows = 0;
      const std::vector<double> cells = case_cells(in["cells"], &cols, &rows);
      const CellType ct = case_cell_type(in);
      const Tile t = local({{name, one_tile(ct, cols, rows, cells)}}, in_trellis_syntax(expr));
      expect_cells(t, expected_cells(want["cells"], cells.size()));
      // A layer with a number keeps its cell type.
      if (expr.find(name + " + " + name) == std::string::npos) {
        EXPECT_EQ(t.cell_type().name(), ct.name());
      }
    }
    ++checked;
  }
  EXPECT_EQ(checked, 26) << "every local case of cases.json";
}

// The typing rules against a serial computation in the test: Int wrapping and truncation, the
// decimal-literal rule, unions of cell types, NoData, comparisons, if, isnodata, bands.
TEST(Local, TypingNoDataAndBandsFollowGeoTrellis) {
  const CellType i16 = CellType::parse("int16"), u8 = CellType::parse("uint8"),
                 f32 = CellType::parse("float32");
  const auto a = one_tile(i16, 3, 1, {-7, 100, -32768});  // -32768 is int16's NoData
  const auto b = one_tile(u8, 3, 1, {2, 0, 5});           // 0 is uint8's NoData
  // int16 (op) uint8: Int arithmetic, the union of the cell types (int16).
  Tile t = local({{"a", a}, {"b", b}}, "a / b");
  EXPECT_EQ(t.cell_type().name(), "int16");
  expect_cells(t, {-3, NAN, NAN});  // truncation toward zero; NoData in b; NoData in a
  t = local({{"a", a}}, "a - 0.5");
  expect_cells(t, {-7, 99, NAN});     // computed in double, truncated toward zero (-7.5 -> -7)
  t = local({{"a", a}}, "a * 1000");  // Int arithmetic, stored in int16 as the JVM narrows
  EXPECT_EQ(t.get(0, 0, 0), static_cast<double>(static_cast<std::int16_t>(-7000)));
  EXPECT_EQ(t.get(0, 1, 0), static_cast<double>(static_cast<std::int16_t>(100000 & 0xffff)));
  // A float cell_type computes in double from the start.
  t = local({{"a", a}, {"b", b}}, "a / b", {{"cell_type", text("float32")}});
  expect_cells(t, {-3.5, NAN, NAN});
  EXPECT_EQ(t.cell_type().name(), "float32");
  // Comparisons and logic: 1 or 0 (int8), NoData where an operand is; if and isnodata.
  t = local({{"a", a}}, "a > 0 and not (a == 5)");
  EXPECT_EQ(t.cell_type().name(), "int8");
  expect_cells(t, {0, 1, NAN});
  t = local({{"a", a}}, "if(isnodata(a), 42, a)");
  expect_cells(t, {-7, 100, 42});
  t = local({{"a", a}}, "isdata(a) + isnodata(a)");
  expect_cells(t, {1, 1, 1});
  // Double functions of an Int layer are truncated back; clamp, min, max, abs.
  t = local({{"a", a}}, "sqrt(abs(a))");
  expect_cells(t, {2, 10, NAN});
  t = local({{"a", a}}, "clamp(a, -5, 50)");
  expect_cells(t, {-5, 50, NAN});
  // Float layers: x / 0 is NaN; min/max of NaN is NaN.
  const auto f = one_tile(f32, 3, 1, {1.5, -2, NAN});
  t = local({{"f", f}}, "f / 0");
  expect_cells(t, {NAN, NAN, NAN});
  t = local({{"f", f}}, "max(f, 0) + round(f)");
  expect_cells(t, {3.5, -2, NAN});
  // Bands: a 2-band layer gives 2 bands, a 1-band one is broadcast, nir[2] selects band 2.
  const auto two = one_tile(f32, 2, 1, {1, 2, 10, 20}, 2);
  const auto one = one_tile(f32, 2, 1, {100, 200});
  t = local({{"m", two}, {"s", one}}, "m + s");
  ASSERT_EQ(t.bands(), 2);
  EXPECT_EQ(t.get(0, 1, 0), 202);
  EXPECT_EQ(t.get(1, 0, 0), 110);
  t = local({{"m", two}}, "m[2] - m[1]");
  ASSERT_EQ(t.bands(), 1);
  expect_cells(t, {9, 18});
}

// A layer of 2x2 tiles of 2x2 cells in a 2x2 layout, `value` everywhere, at `keys`.
TiledLayer keyed(const CellType& ct, const std::vector<SpaceTimeKey>& keys, double value) {
  mpi::Runtime::init(nullptr, nullptr);
  TiledLayer l;
  l.md.cell_type = ct;
  l.md.layout = {{0, 0, 4, 4}, {2, 2, 2, 2}};
  l.md.extent = l.md.layout.extent;
  l.md.bounds = {{0, 0, 0}, {1, 1, 0}};
  l.md.crs = Crs::from_epsg(3857);
  l.partitioner = mpi::balance(keys, IndexKind::ZOrder, l.md.bounds);
  for (const auto& k : keys) {
    Tile t(ct, 2, 2);
    for (int i = 0; i < 4; ++i) t.set(0, i % 2, i / 2, value);
    l.tiles.emplace(k, std::move(t));
  }
  return l;
}

TEST(Local, GeoPySparkOpsOverTheSameEngine) {
  const CellType i32 = CellType::parse("int32");
  const auto r = one_tile(i32, 3, 1, {54, -10, 7});
  auto one = [&](const std::string& op, const std::string& value, bool reverse = false) {
    job::ParamMap p{{"value", text(value)}};
    if (reverse) p["reverse"] = job::ParamValue{true, {}};
    return std::get<TiledLayer>(run_op(op, r, p)).tiles.begin()->second;
  };
  expect_cells(one("local_add", "5"), {59, -5, 12});
  expect_cells(one("local_subtract", "5.7"), {48, -15, 1});    // double, truncated back (GeoTrellis)
  expect_cells(one("local_divide", "-10", true), {0, 1, -1});  // -10 / r, truncating toward zero
  expect_cells(one("local_multiply", "2"), {108, -20, 14});
  expect_cells(one("local_max", "4"), {54, 4, 7});
  // Two layers by key: a - b in the order of the names.
  const auto b = one_tile(i32, 3, 1, {4, 5, 6});
  const auto t = std::get<TiledLayer>(run_op_named("local_subtract", {{"b", b}, {"a", r}}, {}));
  expect_cells(t.tiles.begin()->second, {50, -15, 1});
  // reverse without a number would have no effect: refused.
  EXPECT_THROW(run_op_named("local_subtract", {{"b", b}, {"a", r}}, {{"reverse", job::ParamValue{true, {}}}}),
               JobError);
  // Sequence ops: every key any layer has, each over the tiles it has; mean ignores NoData.
  const SpaceTimeKey k00{0, 0, 0}, k10{1, 0, 0}, k01{0, 1, 0};
  const auto x = keyed(i32, {k00, k10}, 10), y = keyed(i32, {k10, k01}, 3);
  auto seq = [&](const std::string& op) {
    return std::get<TiledLayer>(run_op_named(op, {{"x", x}, {"y", y}}, {}));
  };
  const auto sum = seq("local_sum");
  ASSERT_EQ(sum.tiles.size(), 3u);
  EXPECT_EQ(sum.tiles.at(k00).get(0, 0, 0), 10);
  EXPECT_EQ(sum.tiles.at(k10).get(0, 1, 1), 13);
  EXPECT_EQ(sum.tiles.at(k01).get(0, 0, 1), 3);
  const auto mean = seq("local_mean");
  EXPECT_EQ(mean.tiles.at(k10).get(0, 0, 0), 6);  // (10 + 3) / 2 as Scala Int
  EXPECT_EQ(mean.tiles.at(k00).get(0, 0, 0), 10);
  EXPECT_EQ(seq("local_min").tiles.at(k10).get(0, 0, 0), 3);
  EXPECT_EQ(seq("local_max").tiles.at(k10).get(0, 0, 0), 10);
  // NoData: sum and max give NoData, mean ignores it.
  auto z = keyed(i32, {k10}, 3);
  z.tiles.at(k10).set(0, 0, 0, NAN);
  const auto m2 = std::get<TiledLayer>(run_op_named("local_mean", {{"x", x}, {"z", z}}, {}));
  EXPECT_EQ(m2.tiles.at(k10).get(0, 0, 0), 10);
  EXPECT_EQ(m2.tiles.at(k10).get(0, 1, 0), 6);
  const auto s2 = std::get<TiledLayer>(run_op_named("local_sum", {{"x", x}, {"z", z}}, {}));
  EXPECT_TRUE(std::isnan(s2.tiles.at(k10).get(0, 0, 0)));
}

TEST(Local, ErrorsPointIntoTheExpression) {
  const auto two = one_tile(CellType::parse("float32"), 2, 1, {1, 2, 10, 20}, 2);
  const auto three = one_tile(CellType::parse("float32"), 2, 1, {1, 2, 3, 4, 5, 6}, 3);
  auto message = [&](const std::map<std::string, TiledLayer>& in, const std::string& e) -> std::string {
    try {
      local(in, e);
    } catch (const JobError& err) {
      return err.what();
    }
    return "no error";
  };
  // The mark is job.yaml:3:17 (an unquoted string): column 17 + the offset.
  EXPECT_NE(message({{"m", two}}, "m[3] + 1")
                .find("job.yaml:3:17: step 'local' (local): band 3 of 'm' does not exist (it has 2 band(s)"),
            std::string::npos)
      << message({{"m", two}}, "m[3] + 1");
  EXPECT_NE(message({{"m", two}, {"t", three}}, "m + t").find("job.yaml:3:21: "), std::string::npos)
      << message({{"m", two}, {"t", three}}, "m + t");
  EXPECT_NE(message({{"m", two}}, "1 + 2").find("the expression uses no layer"), std::string::npos);
}

}  // namespace
}  // namespace trellis::test
