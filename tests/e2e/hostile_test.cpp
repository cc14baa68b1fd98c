// Careless and hostile jobs (issue 9): each class refused before any work with exit 2 and one line
// FILE:LINE:COL (or handled), on 1 and 3 ranks, in seconds, with nothing left behind and no input
// touched.
#include <sys/stat.h>

#include <cmath>
#include <fstream>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

void write_small(const fs::path& p, double value) {
  write_raster(p, "Float32", 40, 40, 1, {0, 1, 0, 40, 0, -1}, "EPSG:3857", -1.0,
               {std::vector<double>(1600, value)});
}

std::set<std::string> files_of(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    out.insert(fs::relative(e.path(), dir).string());
  return out;
}

// `text` with "job.yaml" spelled as the job's path in `d` (as messages name it).
std::string in_dir(const TempDir& d, std::string text) {
  const std::string full = (d / "job.yaml").string();
  for (auto at = text.find("job.yaml"); at != std::string::npos; at = text.find("job.yaml", at + full.size()))
    text.replace(at, 8, full);
  return text;
}

// Runs the job on `np` ranks (0: a single process) and checks: exit 2, one error line starting with
// `where` and holding `what` ("job.yaml" standing for the job's path), within seconds, and no file but
// those there before.
void expect_refused(const TempDir& d, const std::string& yaml, int np, const std::string& where_in_job,
                    const std::string& what_in_job) {
  const std::string where = in_dir(d, where_in_job), what = in_dir(d, what_in_job);
  write_file(d / "job.yaml", yaml);
  const auto before = files_of(d.path());
  const auto r = run_trellis("run '" + (d / "job.yaml").string() + "' --log-level warn", np);
  EXPECT_EQ(r.status, 2) << r.err;
  const auto lines = trellis_lines(r.err);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_EQ(lines[0].find("trellis: " + where), 0u) << lines[0];
  EXPECT_NE(lines[0].find(what), std::string::npos) << lines[0];
  EXPECT_LT(r.seconds, 30);
  EXPECT_EQ(files_of(d.path()), before) << "something was written";
}

// Class 2: ranks that resolve the job differently are refused before they exchange anything.
TEST(Hostile, RanksThatSeeDifferentJobsAreRefused) {
  TempDir d;
  write_small(d / "a.tif", 1);
  const std::string job =
      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: a.tif\n  - op: tile_to_layout\n"
      "    tile_size: 1${OMPI_COMM_WORLD_RANK}\n  - op: write_geotiff\n    uri: out.tif\n";
  for (int np : {2, 3})
    expect_refused(d, job, np,
                   "job.yaml:6:16: step 'tile_to_layout-2' (tile_to_layout): parameter 'tile_size'",
                   "differs between the ranks: '10' on rank 0, '11' on rank 1");
  // On one rank the same job is valid.
  write_file(d / "job.yaml", job);
  const auto r = run_trellis("run '" + (d / "job.yaml").string() + "' --log-level warn", 1);
  EXPECT_EQ(r.status, 0) << r.err;
}

