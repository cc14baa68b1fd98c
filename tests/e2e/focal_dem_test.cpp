// focal mean, min, max and median over 3x3 and 31x31 squares of a real DEM (the EU-DEM of São Miguel,
// float32 with the sea NoData) on 1 and 3 ranks equal numpy's brute force exactly: numpy (Debian's
// python3-numpy, the system Python) computes every window from scratch, the mean from an exact integer
// sum of the window's values (the values scaled by a power of two to integers) rounded once, the median
// over the values truncated to integers with GeoTrellis' even-count rule.
#include <cmath>
#include <fstream>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

const char* kNumpy = R"py(
import math, sys, warnings
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view as windows
warnings.simplefilter("ignore")
src, W, H, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
v = np.fromfile(src, dtype=np.float64).reshape(H, W)
# The power of two that makes every value an integer (the least significant bit of the finest value).
finite = np.abs(v[~np.isnan(v) & (v != 0)])
m, e = np.frexp(finite)
mant = (m * 2.0 ** 53).astype(np.int64)
tz = np.array([(int(x) & -int(x)).bit_length() - 1 for x in mant])
shift = max(0, -int((e - 53 + tz).min()))
for ext in (1, 15):
    k = 2 * ext + 1
    p = np.full((H + 2 * ext, W + 2 * ext), np.nan)
    p[ext:ext + H, ext:ext + W] = v
    data = ~np.isnan(p)
    # Exact sums: Python integers, 2D prefix sums.
    X = np.zeros(p.shape, dtype=object)
    X[data] = [int(math.ldexp(float(x), shift)) for x in p[data]]
    P = np.zeros((p.shape[0] + 1, p.shape[1] + 1), dtype=object)
    P[1:, 1:] = X.cumsum(axis=0).cumsum(axis=1)
    C = np.zeros(P.shape, dtype=np.int64)
    C[1:, 1:] = data.astype(np.int64).cumsum(axis=0).cumsum(axis=1)
    S = P[k:, k:] - P[:-k, k:] - P[k:, :-k] + P[:-k, :-k]
    N = C[k:, k:] - C[:-k, k:] - C[k:, :-k] + C[:-k, :-k]
    mean = np.full((H, W), np.nan)
    for (y, x), n in np.ndenumerate(N):
        if n: mean[y, x] = math.ldexp(float(S[y, x]), -shift) / n
    mean.tofile(f"{out}/mean{ext}.f64")
    w = windows(p, (k, k))
    np.nanmin(w, axis=(2, 3)).tofile(f"{out}/min{ext}.f64")
    np.nanmax(w, axis=(2, 3)).tofile(f"{out}/max{ext}.f64")
    t = np.trunc(p)
    med = np.full((H, W), np.nan)
    for y in range(H):
        row = np.sort(windows(t, (k, k))[y].reshape(W, k * k), axis=1)  # NaN last
        n = (~np.isnan(row)).sum(axis=1)
        for x in range(W):
            if n[x]:
                lo, hi = int(row[x, (n[x] - 1) // 2]), int(row[x, n[x] // 2])
                s = lo + hi
                med[y, x] = s // 2 if s >= 0 else -((-s) // 2)  # Scala's truncating division
    med.tofile(f"{out}/median{ext}.f64")
print("ok")
)py";

TEST(FocalDem, SaoMiguelMeanMinMaxMedianEqualNumpyBruteForce) {
  TRELLIS_REQUIRE_SHARED();
  const fs::path dem = *shared_dir() / "data/sao-miguel/eu_dem_v11.tif";
  const Raster in = read_raster(dem);
  TempDir ref;
  std::ofstream(ref / "dem.f64", std::ios::binary)
      .write(reinterpret_cast<const char*>(in.cells[0].data()),
             static_cast<std::streamsize>(in.cells[0].size() * sizeof(double)));
  write_file(ref / "ref.py", kNumpy);
  const auto py =
      run_command("/usr/bin/python3 '" + (ref / "ref.py").string() + "' '" + (ref / "dem.f64").string() +
                  "' " + std::to_string(in.cols) + " " + std::to_string(in.rows) + " '" + ref.str() + "'");
  if (py.status != 0 && py.err.find("No module named 'numpy'") != std::string::npos)
    GTEST_SKIP() << "numpy is not available (Debian's python3-numpy)";
  ASSERT_EQ(py.status, 0) << py.err;

  const std::vector<std::string> names = {"mean1",  "min1",  "max1",  "median1",
                                          "mean15", "min15", "max15", "median15"};
  std::string steps;
  for (const std::string& n : names) {
    const std::string op = n.substr(0, n.find_first_of("0123456789")), extent = n.substr(op.size());
    steps += "  - id: " + n + "\n    op: focal\n    input: tiled\n    operation: " + op +
             "\n    neighborhood: square\n    extent: " + extent +
             "\n  - op: write_geotiff\n    input: " + n + "\n    uri: " + n + ".tif\n";
  }
  std::map<std::string, SameOnEveryRankCount> same;
  for (int np : {1, 3}) {
    TempDir d;
    const auto r = run_job_text(d,
                                "version: 1\nsteps:\n  - op: read_geotiff\n    uri: " + dem.string() +
                                    "\n  - id: tiled\n    op: tile_to_layout\n    tile_size: 64\n" + steps,
                                np);
    ASSERT_EQ(r.status, 0) << r.err;
    for (const std::string& n : names) {
      const Raster got = read_raster(d / (n + ".tif"));
      ASSERT_EQ(got.cols, in.cols);
      ASSERT_EQ(got.rows, in.rows);
      std::vector<double> want(in.cells[0].size());
      std::ifstream(ref / (n + ".f64"), std::ios::binary)
          .read(reinterpret_cast<char*>(want.data()),
                static_cast<std::streamsize>(want.size() * sizeof(double)));
      std::size_t wrong = 0, data = 0;
      std::string first;
      for (std::size_t i = 0; i < want.size(); ++i) {
        const double a = got.cells[0][i], b = want[i];
        data += !std::isnan(b);
        if ((std::isnan(a) && std::isnan(b)) || a == b) continue;
        if (++wrong == 1)
          first = "cell " + std::to_string(i) + ": " + std::to_string(a) + ", numpy " + std::to_string(b);
      }
      EXPECT_EQ(wrong, 0u) << n << " on " << np << " rank(s): " << first;
      EXPECT_GT(data, 10000u) << n;
      same[n].check(d / (n + ".tif"), np);
    }
  }
}

}  // namespace
}  // namespace trellis::test
