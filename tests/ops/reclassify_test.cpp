// reclassify on in-memory layers: every reclassify case of ../shared/conformance/cases.json (GeoPySpark's
// reclassify tests and GeoTrellis' class-boundary rules), and fallback, strict and replace_nodata_with.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "job/job.hpp"
#include "layers.hpp"
#include "mpi/partition.hpp"
#include "op_runner.hpp"
#include "util/test_util.hpp"

namespace trellis::test {
namespace {

using nlohmann::json;

TiledLayer layer(const CellType& ct, int cols, int rows, int bands, const std::vector<double>& cells) {
  return single_tile_layer(ct, cols, rows, cells, bands, {0, 0, 10, 10}, 3857);
}

// The cells of the reclassified layer, band after band.
std::vector<double> reclassify(const TiledLayer& in, job::ParamMap params) {
  const auto out = std::get<TiledLayer>(run_op("reclassify", in, std::move(params)));
  const Tile& t = out.tiles.at({0, 0, 0});
  std::vector<double> cells;
  for (int b = 0; b < t.bands(); ++b)
    for (int r = 0; r < t.rows(); ++r)
      for (int c = 0; c < t.cols(); ++c) cells.push_back(t.get(b, c, r));
  return cells;
}

void expect_cells(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i]))
      EXPECT_TRUE(std::isnan(got[i])) << i;
    else
      EXPECT_EQ(got[i], want[i]) << i;
  }
}

// GeoTrellis' spelling ("LessThanOrEqualTo (default)"), as the loader spells choices (job::match_choice).
std::string boundary(const std::string& geotrellis) {
  return job::match_choice(
      geotrellis.substr(0, geotrellis.find(' ')),
      {"less_than_or_equal_to", "less_than", "greater_than_or_equal_to", "greater_than", "exact"});
}
std::string boundary_of(const json& params) {
  return boundary(
      params.value("boundary_strategy", params.value("classBoundaryType", std::string("LessThanOrEqualTo"))));
}

TEST(Reclassify, ConformanceCases) {
  const auto shared = shared_dir();
  if (!shared || !fs::exists(*shared / "conformance/cases.json")) GTEST_SKIP() << "../shared is absent";
  const auto doc = json::parse(read_file(*shared / "conformance/cases.json"));
  const CellType int500 = CellType::parse("int32ud-500"), flt = CellType::parse("float64");
  int checked = 0;
  for (const auto& c : doc["cases"]) {
    if (c.value("op", "") != "reclassify") continue;
    const std::string id = c["id"];
    SCOPED_TRACE(id);
    const json& p = c["params"];
    const json& want = c["expected"];
    job::ParamMap params;
    if (p.contains("data_type")) params["data_type"] = param(p["data_type"]);
    params["boundary_strategy"] = param(boundary_of(p));
    if (id.rfind("gt-classify-boundary", 0) == 0) {
      // GeoTrellis' class boundaries (on a ColorMap; the break rule is the same): the colours' index.
      json breaks = json::object();
      std::vector<std::string> colours;
      for (const auto& [k, v] : p["breaks"].items()) {
        breaks[k] = static_cast<int>(colours.size());
        colours.push_back(v);
      }
      params["value_map"] = param(breaks);
      const double v = c["inputs"]["value"];
      const auto got = reclassify(layer(flt, 1, 1, 1, {v}), params);
      EXPECT_EQ(colours.at(static_cast<std::size_t>(got[0])), want["value"].get<std::string>());
    } else if (id == "gt-classify-redundant") {
      json breaks = json::object();
      for (std::size_t i = 0; i < p["limits"].size(); ++i)
        breaks[std::to_string(p["limits"][i].get<int>())] = p["colors"][i];
      params["value_map"] = param(breaks);
      std::vector<double> in;
      for (const auto& v : c["inputs"]["values"]) in.push_back(v);
      expect_cells(reclassify(layer(int500, static_cast<int>(in.size()), 1, 1, in), params),
                   want["values"].get<std::vector<double>>());
    } else if (id == "gps-reclass-bad-key") {
      params["value_map"] = param(p["value_map"]);
      EXPECT_THROW(reclassify(layer(int500, 4, 4, 1, std::vector<double>(16, 0)), params), JobError)
          << "a key that is not a number is refused (GeoPySpark: TypeError)";
    } else {
      params["value_map"] = param(p["value_map"]);
      if (p.contains("replace_nodata_with")) params["replace_nodata_with"] = param(p["replace_nodata_with"]);
      const json& in = c["inputs"];
      std::vector<double> cells, expected;
      int cols = 4, rows = 4, bands = 1;
      CellType ct = in.value("dtype", "") == "int" ? int500 : CellType::parse("float32ud-500.0");
      if (id == "gps-reclass-all-zeros") {
        cols = rows = 16;
        cells.assign(256, 0);
        expected.assign(256, 1);
      } else if (id == "gps-reclass-nodata-floats") {
        ct = flt;
        cells.assign(16, 0);
        expected.assign(16, NAN);
      } else if (id.rfind("gps-reclass-replace-nodata", 0) == 0) {
        // Ones with NoData on the main diagonal; NoData -> replace_nodata_with (1), 1 -> 0: the identity.
        const bool is_int = id.ends_with("int");
        cols = rows = is_int ? 16 : 4;
        ct = is_int ? CellType::parse("int32") : flt;
        for (int r = 0; r < rows; ++r)
          for (int col = 0; col < cols; ++col) {
            cells.push_back(r == col ? NAN : 1);
            expected.push_back(r == col ? 1 : 0);
          }
      } else {
        // Explicit cells: (bands, rows, cols).
        bands = static_cast<int>(in["cells"].size());
        rows = static_cast<int>(in["cells"][0].size());
        cols = static_cast<int>(in["cells"][0][0].size());
        for (const auto& b : in["cells"])
          for (const auto& r : b)
            for (const auto& v : r) cells.push_back(v);
        for (const auto& b : want["cells"])
          for (const auto& r : b)
            for (const auto& v : r) expected.push_back(v.get<double>() == -500 ? NAN : v.get<double>());
      }
      expect_cells(reclassify(layer(ct, cols, rows, bands, cells), params), expected);
    }
    ++checked;
  }
  EXPECT_EQ(checked, 14) << "every reclassify case of cases.json";
}