// Class 3: no output may overwrite an input or another output.
TEST(Hostile, OutputsNeverDestroyInputsOrEachOther) {
  TempDir d;
  write_small(d / "in.tif", 1);
  const std::string bytes = read_file(d / "in.tif");
  const std::string head = "version: 1\nsteps:\n  - op: read_geotiff\n    uri: in.tif\n";
  for (int np : {0, 3}) {
    expect_refused(
        d, head + "  - op: get_min_max\n    output: in.tif\n", np, "job.yaml:6:13: step 'get_min_max-2'",
        "is an input of step 'read_geotiff-1' (job.yaml:4:10): an output may not overwrite an input");
    expect_refused(d, head + "  - op: tile_to_layout\n  - op: write_geotiff\n    uri: ./in.tif\n", np,
                   "job.yaml:7:10: ", "an output may not overwrite an input");
    expect_refused(d,
                   head +
                       "  - op: tile_to_layout\n  - op: write_geotiff\n    uri: out-{zoom}.tif\n"
                       "  - op: get_min_max\n    input: tile_to_layout-2\n    output: out-0.tif\n",
                   np, "job.yaml:10:13: ", "is written by step 'write_geotiff-3' too (job.yaml:7:10)");
    EXPECT_EQ(read_file(d / "in.tif"), bytes);
  }
  // `validate` says so too.
  write_file(d / "job.yaml", head + "  - op: get_min_max\n    output: in.tif\n");
  EXPECT_EQ(run_trellis("validate '" + (d / "job.yaml").string() + "'").status, 2);
  // A file written, then read back by a later step, is allowed.
  write_file(d / "job.yaml",
             head +
                 "  - op: tile_to_layout\n  - op: write_geotiff\n    uri: mid.tif\n"
                 "  - id: back\n    op: read_geotiff\n    uri: mid.tif\n  - op: get_min_max\n");
  EXPECT_EQ(run_trellis("validate '" + (d / "job.yaml").string() + "'").status, 0);
}

