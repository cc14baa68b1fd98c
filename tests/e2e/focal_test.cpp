// focal on 1-4 ranks and tile sizes 1, 3, 7 and 64: every operation x neighbourhood x target cell of a
// random raster with NoData equals a brute-force serial computation over the whole raster, cell for
// cell, and the files are identical whatever the rank count.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "core/neighbourhood.hpp"
#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

struct Shape {
  std::string name, yaml;
  Neighbourhood nb;
};

std::vector<Shape> shapes() {
  Neighbourhood square{.shape = NeighbourhoodShape::Square, .extent = 1};
  Neighbourhood circle{.shape = NeighbourhoodShape::Circle, .radius = 2.5};
  Neighbourhood nesw{.shape = NeighbourhoodShape::Nesw, .extent = 2};
  Neighbourhood wedge{.shape = NeighbourhoodShape::Wedge, .radius = 3, .start_angle = 300, .end_angle = 45};
  Neighbourhood annulus{.shape = NeighbourhoodShape::Annulus, .inner = 1, .outer = 2.5};
  return {{"square", "neighborhood: square\n    extent: 1", square},
          {"circle", "neighborhood: circle\n    radius: 2.5", circle},
          {"nesw", "neighborhood: nesw\n    extent: 2", nesw},
          {"wedge", "neighborhood: wedge\n    radius: 3\n    start_angle: 300\n    end_angle: 45", wedge},
          {"annulus", "neighborhood: annulus\n    inner: 1\n    outer: 2.5", annulus}};
}

const std::vector<std::string> kOps = {
    "sum", "min", "max", "mean", "median", "mode", "standard_deviation", "variance"};
const std::vector<std::string> kTargets = {"all", "data", "nodata"};

// The statistic of `v` (the data values of a neighbourhood) as semantics.md defines it; NaN for none.
// The values are multiples of 1/8 below 100, so every sum here is exact in double.
double statistic(const std::string& op, std::vector<double> v) {
  if (v.empty()) return NAN;
  const double n = static_cast<double>(v.size());
  double s1 = 0, s2 = 0;
  for (double x : v) s1 += x, s2 += x * x;
  if (op == "sum") return s1;
  if (op == "min") return *std::min_element(v.begin(), v.end());
  if (op == "max") return *std::max_element(v.begin(), v.end());
  if (op == "mean") return s1 / n;
  if (op == "variance" || op == "standard_deviation") {
    const double var = (n * s2 - s1 * s1) / (n * n);
    return op == "variance" ? var : std::sqrt(var);
  }
  std::vector<long> ints;
  for (double x : v) ints.push_back(static_cast<long>(std::trunc(x)));
  std::sort(ints.begin(), ints.end());
  if (op == "median") {
    const std::size_t m = ints.size() / 2;
    return static_cast<double>(ints.size() % 2 ? ints[m] : (ints[m - 1] + ints[m]) / 2);
  }
  std::map<long, int> count;  // mode: the unique most frequent value
  for (long x : ints) ++count[x];
  int best = 0, ties = 0;
  long value = 0;
  for (const auto& [x, c] : count)
    if (c > best)
      best = c, ties = 1, value = x;
    else if (c == best)
      ++ties;
  return ties == 1 ? static_cast<double>(value) : NAN;
}

// The whole raster's result, cell by cell from scratch, stored as the output type stores it.
std::vector<double> reference(const std::vector<double>& cells, int W, int H, const Neighbourhood& nb,
                              const std::string& op, const std::string& target) {
  const int r = nb.reach();
  std::vector<double> out(cells.size());
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const double focus = cells[static_cast<std::size_t>(y) * W + x];
      double& o = out[static_cast<std::size_t>(y) * W + x];
      if (target == "data" && std::isnan(focus)) {
        o = NAN;
        continue;
      }
      if (target == "nodata" && !std::isnan(focus)) {
        o = (op == "median" || op == "mode") ? std::trunc(focus) : focus;
        continue;
      }
      std::vector<double> v;
      for (int dy = -r; dy <= r; ++dy)
        for (int dx = -r; dx <= r; ++dx) {
          const int xx = x + dx, yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= W || yy >= H || !nb.includes(dx, dy)) continue;
          const double c = cells[static_cast<std::size_t>(yy) * W + xx];
          if (!std::isnan(c)) v.push_back(c);
        }
      o = statistic(op, v);
      if (op == "sum" || op == "min" || op == "max") o = static_cast<float>(o);  // the input's float32
    }
  return out;
}

TEST(Focal, EveryOperationShapeAndTargetEqualsBruteForceOnAnyTilingAndRankCount) {
  const int W = 23, H = 17;
  std::mt19937 rng(11);
  std::vector<double> cells(static_cast<std::size_t>(W) * H);
  for (double& c : cells)
    c = rng() % 5 == 0 ? NAN : static_cast<double>(static_cast<int>(rng() % 1600) - 800) / 8.0;
  TempDir src;
  std::vector<double> stored = cells;
  for (double& c : stored)
    if (std::isnan(c)) c = -9999;
  write_raster(src / "in.tif", "Float32", W, H, 1, {10, 0.5, 0, 20, 0, -0.5}, "EPSG:32631", -9999, {stored});

  std::string steps;
  std::vector<std::string> names;
  for (const Shape& s : shapes())
    for (const std::string& op : kOps)
      for (const std::string& t : kTargets) {
        const std::string name = op + "_" + s.name + "_" + t;
        names.push_back(name);
        steps += "  - id: " + name + "\n    op: focal\n    input: tiled\n    operation: " + op + "\n    " +
                 s.yaml + "\n    target: " + t + "\n  - op: write_geotiff\n    input: " + name +
                 "\n    uri: " + name + ".tif\n";
      }
  std::map<std::string, std::vector<double>> want;
  for (const Shape& s : shapes())
    for (const std::string& op : kOps)
      for (const std::string& t : kTargets)
        want[op + "_" + s.name + "_" + t] = reference(cells, W, H, s.nb, op, t);

  for (int tile_size : {1, 3, 7, 64}) {
    std::map<std::string, SameOnEveryRankCount> same;
    for (int np : {1, 2, 3, 4}) {
      TempDir d;
      const auto r = run_job_text(
          d,
          "version: 1\nsteps:\n  - op: read_geotiff\n    uri: " + (src / "in.tif").string() +
              "\n  - id: tiled\n    op: tile_to_layout\n    tile_size: " + std::to_string(tile_size) + "\n" +
              steps,
          np);
      ASSERT_EQ(r.status, 0) << r.err;
      for (const std::string& name : names) {
        const Raster out = read_raster(d / (name + ".tif"));
        ASSERT_EQ(out.cols, W) << name;
        ASSERT_EQ(out.rows, H) << name;
        int wrong = 0;
        std::string first;
        for (std::size_t i = 0; i < cells.size(); ++i) {
          const double got = out.cells[0][i], w = want[name][i];
          if (std::isnan(got) && std::isnan(w)) continue;
          if (got == w) continue;
          if (++wrong == 1)
            first = "cell " + std::to_string(i) + ": " + std::to_string(got) + ", want " + std::to_string(w);
        }
        EXPECT_EQ(wrong, 0) << name << " tile_size " << tile_size << " np " << np << ": " << first;
        same[name].check(d / (name + ".tif"), np);
      }
    }
  }
}

}  // namespace
}  // namespace trellis::test