TEST(Reclassify, FallbackStrictAndNoDataReplacement) {
  const auto in = layer(CellType::parse("int16"), 4, 1, 1, {1, 5, 9, NAN});
  job::ParamMap p{{"value_map", param(json{{"5", 50}, {"1", 10}})}};
  expect_cells(reclassify(in, p), {10, 50, NAN, NAN});
  p["fallback"] = param(-1);
  p["replace_nodata_with"] = param(0);  // 0 is honoured (GeoPySpark's `if not` would drop it)
  expect_cells(reclassify(in, p), {10, 50, -1, 0});
  p.erase("fallback");
  p["strict"] = job::ParamValue{true, {}};
  EXPECT_THROW(reclassify(in, p), IoError);
  // Float data: 0.5 is between breaks; int data_type truncates it to 0 first.
  const auto f = layer(CellType::parse("float32"), 2, 1, 1, {0.5, 2.5});
  job::ParamMap q{{"value_map", param(json{{"0", 100}, {"1", 200}, {"3", 300}})},
                  {"boundary_strategy", param("exact")}};
  expect_cells(reclassify(f, q), {NAN, NAN});
  q["data_type"] = param("int");
  expect_cells(reclassify(f, q), {100, NAN});
  q["boundary_strategy"] = param(boundary("GreaterThanOrEqualTo"));
  q["data_type"] = param("float");
  expect_cells(reclassify(f, q), {100, 200});
}

// A direct search of the breaks for cell value v (NaN: NoData), stored as `type` stores it.
double searched(const std::map<double, double>& breaks, const std::string& strategy, bool as_int, double v,
                double fallback, const CellType& type) {
  if (std::isnan(v)) return NAN;
  std::optional<double> hit;
  for (const auto& [key, to] : breaks) {
    const bool ok = strategy == "LessThanOrEqualTo" ? key >= v
                    : strategy == "LessThan"        ? key > v
                    : strategy == "Exact"           ? key == v
                                                    : false;
    if (ok && !hit) hit = to;
    if ((strategy == "GreaterThanOrEqualTo" && key <= v) || (strategy == "GreaterThan" && key < v)) hit = to;
  }
  double want = hit.value_or(fallback);
  if (as_int) want = std::trunc(want);
  Tile one(type, 1, 1);
  one.set(0, 0, 0, want);
  return one.get(0, 0, 0);
}