// Class 4: everything the job and the inputs' metadata tell is refused before any work, by `validate`
// and by `run` alike.
TEST(Hostile, ValidationCatchesWhatTheMetadataTells) {
  TempDir d;
  write_small(d / "a.tif", 1);
  write_raster(d / "two.tif", "Float32", 40, 40, 2, {40, 1, 0, 40, 0, -1}, "EPSG:3857", -1.0,
               {std::vector<double>(1600, 1), std::vector<double>(1600, 2)});
  write_raster(d / "cx.tif", "CInt16", 4, 4, 1, {0, 1, 0, 4, 0, -1}, "EPSG:3857", std::nullopt,
               {std::vector<double>(16, 1)});
  write_raster(d / "nogt.tif", "Float32", 4, 4, 1, {}, "", std::nullopt, {std::vector<double>(16, 1)});
  write_file(d / "rot.vrt",
             "<VRTDataset rasterXSize=\"40\" rasterYSize=\"40\"><GeoTransform>0, 1, 0.2, 40, 0.1, "
             "-1</GeoTransform><VRTRasterBand dataType=\"Float32\" band=\"1\"><SimpleSource><SourceFilename "
             "relativeToVRT=\"1\">a.tif</SourceFilename></SimpleSource></VRTRasterBand></VRTDataset>\n");
  fs::create_directories(d / "adir");
  const std::string head =
      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: a.tif\n  - op: tile_to_layout\n";
  struct Case {
    std::string job, where, what;
  };
  const std::vector<Case> cases = {
      {head + "    tile_size: 16\n  - op: pyramid\n  - op: write_geotiff\n    uri: out.tif\n",
       "job.yaml:9:10: ", "a pyramid has several levels: put {zoom} in the uri"},
      {head + "  - op: write_geotiff\n    uri: out.tif\n    bands: [0, 3]\n",
       "job.yaml:8:12: ", "band 3 does not exist (the layer has 1 band(s)"},
      {"version: 1\nsteps:\n  - op: read_geotiff\n    uri: [a.tif, two.tif]\n  - op: tile_to_layout\n",
       "job.yaml:5:5: ", "the rasters have different band counts (1 and 2)"},
      {head + "    tile_size: 15\n  - op: pyramid\n",
       "job.yaml:7:5: ", "tiles must have an even number of columns and rows (this layer's tiles are 15x15)"},
      {head + "  - op: write_geotiff\n    uri: adir\n",
       "job.yaml:7:10: ", "it is a folder; give a file name"},
      {head + "  - op: write_geotiff\n    uri: /proc/out.tif\n",
       "job.yaml:7:10: ", "folder '/proc' is on /proc, the kernel's process file system"},
      {head + "  - op: get_min_max\n    output: /dev/null\n",
       "job.yaml:7:13: ", "it is not a regular file (a pipe, socket or device)"},
      {"version: 1\nsteps:\n  - op: read_geotiff\n    uri: nogt.tif\n",
       "job.yaml:4:10: ", "has no geotransform (not georeferenced)"},
      {"version: 1\nsteps:\n  - op: read_geotiff\n    uri: rot.vrt\n",
       "job.yaml:4:10: ", "is rotated; only north-up rasters are read"},
      {"version: 1\nsteps:\n  - op: read_geotiff\n    uri: cx.tif\n",
       "job.yaml:4:10: ", "unsupported raster data type CInt16"},
      {head + "    scheme: zoom\n    zoom: 31\n", "job.yaml:7:11: ", "must be between 0 and 30, got 31"},
      {head + "  - op: reproject\n    target_crs: EPSG:4978\n",
       "job.yaml:7:17: ", "is a geocentric CRS (X, Y, Z from the Earth's centre), not a horizontal one"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    for (int np : {0, 3}) expect_refused(d, c.job, np, c.where, c.what);
    write_file(d / "job.yaml", c.job);
    const auto r = run_trellis("validate '" + (d / "job.yaml").string() + "'");
    EXPECT_EQ(r.status, 2) << r.err;
  }
}

// Class 4: what only a run can find (here a step that reads an earlier step's output) ends with exit 3
// and names the outputs already complete.
TEST(Hostile, AFailureMidRunNamesTheCompleteOutputs) {
  TempDir d;
  write_small(d / "a.tif", 1);
  const std::string job =
      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: a.tif\n  - op: tile_to_layout\n"
      "  - op: write_geotiff\n    uri: mid.tif\n  - id: back\n    op: read_geotiff\n    uri: mid.tif\n"
      "  - op: tile_to_layout\n  - op: polygonal_summary\n    band: 3\n"
      "    geometry: \"POLYGON ((0 0, 10 0, 10 10, 0 0))\"\n";
  for (int np : {1, 3}) {
    fs::remove(d / "mid.tif");
    const auto r = run_job_text(d, job, np, "--log-level warn");
    EXPECT_EQ(r.status, 3) << r.err;
    const auto lines = trellis_lines(r.err);
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_NE(lines[0].find(in_dir(d, "job.yaml:13:11: step 'polygonal_summary-6'")), std::string::npos);
    EXPECT_NE(lines[0].find("(complete before the failure: '" + (d / "mid.tif").string() +
                            "' (step 'write_geotiff-3'))"),
              std::string::npos)
        << lines[0];
    EXPECT_TRUE(fs::exists(d / "mid.tif"));
  }
}

// Class 5: inputs that are not regular files, and job files that would never end.
TEST(Hostile, PipesDevicesHugeFilesAndAliasBombsAreRefused) {
  TempDir d;
  write_small(d / "a.tif", 1);
  ASSERT_EQ(::mkfifo((d / "fifo.tif").c_str(), 0600), 0);
  for (int np : {0, 3})
    expect_refused(d, "version: 1\nsteps:\n  - op: read_geotiff\n    uri: fifo.tif\n", np,
                   "job.yaml:4:10: ", "is not a regular file");
  ASSERT_EQ(::mkfifo((d / "fifo.yaml").c_str(), 0600), 0);
  for (int np : {0, 3})
    for (const std::string& job : {(d / "fifo.yaml").string(), std::string("/dev/zero")}) {
      const auto r = run_trellis("run '" + job + "'", np);
      EXPECT_EQ(r.status, 2) << r.err;
      EXPECT_NE(r.err.find("is not a regular file"), std::string::npos) << r.err;
      EXPECT_LT(r.seconds, 30);
    }
  {
    std::ofstream big(d / "big.yaml");
    big << "version: 1\n# " << std::string(17 << 20, 'x') << "\n";
  }
  auto r = run_trellis("run '" + (d / "big.yaml").string() + "'", 0);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("at most 16 MiB"), std::string::npos) << r.err;
  fs::remove(d / "big.yaml");
  // An alias bomb under a known key: refused at a bounded cost (under a 4 GiB address-space cap).
  std::string bomb =
      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: a.tif\n  - op: tile_to_layout\n"
      "  - op: polygonal_summary\n    geometry:\n      a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {  // each level ten times the one before: 10^9 leaves
    const std::string prev = "*a" + std::to_string(i - 1);
    bomb += "      a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int k = 1; k < 10; ++k) bomb += ", " + prev;
    bomb += "]\n";
  }
  write_file(d / "bomb.yaml", bomb);
  r = run_command("ulimit -v 4000000; '" + std::string(TRELLIS_BINARY) + "' run '" +
                  (d / "bomb.yaml").string() + "'");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("YAML nodes"), std::string::npos) << r.err;
  EXPECT_LT(r.seconds, 30);
}

