// normalize on in-memory layers: GeoPySpark's normalize cases (../shared/conformance/cases.json), and
// the arithmetic, NoData and cell types of GeoTrellis' Tile.normalize. (tests/e2e/normalize_test.cpp
// runs it on 1-4 ranks.)
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "mpi/partition.hpp"
#include "op_runner.hpp"
#include "util/test_util.hpp"

namespace trellis::test {
namespace {

// GeoPySpark's normalize_test layer: a 5x5 tile of ones with (4,4) = 0, plus 0, 1, 2, 3 at keys (0,0),
// (1,0), (0,1), (1,1); float32 with NoData -1.
TiledLayer gps_layer() {
  mpi::Runtime::init(nullptr, nullptr);
  TiledLayer l;
  l.md.cell_type = CellType::parse("float32ud-1.0");
  l.md.layout = {{0, 0, 10, 10}, {2, 2, 5, 5}};
  l.md.extent = l.md.layout.extent;
  l.md.bounds = {{0, 0, 0}, {1, 1, 0}};
  const std::vector<SpaceTimeKey> keys = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {1, 1, 0}};
  l.partitioner = mpi::balance(keys, IndexKind::ZOrder, l.md.bounds);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    Tile t(l.md.cell_type, 5, 5);
    for (int r = 0; r < 5; ++r)
      for (int c = 0; c < 5; ++c) t.set(0, c, r, (r == 4 && c == 4 ? 0.0 : 1.0) + static_cast<double>(i));
    l.tiles.emplace(keys[i], std::move(t));
  }
  return l;
}

std::pair<double, double> min_max(const TiledLayer& l) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& [k, t] : l.tiles)
    for (int r = 0; r < t.rows(); ++r)
      for (int c = 0; c < t.cols(); ++c) {
        const double v = t.get(0, c, r);
        if (std::isnan(v)) continue;
        lo = std::min(lo, v), hi = std::max(hi, v);
      }
  return {lo, hi};
}

TEST(Normalize, GeoPySparkCases) {
  const auto shared = shared_dir();
  if (!shared || !fs::exists(*shared / "conformance/cases.json")) GTEST_SKIP() << "../shared is absent";
  const auto doc = nlohmann::json::parse(read_file(*shared / "conformance/cases.json"));
  int checked = 0;
  for (const auto& c : doc["cases"]) {
    const std::string id = c.value("id", "");
    if (id.rfind("gps-normalize", 0) != 0) continue;
    SCOPED_TRACE(id);
    // normalize(old_min=0.0, old_max=4.0, new_min=5.0, new_max=10.0): the named arguments.
    const std::string call = c["params"]["call"];
    job::ParamMap values;
    const std::regex arg(R"((\w+)=([-\d.]+))");
    for (auto it = std::sregex_iterator(call.begin(), call.end(), arg); it != std::sregex_iterator(); ++it)
      values[(*it)[1]] = job::ParamValue{std::stod((*it)[2]), {}};
    const auto out = std::get<TiledLayer>(run_op("normalize", gps_layer(), values));
    const auto want = c["expected"]["(min, max)"];
    EXPECT_EQ(min_max(out), std::make_pair(want[0].get<double>(), want[1].get<double>()));
    ++checked;
  }
  EXPECT_EQ(checked, 3);
}

TEST(Normalize, IntegerCellsTruncateAndNoDataStays) {
  mpi::Runtime::init(nullptr, nullptr);
  TiledLayer l;
  l.md.cell_type = CellType::parse("int16");
  l.md.layout = {{0, 0, 4, 1}, {1, 1, 4, 1}};
  l.md.extent = {0, 0, 4, 1};
  l.md.bounds = {{0, 0, 0}, {0, 0, 0}};
  l.partitioner = mpi::balance({{0, 0, 0}}, IndexKind::ZOrder, l.md.bounds);
  Tile t(l.md.cell_type, 4, 1);
  const double in[4] = {0, 3, NAN, 10};
  for (int c = 0; c < 4; ++c) t.set(0, c, 0, in[c]);
  l.tiles.emplace(SpaceTimeKey{0, 0, 0}, t);
  const auto out = std::get<TiledLayer>(run_op("normalize", l,
                                               {{"new_min", job::ParamValue{0.0, {}}},
                                                {"new_max", job::ParamValue{100.0, {}}},
                                                {"old_max", job::ParamValue{9.0, {}}}}));
  const Tile& o = out.tiles.at({0, 0, 0});
  EXPECT_EQ(o.cell_type().name(), "int16");
  EXPECT_EQ(o.get(0, 0, 0), 0);
  EXPECT_EQ(o.get(0, 1, 0), 33);  // 3 * 100 / 9 = 33.3 truncated
  EXPECT_TRUE(std::isnan(o.get(0, 2, 0)));
  EXPECT_EQ(o.get(0, 3, 0), 111);  // beyond old_max: extrapolated, as GeoTrellis does
}

TEST(Normalize, EmptyRangesAreRefused) {
  job::ParamMap values = {{"new_min", job::ParamValue{1.0, {}}}, {"new_max", job::ParamValue{1.0, {}}}};
  EXPECT_THROW(run_op("normalize", gps_layer(), values), JobError);
  TiledLayer flat = gps_layer();
  for (auto& [k, t] : flat.tiles) t.fill_nodata();
  values["new_max"] = job::ParamValue{2.0, {}};
  EXPECT_THROW(run_op("normalize", flat, values), JobError);  // no data cell: no range
}

}  // namespace
}  // namespace trellis::test