TEST(Reclassify, EveryPathEqualsADirectSearchOfTheBreaks) {
  // Random cells (NoData included) of every storage width, few breaks (one pass in registers) and many
  // (counted in blocks), every strategy, float and int data_type, against a direct search.
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-40, 40);
  const std::vector<std::string> strategies = {"LessThanOrEqualTo", "LessThan", "GreaterThanOrEqualTo",
                                               "GreaterThan", "Exact"};
  for (const std::string ct : {"float32", "float64ud-7.0", "int32", "int16", "uint8"}) {
    const CellType type = CellType::parse(ct);
    std::vector<double> cells;
    for (int i = 0; i < 600; ++i) {
      double v = type.is_float() ? u(rng) : std::round(u(rng));
      if (type.kind == CellKind::UInt8) v = std::abs(v);
      cells.push_back(i % 17 == 0 ? NAN : i % 23 == 0 ? 5.0 : v);
    }
    const auto in = layer(type, 30, 20, 1, cells);
    for (int k : {3, 12})
      for (const auto& strategy : strategies)
        for (const std::string dt : {"float", "int"}) {
          SCOPED_TRACE(ct + ", " + std::to_string(k) + " breaks, " + strategy + ", " + dt);
          std::map<double, double> breaks;
          json m = json::object();
          while (static_cast<int>(breaks.size()) < k) {
            const double key = std::round(u(rng) * 4) / 4, to = std::round(u(rng));
            if (breaks.emplace(key, to).second) m[job::ParamValue{key, {}}.to_string()] = to;
          }
          if (breaks.emplace(5.0, 55.0).second) m["5"] = 55;  // an exact hit
          job::ParamMap p{{"value_map", param(m)},
                          {"boundary_strategy", param(boundary(strategy))},
                          {"data_type", param(dt)},
                          {"fallback", param(-3)}};
          const std::vector<double> got = reclassify(in, p);
          for (std::size_t i = 0; i < cells.size(); ++i) {
            double v = in.tiles.at({0, 0, 0}).get(0, static_cast<int>(i % 30), static_cast<int>(i / 30));
            if (dt == "int") v = std::trunc(v);
            const double want = searched(breaks, strategy, dt == "int", v, -3, type);
            if (std::isnan(want))
              ASSERT_TRUE(std::isnan(got[i])) << i << " v " << v;
            else
              ASSERT_EQ(got[i], want) << i << " v " << v;
          }
        }
  }
}

TEST(Reclassify, FloatCellsNextToBreaksFloatCannotHold) {
  // float32 cells are compared in float lanes against each key's float threshold: the cells on and
  // next to keys float does not hold (0.1, 0.2, 1/3, -2.7, a key past float's range), and on a key it
  // holds, must fall as the double comparison puts them.
  const std::vector<double> keys = {-1e39, -2.7, 0.1, 0.2, 1.0 / 3, 1.5};
  std::vector<double> cells;
  for (double k : keys)
    for (float f = std::nextafter(std::nextafter(static_cast<float>(k), -INFINITY), -INFINITY), j = 0; j < 5;
         ++j, f = std::nextafter(f, INFINITY))
      cells.push_back(f);
  cells.insert(cells.end(), {NAN, 9.5, -INFINITY, INFINITY, 0.0, -0.0});
  for (const std::string ct : {"float32", "float32ud1.5"}) {
    const CellType type = CellType::parse(ct);
    const auto in = layer(type, static_cast<int>(cells.size()), 1, 1, cells);
    for (const std::string strategy :
         {"LessThanOrEqualTo", "LessThan", "GreaterThanOrEqualTo", "GreaterThan"}) {
      SCOPED_TRACE(ct + ", " + strategy);
      std::map<double, double> breaks;
      json m = json::object();
      for (std::size_t j = 0; j < keys.size(); ++j) {
        breaks[keys[j]] = static_cast<double>(j + 1);
        m[job::ParamValue{keys[j], {}}.to_string()] = j + 1;
      }
      const std::vector<double> got = reclassify(in, {{"value_map", param(m)},
                                                      {"boundary_strategy", param(boundary(strategy))},
                                                      {"data_type", param(std::string("float"))},
                                                      {"fallback", param(-3)}});
      for (std::size_t i = 0; i < cells.size(); ++i) {
        const double v = in.tiles.at({0, 0, 0}).get(0, static_cast<int>(i), 0);
        const double want = searched(breaks, strategy, false, v, -3, type);
        if (std::isnan(want))
          EXPECT_TRUE(std::isnan(got[i])) << i << " v " << v;
        else
          EXPECT_EQ(got[i], want) << i << " v " << v;
      }
    }
  }
}

}  // namespace
}  // namespace trellis::test
