// Error classes end to end: every rank exits promptly with the same status, the error is one line
// printed once (with file:line:col for job errors), and nothing is left half-written.
#include <gdal_priv.h>

#include <fstream>
#include <set>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

std::string tiling_job(const std::string& uri, const std::string& out = "out.tif") {
  return "version: 1\nsteps:\n  - op: read_geotiff\n    uri: " + uri +
         "\n    max_tile_size: 16\n  - op: tile_to_layout\n    tile_size: 16\n  - op: write_geotiff\n    "
         "uri: " +
         out + "\n";
}

void expect_one_error(const RunResult& r, int status, const std::string& fragment) {
  EXPECT_EQ(r.status, status) << r.err;
  auto lines = trellis_lines(r.err);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_NE(lines[0].find(fragment), std::string::npos) << lines[0];
}

bool no_files_but(const fs::path& dir, const std::set<std::string>& allowed) {
  for (const auto& e : fs::directory_iterator(dir))
    if (!allowed.count(e.path().filename().string())) return false;
  return true;
}

void write_small(const fs::path& p, double value) {
  write_raster(p, "Float32", 40, 40, 1, {0, 1, 0, 40, 0, -1}, "EPSG:3857", -1.0,
               {std::vector<double>(1600, value)});
}

struct JobErrorCase {
  const char* name;
  std::string yaml;
  std::string fragment;
};