// Class 6: values that would silently change meaning.
TEST(Hostile, ValuesThatWouldChangeMeaningAreRefused) {
  TempDir d;
  write_small(d / "a.tif", 1);
  write_file(d / "zone.geojson",
             R"({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"n": 1},)"
             R"( "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 0]]]}}]})");
  const std::string head = "version: 1\nsteps:\n  - op: read_geotiff\n    uri: a.tif\n";
  for (int np : {0, 3}) {
    expect_refused(d, head + "  - op: tile_to_layout\n    cell_type: int8ud1000\n", np,
                   "job.yaml:6:16: ", "the NoData value 1000 does not fit int8 (it would become -24");
    expect_refused(d, head + "---\nversion: 1\nsteps:\n  - op: read_geotiff\n    uri: a.tif\n", np,
                   "job.yaml:6:1: ", "a second YAML document");
    expect_refused(d,
                   head +
                       "  - op: tile_to_layout\n  - op: polygonal_summary\n    geometry: {uri: zone.geojson, "
                       "where: \"1=1; DROP TABLE x\"}\n",
                   np, "job.yaml:7:42: ", "`where` holds a ';'");
  }
}

// Class 7: a closed log stream never ends the job.
TEST(Hostile, AClosedLogStreamDoesNotKillTheJob) {
  TempDir d;
  write_small(d / "a.tif", 1);
  write_file(
      d / "job.yaml",
      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: a.tif\n  - op: tile_to_layout\n    tile_size: 8\n"
      "  - op: write_geotiff\n    uri: out.tif\n");
  // Each rank's own log stream is closed: every rank runs `trellis ... | head -c 1`. Closing mpiexec's
  // stdout instead would test the launcher: Open MPI 4.1's orterun itself dies of SIGSEGV in
  // PMIx_Finalize about one run in ten when its forwarded output meets a closed pipe, after the ranks
  // have finished.
  write_file(d / "run.sh", "'" + std::string(TRELLIS_BINARY) + "' run '" + (d / "job.yaml").string() +
                               "' --log-level debug 2>&1 | head -c 1 >/dev/null\nexit ${PIPESTATUS[0]}\n");
  for (int np : {0, 3}) {
    fs::remove(d / "out.tif");
    const std::string launcher =
        np == 0 ? std::string() : std::string(TRELLIS_MPIEXEC) + " -n 3 --oversubscribe --allow-run-as-root ";
    const auto r = run_command(launcher + "bash '" + (d / "run.sh").string() + "'");
    EXPECT_EQ(r.status, 0) << "np " << np << ": " << r.out << r.err;
    EXPECT_TRUE(fs::exists(d / "out.tif")) << "np " << np;
  }
}

