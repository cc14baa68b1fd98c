// The histogram ops on real data, on 1-4 ranks: the class histogram and exact quantile breaks of the
// Luxembourg DEM (int16 with NoData) and of a Landsat band (uint8) equal numpy's (np.unique, and
// GeoTrellis' quantile-break rule written over numpy's counts in the test), and the streaming
// histogram's breaks of a float layer stay within the documented error of numpy's quantiles. Results are
// identical whatever the rank count.
#include <cmath>
#include <fstream>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

// numpy (Debian's python3-numpy, the system Python) over the cells written raw: counts per value and
// GeoTrellis' quantile breaks (FastMapHistogram.quantileBreaks: values whose count exceeds an ideal
// quantile are "extreme" and weighted down; a break is the value whose running count crosses each
// quantile, or its predecessor when that is nearer and not already a break).
const char* kNumpy = R"py(
import json, sys
import numpy as np
v = np.fromfile(sys.argv[1], dtype=np.float64)
v = v[~np.isnan(v)].astype(np.int64)
vals, counts = np.unique(v, return_counts=True)
def breaks(n):
    total = int(counts.sum())
    h = counts.astype(np.int64).copy()
    cutoff = int(total / n)
    ext = h > cutoff
    if ext.all():
        h[:] = 1
    elif ext.any():
        h[ext] = (total - int(h[ext].sum())) // (n - int(ext.sum()))
    ht = int(h.sum())
    out, q, run = [], 0, 0
    for j in range(len(vals)):
        if q >= n: break
        nxt = run + int(h[j])
        lim = (q + 1) / n * ht
        if h[j] != 0 and nxt > lim:
            if abs(lim - run) > abs(lim - nxt): out.append(int(vals[j]))
            elif j > 0: out.append(int(vals[j]) if q > 0 and out[-1] == int(vals[j - 1]) else int(vals[j - 1]))
            else: out.append(int(vals[j]))
            q += 1
        run = nxt
    if q < n and (q == 0 or out[-1] < int(vals[-1])): out.append(int(vals[-1]))
    return out
print(json.dumps({"bins": [[int(a), int(b)] for a, b in zip(vals, counts)],
                  "breaks": {str(n): breaks(n) for n in (1, 3, 7, 12)},
                  "quantiles": [float(x) for x in np.quantile(v, [i / 10 for i in range(1, 10)])]}))
)py";

nlohmann::json numpy_reference(const Raster& r, int band, const TempDir& d) {
  const fs::path raw = d / "cells.f64";
  std::ofstream(raw, std::ios::binary)
      .write(reinterpret_cast<const char*>(r.cells[static_cast<std::size_t>(band)].data()),
             static_cast<std::streamsize>(r.cells[static_cast<std::size_t>(band)].size() * sizeof(double)));
  write_file(d / "ref.py", kNumpy);
  const auto out = run_command("/usr/bin/python3 '" + (d / "ref.py").string() + "' '" + raw.string() + "'");
  if (out.status != 0) return nullptr;
  return nlohmann::json::parse(out.out);
}

void check_file(const fs::path& src, int band, int tile_size) {
  const Raster in = read_raster(src);
  TempDir ref;
  const nlohmann::json want = numpy_reference(in, band, ref);
  if (want.is_null()) GTEST_SKIP() << "numpy is not available (Debian's python3-numpy)";
  SameOnEveryRankCount same[5];
  for (int np : {1, 2, 3, 4}) {
    SCOPED_TRACE(src.filename().string() + " on " + std::to_string(np) + " rank(s)");
    TempDir d;
    std::string job = "version: 1\nsteps:\n  - op: read_geotiff\n    uri: " + src.string() +
                      "\n  - id: t\n    op: tile_to_layout\n    tile_size: " + std::to_string(tile_size) +
                      "\n  - op: get_class_histogram\n    input: t\n    band: " + std::to_string(band) +
                      "\n    output: classes.json\n";
    for (int n : {1, 3, 7, 12})
      job += "  - op: get_quantile_breaks_exact_int\n    input: t\n    band: " + std::to_string(band) +
             "\n    num_breaks: " + std::to_string(n) + "\n    output: breaks" + std::to_string(n) +
             ".json\n";
    const auto r = run_job_text(d, job, np);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(read_json(d / "classes.json"), want["bins"]);
    same[0].check(d / "classes.json", np);
    int i = 1;
    for (int n : {1, 3, 7, 12}) {
      EXPECT_EQ(read_json(d / ("breaks" + std::to_string(n) + ".json")), want["breaks"][std::to_string(n)])
          << n;
      same[i++].check(d / ("breaks" + std::to_string(n) + ".json"), np);
    }
  }
}

TEST(Histogram, LuxembourgDemEqualsNumpyOnOneToFourRanks) {
  TRELLIS_REQUIRE_DATA("elev.tif");
  check_file(data_dir() / "elev.tif", 0, 16);
}

TEST(Histogram, LandsatBandEqualsNumpyOnOneToFourRanks) {
  TRELLIS_REQUIRE_DATA("L7_ETMs.tif");
  check_file(data_dir() / "L7_ETMs.tif", 3, 64);
}

TEST(Histogram, StreamingBreaksOfAFloatLayerWithinTheErrorOnOneToFourRanks) {
  TRELLIS_REQUIRE_DATA("elev.tif");
  // The DEM as float64 (convert_data_type), whose quantiles numpy computes.
  const Raster in = read_raster(data_dir() / "elev.tif");
  TempDir ref;
  const nlohmann::json want = numpy_reference(in, 0, ref);
  if (want.is_null()) GTEST_SKIP() << "numpy is not available (Debian's python3-numpy)";
  std::vector<double> cells;
  for (double v : in.cells[0])
    if (!std::isnan(v)) cells.push_back(v);
  std::sort(cells.begin(), cells.end());
  SameOnEveryRankCount same;
  for (int np : {1, 2, 3, 4}) {
    TempDir d;
    const std::string job =
        "version: 1\nsteps:\n  - op: read_geotiff\n    uri: " + (data_dir() / "elev.tif").string() +
        "\n  - op: tile_to_layout\n    tile_size: 16\n  - op: convert_data_type\n"
        "    new_type: float64\n  - op: get_quantile_breaks\n    num_breaks: 10\n    output: b.json\n";
    const auto r = run_job_text(d, job, np);
    ASSERT_EQ(r.status, 0) << r.err;
    const nlohmann::json b = read_json(d / "b.json");
    ASSERT_EQ(b.size(), 10u);
    EXPECT_EQ(b.back().get<double>(), cells.back());
    // Each break's rank in the data is within 2.5 % of its quantile (the heaviest of 80 buckets' share).
    for (std::size_t i = 0; i + 1 < b.size(); ++i) {
      const double rank =
          static_cast<double>(std::lower_bound(cells.begin(), cells.end(), b[i].get<double>()) -
                              cells.begin()) /
          static_cast<double>(cells.size());
      EXPECT_NEAR(rank, (i + 1) / 10.0, 0.025)
          << "break " << i << " " << b[i] << ", numpy's quantile " << want["quantiles"][i];
    }
    same.check(d / "b.json", np);
  }
}

}  // namespace
}  // namespace trellis::test