TEST(Errors, EveryValidationClassExitsTwoWithFileLineCol) {
  TempDir d;
  write_small(d / "a.tif", 1);
  std::vector<JobErrorCase> cases = {
      {"yaml syntax", "version: 1\nsteps:\n  - op: read_geotiff\n    uri: [a.tif\n", "job.yaml:"},
      {"unknown op", "version: 1\nsteps:\n  - op: read_geotif\n    uri: a.tif\n",
       "job.yaml:3:9: step 1: unknown op 'read_geotif' (did you mean 'read_geotiff'?)"},
      {"unknown parameter",
       "version: 1\nsteps:\n  - op: read_geotiff\n    uri: a.tif\n  - id: tiled\n    op: tile_to_layout\n    "
       "tile_sise: 8\n",
       "job.yaml:7:5: step 'tiled' (tile_to_layout): unknown parameter 'tile_sise' (did you mean "
       "'tile_size'?)"},
      {"missing parameter", "version: 1\nsteps:\n  - op: read_geotiff\n",
       "job.yaml:3:5: step 'read_geotiff-1' (read_geotiff)"},
      {"mistyped",
       "version: 1\nsteps:\n  - op: read_geotiff\n    uri: a.tif\n  - op: tile_to_layout\n    tile_size: "
       "big\n",
       "job.yaml:6:16:"},
      {"out of range",
       "version: 1\nsteps:\n  - op: read_geotiff\n    uri: a.tif\n  - op: tile_to_layout\n    tile_size: 0\n",
       "job.yaml:6:16:"},
      {"bad choice",
       "version: 1\nsteps:\n  - op: read_geotiff\n    uri: a.tif\n  - op: tile_to_layout\n    "
       "resample_method: bilinaer\n",
       "did you mean 'bilinear'"},
      {"undefined input",
       "version: 1\nsteps:\n  - op: read_geotiff\n    uri: a.tif\n  - op: tile_to_layout\n    input: nope\n",
       "job.yaml:6:12:"},
      {"cycle",
       "version: 1\nsteps:\n  - {id: a, op: tile_to_layout, input: b}\n  - {id: b, op: tile_to_layout, "
       "input: a}\n",
       "cycl"},
      {"missing input file", "version: 1\nsteps:\n  - op: read_geotiff\n    uri: missing.tif\n",
       "job.yaml:4:10:"},
      {"unknown crs", "version: 1\nsteps:\n  - op: read_geotiff\n    uri: a.tif\n    crs: EPSG:999999\n",
       "job.yaml:5:10:"},
      {"unwritable output",
       "version: 1\nsteps:\n  - op: read_geotiff\n    uri: a.tif\n  - op: tile_to_layout\n  - op: "
       "write_geotiff\n    uri: a.tif/x/out.tif\n",
       "job.yaml:7:10:"},
      {"kind mismatch",
       "version: 1\nsteps:\n  - op: read_geotiff\n    uri: a.tif\n  - op: write_geotiff\n    uri: out.tif\n",
       "tiled layer"},
      {"parameter of another backend",
       "version: 1\nsteps:\n  - op: read_geotiff\n    uri: a.tif\n  - op: tile_to_layout\n  - op: "
       "write_catalog\n    uri: hdf5://c.h5\n    layer_name: x\n    share_ms: 10\n",
       "job.yaml:9:15: step 'write_catalog-3' (write_catalog): share_ms shares the writing"},
      {"undefined variable", "version: 1\nsteps:\n  - op: read_geotiff\n    uri: ${NOPE_NOT_SET}/a.tif\n",
       "NOPE_NOT_SET"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    write_file(d / "job.yaml", c.yaml);
    auto v = run_trellis("validate '" + (d / "job.yaml").string() + "'");
    expect_one_error(v, 2, c.fragment);
    auto r = run_trellis("run '" + (d / "job.yaml").string() + "' --log-level warn", 3);
    expect_one_error(r, 2, c.fragment);
    EXPECT_LT(r.seconds, 30);
    EXPECT_TRUE(no_files_but(d.path(), {"a.tif", "job.yaml"})) << "something was written";
  }
}

TEST(Errors, ValidJobValidates) {
  TempDir d;
  write_small(d / "a.tif", 1);
  write_file(d / "job.yaml", tiling_job("a.tif"));
  auto v = run_trellis("validate '" + (d / "job.yaml").string() + "'");
  EXPECT_EQ(v.status, 0) << v.err;
  EXPECT_NE(v.out.find("valid"), std::string::npos);
  EXPECT_FALSE(fs::exists(d / "out.tif"));
}

TEST(Errors, CorruptHeaderOnOneRankOnlyStopsEveryRank) {
  TempDir d;
  write_small(d / "f0.tif", 1);
  write_small(d / "f1.tif", 2);
  write_file(d / "f2.tif", "this is not a TIFF file at all");  // read by rank 2 of 3 only
  // Headers are read when the job is planned, before any work: an input that is not a raster is the
  // job's fault (exit 2, at `uri`), found by the one rank that reads that header.
  auto r = run_job_text(d, tiling_job("[f0.tif, f1.tif, f2.tif]"), 3, "--log-level warn");
  expect_one_error(r, 2, "rank 2: ");
  EXPECT_NE(r.err.find("job.yaml:4:10: step 'read_geotiff-1' (read_geotiff): "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("f2.tif"), std::string::npos);
  EXPECT_LT(r.seconds, 30);
  EXPECT_FALSE(fs::exists(d / "out.tif"));
  EXPECT_TRUE(no_files_but(d.path(), {"f0.tif", "f1.tif", "f2.tif", "job.yaml"}));
}

TEST(Errors, CorruptCellsInOneWindowStopEveryRankAndLeaveNoOutput) {
  TempDir d;
  // A deflate-compressed tiled GeoTIFF whose last block is garbage: only the rank reading it fails.
  write_small(d / "plain.tif", 3);
  auto t = run_command(
      "gdal_translate -q -co TILED=YES -co BLOCKXSIZE=16 -co BLOCKYSIZE=16 -co COMPRESS=DEFLATE '" +
      (d / "plain.tif").string() + "' '" + (d / "bad.tif").string() + "'");
  ASSERT_EQ(t.status, 0) << t.err;
  fs::remove(d / "plain.tif");
  long offset = 0, size = 0;
  {
    GDALAllRegister();
    std::unique_ptr<GDALDataset> ds(GDALDataset::Open((d / "bad.tif").c_str(), GDAL_OF_RASTER));
    auto* band = ds->GetRasterBand(1);
    offset = std::atol(band->GetMetadataItem("BLOCK_OFFSET_2_2", "TIFF"));
    size = std::atol(band->GetMetadataItem("BLOCK_SIZE_2_2", "TIFF"));
  }
  ASSERT_GT(size, 0);
  {
    std::fstream f(d / "bad.tif", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(offset);
    std::string junk(static_cast<size_t>(size), '\xff');
    f.write(junk.data(), size);
  }
  for (int np : {1, 3}) {
    auto r = run_job_text(d, tiling_job("bad.tif"), np, "--log-level warn");
    expect_one_error(r, 3, "bad.tif");
    EXPECT_LT(r.seconds, 30);
    EXPECT_TRUE(no_files_but(d.path(), {"bad.tif", "job.yaml"})) << "np " << np;
  }
}

TEST(Errors, CommandLineErrorsExitTwo) {
  auto r = run_trellis("run");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(trellis_lines(r.err).size(), 1u) << r.err;
  r = run_trellis("run /nonexistent/job.yaml", 2);
  expect_one_error(r, 2, "no such job file");
  r = run_trellis("ops tile_to_layuot");
  expect_one_error(r, 2, "did you mean 'tile_to_layout'");
  r = run_trellis("info /nonexistent.tif");
  expect_one_error(r, 2, "no such file");
}

TEST(Errors, OpsAndVersionAndInfo) {
  auto r = run_trellis("ops");
  EXPECT_EQ(r.status, 0);
  for (const char* op :
       {"read_geotiff", "tile_to_layout", "to_tiled_layer", "cut_tiles", "get_min_max", "write_geotiff"})
    EXPECT_NE(r.out.find(op), std::string::npos) << op;
  r = run_trellis("ops tile_to_layout");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("tile_size"), std::string::npos);
  EXPECT_NE(r.out.find("256"), std::string::npos);
  r = run_trellis("--version");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("trellis"), std::string::npos);
  TempDir d;
  write_small(d / "a.tif", 1);
  r = run_trellis("info '" + (d / "a.tif").string() + "'", 2);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("float32ud-1.0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("EPSG:3857"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("path:"), r.out.rfind("path:")) << "printed more than once:\n" << r.out;
}

}  // namespace
}  // namespace trellis::test