// Class 8: cells outside the layer's data (the padding of edge tiles) are never counted, whatever the
// cell type: a raw uint8 raster of 100 x 90 cells >= 10, in tiles of 64.
TEST(Hostile, EdgeTilePaddingIsNeverCounted) {
  TempDir d;
  std::vector<double> cells(100 * 90);
  for (std::size_t i = 0; i < cells.size(); ++i) cells[i] = 10 + static_cast<double>(i % 200);
  write_raster(d / "raw.tif", "Byte", 100, 90, 1, {0, 1, 0, 90, 0, -1}, "EPSG:3857", std::nullopt, {cells});
  const std::string job =
      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: raw.tif\n  - id: tiled\n    op: tile_to_layout\n"
      "    tile_size: 64\n  - op: get_min_max\n    input: tiled\n    output: mm.json\n"
      "  - op: polygonal_summary\n    input: tiled\n    geometry: \"POLYGON ((-50 -50, 200 -50, 200 200, -50 "
      "200, -50 -50))\"\n"
      "    stats: [count, min]\n    output: zone.json\n";
  for (int np : {1, 3}) {
    const auto r = run_job_text(d, job, np);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto mm = read_json(d / "mm.json");
    EXPECT_EQ(mm["min"].get<double>(), 10) << "np " << np;
    EXPECT_EQ(mm["max"].get<double>(), 209);
    const auto zone = read_json(d / "zone.json");
    EXPECT_EQ(zone[0]["count"].get<long>(), 100 * 90) << "np " << np;
    EXPECT_EQ(zone[0]["min"].get<double>(), 10);
  }
}

// Class 8, between files: a raw cell type cannot tell the cells no file covers, so tiling warns and
// names the fix; with a cell type that has NoData, those cells stay out of the data.
TEST(Hostile, GapsBetweenRawFilesAreNamedAndCanBeKeptOut) {
  TempDir d;
  write_raster(d / "p.tif", "Byte", 100, 100, 1, {0, 1, 0, 100, 0, -1}, "EPSG:3857", std::nullopt,
               {std::vector<double>(100 * 100, 5)});
  write_raster(d / "q.tif", "Byte", 100, 100, 1, {150, 1, 0, 100, 0, -1}, "EPSG:3857", std::nullopt,
               {std::vector<double>(100 * 100, 6)});
  const std::string head =
      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: [p.tif, q.tif]\n  - op: tile_to_layout\n"
      "    tile_size: 64\n";
  for (int np : {1, 3}) {
    auto r = run_job_text(d, head + "  - op: get_min_max\n    output: mm.json\n", np, "--log-level warn");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("cell type uint8raw has no NoData value, so cells no file covers read as 0 and "
                         "count as data; give a `cell_type` with NoData (e.g. uint8)"),
              std::string::npos)
        << r.err;
    r = run_job_text(d, head + "    cell_type: uint8\n  - op: get_min_max\n    output: mm.json\n", np,
                     "--log-level warn");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(trellis_lines(r.err).empty()) << r.err;
    EXPECT_EQ(read_json(d / "mm.json")["min"].get<double>(), 5) << "np " << np;
  }
}

// Class 9: a CRS mismatch names the CRSs, not their WKT.
TEST(Hostile, MessagesNameCrssShortly) {
  TempDir d;
  write_small(d / "a.tif", 1);
  write_raster(d / "b.tif", "Float32", 40, 40, 1, {0, 1, 0, 40, 0, -1}, "EPSG:4326", -1.0,
               {std::vector<double>(1600, 2)});
  for (int np : {0, 3}) {
    const auto r = run_job_text(d,
                                "version: 1\nsteps:\n  - op: read_geotiff\n    uri: [a.tif, b.tif]\n"
                                "  - op: tile_to_layout\n  - op: get_min_max\n",
                                np, "--log-level warn");
    EXPECT_EQ(r.status, 2) << r.err;
    const auto lines = trellis_lines(r.err);
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_NE(lines[0].find("different CRSs (EPSG:3857 in '"), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("EPSG:4326 in '"), std::string::npos) << lines[0];
    EXPECT_LT(lines[0].size(), 400u) << lines[0];
  }
}

}  // namespace
}  // namespace trellis::test
