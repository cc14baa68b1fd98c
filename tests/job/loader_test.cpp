#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "job/job.hpp"
#include "job_test_util.hpp"

namespace trellis::job {
namespace {

using test::TempDir;
using testing::expect_job_error;
namespace fs = std::filesystem;

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reg = testing::make_registry();
    tmp.write("data/ndvi.tif", "x");
    tmp.write("data/b.tif", "x");
  }
  Job load(const std::string& text, const std::map<std::string, std::string>& vars = {}) {
    return load_job_from_string(text, "job.yaml", tmp.str(), vars, reg);
  }
  void expect_error(const std::string& text, const std::string& prefix,
                    std::initializer_list<std::string> frags,
                    const std::map<std::string, std::string>& vars = {}) {
    expect_job_error([&] { load(text, vars); }, prefix, frags);
  }
  Registry reg;
  TempDir tmp;
};

TEST_F(LoaderTest, ValidJobLoadsWithDefaults) {
  const Job job = load(R"(version: 1
name: quick
steps:
  - id: ndvi
    op: read_geotiff
    uri: data/ndvi.tif
  - op: to_tiled_layer
    resample_method: Bilinear
  - op: get_min_max
    output: out/minmax.json
)");
  EXPECT_EQ(job.file, "job.yaml");
  EXPECT_EQ(job.dir, tmp.str());
  EXPECT_EQ(job.name, "quick");
  EXPECT_EQ(job.version, 1);
  ASSERT_EQ(job.steps.size(), 3u);

  const Step& read = job.steps[0];
  EXPECT_EQ(read.id, "ndvi");
  EXPECT_EQ(read.spec->name, "read_geotiff");
  EXPECT_EQ(read.number, 1);
  EXPECT_TRUE(read.inputs.empty());
  EXPECT_EQ(read.mark.str(), "job.yaml:4:5");
  EXPECT_EQ(read.params.get_string("uri"), (tmp.path() / "data/ndvi.tif").string());
  EXPECT_EQ(read.params.get_int("max_tile_size"), 1024);
  EXPECT_EQ(read.params.get_string("rdd_type"), "spatial");
  EXPECT_FALSE(read.params.has("crs"));
  EXPECT_EQ(read.params.mark("uri").str(), "job.yaml:6:10");

  const Step& tiled = job.steps[1];
  EXPECT_EQ(tiled.id, "to_tiled_layer-2");  // default id: the op as written and the step's position
  EXPECT_EQ(tiled.spec->name, "tile_to_layout");
  EXPECT_EQ(tiled.inputs.at("input"), "ndvi");  // defaults to the previous step
  EXPECT_EQ(tiled.params.get_int("tile_size"), 256);
  EXPECT_EQ(tiled.params.get_string("resample_method"), "bilinear");
  EXPECT_FALSE(tiled.params.get_bool("dry_run"));
  EXPECT_EQ(tiled.params.step_id(), "to_tiled_layer-2");
  EXPECT_EQ(tiled.params.op(), "tile_to_layout");
  EXPECT_EQ(tiled.params.inputs().at("input"), "ndvi");
  EXPECT_EQ(tiled.params.job_dir(), tmp.str());

  const Step& mm = job.steps[2];
  EXPECT_EQ(mm.id, "get_min_max-3");
  EXPECT_EQ(mm.inputs.at("input"), "to_tiled_layer-2");
  EXPECT_EQ(mm.params.get_string("output"), (tmp.path() / "out/minmax.json").string());
  EXPECT_EQ(mm.params.get_strings("stats"), (std::vector<std::string>{"min", "max"}));
  EXPECT_FALSE(fs::exists(tmp.path() / "out"));  // validation creates nothing
  EXPECT_EQ(job.find("ndvi"), &job.steps[0]);
  EXPECT_EQ(job.find("nope"), nullptr);
}

TEST_F(LoaderTest, TheQuickExampleOfTheJobFormatLoads) {
  tmp.write("data/ndvi_201702_LZW.tif", "x");
  tmp.write("data/world_map.gpkg", "x");
  const Job job = load(R"(version: 1
name: quick-example                 # names logs and default outputs
steps:
  - id: ndvi                        # unique id; optional (default "<op>-<n>")
    op: read_geotiff
    uri: ${DATA}/ndvi_201702_LZW.tif   # ${VAR} comes from --var or the environment
  - id: tiled
    op: tile_to_layout              # `input` defaults to the previous step
    tile_size: 256
  - id: webmercator
    op: reproject
    target_crs: EPSG:3857
    scheme: zoom
  - op: polygonal_summary
    input: webmercator
    geometry: {uri: ${DATA}/world_map.gpkg, layer: states_provinces, where: "name = 'Pennsylvania'"}
    stats: [min, max]
    output: out/pennsylvania.json
  - id: pyramid
    op: pyramid
    input: webmercator
    end_zoom: 1
  - op: write_geotiff
    input: pyramid
    uri: out/ndvi-z{zoom}.tif
)",
                       {{"DATA", (tmp.path() / "data").string()}});
  EXPECT_EQ(job.name, "quick-example");
  std::vector<std::string> ids;
  for (const auto& s : job.steps) ids.push_back(s.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"ndvi", "tiled", "webmercator", "polygonal_summary-4", "pyramid",
                                           "write_geotiff-6"}));
  const Step* summary = job.find("polygonal_summary-4");
  ASSERT_NE(summary, nullptr);
  const auto& geometry = summary->params.raw("geometry").as_map();
  EXPECT_EQ(geometry.at("uri").as_string(), (tmp.path() / "data/world_map.gpkg").string());
  EXPECT_EQ(geometry.at("where").as_string(), "name = 'Pennsylvania'");
  EXPECT_EQ(geometry.at("layer").mark.str(), "job.yaml:16:52");
  EXPECT_EQ(job.find("webmercator")->params.get_string("scheme"), "zoom");
  EXPECT_EQ(job.find("write_geotiff-6")->params.get_string("uri"),
            (tmp.path() / "out/ndvi-z{zoom}.tif").string());
}

TEST_F(LoaderTest, NameDefaultsToFileStemAndVersionToOne) {
  const Job job = load_job_from_string("steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n",
                                       "jobs/my-job.yaml", tmp.str(), {}, reg);
  EXPECT_EQ(job.name, "my-job");
  EXPECT_EQ(job.version, 1);
  EXPECT_EQ(job.steps[0].id, "read_geotiff-1");
}

TEST_F(LoaderTest, LoadJobFromFileResolvesAgainstItsFolder) {
  tmp.write("jobs/sub/in.tif", "x");
  const auto path = tmp.write("jobs/sub/j.yaml",
                              "version: 1\nsteps:\n  - op: read_geotiff\n    uri: [in.tif, ../sub/*.tif]\n");
  const Job job = load_job(path.string(), {}, reg);
  EXPECT_EQ(job.file, path.string());
  EXPECT_EQ(job.dir, (tmp.path() / "jobs/sub").string());
  EXPECT_EQ(job.name, "j");
  const auto uris = job.steps[0].params.get_strings("uri");
  ASSERT_EQ(uris.size(), 2u);
  EXPECT_EQ(uris[0], (tmp.path() / "jobs/sub/in.tif").string());
  EXPECT_EQ(uris[1], (tmp.path() / "jobs/sub/*.tif").string());
  EXPECT_EQ(job.steps[0].params.raw("uri").as_list()[1].mark.str(), path.string() + ":4:19");
}

TEST_F(LoaderTest, MissingJobFileIsAJobError) {
  expect_job_error([&] { load_job((tmp.path() / "nope.yaml").string(), {}, reg); },
                   (tmp.path() / "nope.yaml").string() + ": ", {"cannot read the job file"});
}

TEST_F(LoaderTest, VariablesFromVarsEnvironmentAndDefaults) {
  ::setenv("TRELLIS_TEST_TS", "512", 1);
  ::unsetenv("TRELLIS_TEST_UNSET");
  const Job job = load(R"(name: ${NAME}
steps:
  - op: read_geotiff
    uri: ${DATA}/ndvi.tif
    max_tile_size: "${TRELLIS_TEST_TS}"
  - op: tile_to_layout
    tile_size: ${TRELLIS_TEST_UNSET:-128}
    resample_method: ${METHOD:-${TRELLIS_TEST_UNSET:-Average}}
    extent: {xmin: ${XMIN}, label: "${NAME}", s: '$${literal}'}
)",
                       {{"DATA", "data"}, {"NAME", "vars"}, {"XMIN", "-10.5"}});
  EXPECT_EQ(job.name, "vars");
  EXPECT_EQ(job.steps[0].params.get_string("uri"), (tmp.path() / "data/ndvi.tif").string());
  EXPECT_EQ(job.steps[0].params.get_int("max_tile_size"), 512);
  EXPECT_EQ(job.steps[1].params.get_int("tile_size"), 128);
  EXPECT_EQ(job.steps[1].params.get_string("resample_method"), "average");
  const auto& extent = job.steps[1].params.raw("extent").as_map();
  EXPECT_DOUBLE_EQ(extent.at("xmin").as_double(), -10.5);
  EXPECT_EQ(extent.at("label").as_string(), "vars");
  EXPECT_EQ(extent.at("s").as_string(), "${literal}");
  ::unsetenv("TRELLIS_TEST_TS");
}

TEST_F(LoaderTest, VarsTakePrecedenceOverEnvironment) {
  ::setenv("TRELLIS_TEST_TS", "512", 1);
  const Job job =
      load("steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n    max_tile_size: ${TRELLIS_TEST_TS}\n",
           {{"TRELLIS_TEST_TS", "64"}});
  EXPECT_EQ(job.steps[0].params.get_int("max_tile_size"), 64);
  ::unsetenv("TRELLIS_TEST_TS");
}

TEST_F(LoaderTest, EnumerationsAcceptGeoPySparkSpellings) {
  for (const std::string s :
       {"NearestNeighbor", "NEAREST_NEIGHBOR", "nearest_neighbor", "nearest-neighbor"}) {
    const Job job = load(
        "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: tile_to_layout\n"
        "    resample_method: " +
        s + "\n");
    EXPECT_EQ(job.steps[1].params.get_string("resample_method"), "nearest_neighbor") << s;
  }
  const Job job = load(
      "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: tile_to_layout\n"
      "    resampleMethod: CubicConvolution\n");
  EXPECT_EQ(job.steps[1].params.get_string("resample_method"), "cubic_convolution");
}

TEST_F(LoaderTest, ScalarConversionByType) {
  const Job job = load(R"(steps:
  - op: read_geotiff
    uri: data/ndvi.tif
    num_partitions: [1, 2.5, true, "3", text, ~, {k: 007}]
  - op: tile_to_layout
    ratio: 1
    dry_run: yes
  - op: get_min_max
    stats: mean
)");
  const auto& any = job.steps[0].params.raw("num_partitions").as_list();
  ASSERT_EQ(any.size(), 7u);
  EXPECT_TRUE(any[0].is_int());
  EXPECT_EQ(any[0].as_int(), 1);
  EXPECT_FALSE(any[1].is_int());
  EXPECT_DOUBLE_EQ(any[1].as_double(), 2.5);
  EXPECT_TRUE(any[2].is_bool());
  EXPECT_TRUE(any[3].is_string());  // quoted: stays a string
  EXPECT_EQ(any[4].as_string(), "text");
  EXPECT_TRUE(any[5].is_null());
  EXPECT_EQ(any[6].as_map().at("k").as_int(), 7);
  EXPECT_EQ(any[6].as_map().at("k").mark.str(), "job.yaml:4:54");
  EXPECT_EQ(job.steps[0].params.raw("num_partitions").to_string(), "[1, 2.5, true, 3, text, null, {k: 7}]");
  EXPECT_DOUBLE_EQ(job.steps[1].params.get_double("ratio"), 1.0);
  EXPECT_TRUE(job.steps[1].params.get_bool("dry_run"));
  EXPECT_EQ(job.steps[2].params.get_strings("stats"), std::vector<std::string>{"mean"});
}

TEST_F(LoaderTest, PlaceholdersVirtualPathsAndUrisAreKept) {
  const Job job = load(R"(steps:
  - op: read_geotiff
    uri: /vsicurl/https://example.com/a.tif
  - op: tile_to_layout
  - op: write_geotiff
    uri: out/ndvi-z{zoom}.tif
  - op: write_geotiff
    input: tile_to_layout-2
    uri: /vsimem/catalog/x.tif
)");
  EXPECT_EQ(job.steps[0].params.get_string("uri"), "/vsicurl/https://example.com/a.tif");
  EXPECT_EQ(job.steps[2].params.get_string("uri"), (tmp.path() / "out/ndvi-z{zoom}.tif").string());
  // (s3:// URIs are kept too, and checked against the store: tests/e2e/catalog_s3_test.cpp.)
  EXPECT_EQ(job.steps[3].params.get_string("uri"), "/vsimem/catalog/x.tif");
}

TEST_F(LoaderTest, StepsAreOrderedTopologicallyAndStably) {
  const Job job = load(R"(steps:
  - id: summary
    op: get_min_max
    input: tiled
  - id: src
    op: read_geotiff
    uri: data/ndvi.tif
  - id: other
    op: read_geotiff
    uri: data/b.tif
  - id: tiled
    op: tile_to_layout
    input: src
  - id: both
    op: local
    inputs: {a: tiled, b: tiled}
    expression: (a + b) / 2
)");
  std::vector<std::string> ids;
  for (const auto& s : job.steps) ids.push_back(s.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"src", "other", "tiled", "summary", "both"}));
  const Step* both = job.find("both");
  ASSERT_NE(both, nullptr);
  EXPECT_EQ(both->inputs, (std::map<std::string, std::string>{{"a", "tiled"}, {"b", "tiled"}}));
  EXPECT_EQ(both->number, 5);
}

TEST_F(LoaderTest, InputWrittenByAnEarlierStepNeedNotExist) {
  const Job job = load(R"(steps:
  - op: read_geotiff
    uri: data/ndvi.tif
  - op: tile_to_layout
  - op: write_catalog
    uri: out/catalog
  - op: read_catalog
    uri: out/catalog/layer
  - op: write_geotiff
    input: tile_to_layout-2
    uri: tiles/z{zoom}.tif
  - op: read_geotiff
    uri: tiles/z3.tif
)");
  EXPECT_EQ(job.steps.size(), 6u);
}

// ---- one test per error class ------------------------------------------------------------

TEST_F(LoaderTest, YamlSyntaxError) {
  expect_error("version: 1\nsteps:\n  - op: read_geotiff\n    uri: [a, b\n  - op: x\n",
               "job.yaml:5:", {"end of sequence flow not found"});
}

TEST_F(LoaderTest, EmptyJobFile) {
  expect_error("", "job.yaml:1:1: ", {"empty"});
}

TEST_F(LoaderTest, BadVersion) {
  expect_error("version: 2\nsteps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n",
               "job.yaml:1:10: ", {"unsupported job version '2'", "version 1"});
}

TEST_F(LoaderTest, UnknownTopLevelKey) {
  expect_error("version: 1\nstep:\n  - op: read_geotiff\n",
               "job.yaml:2:1: ", {"unknown top-level key 'step'", "did you mean 'steps'?"});
}

TEST_F(LoaderTest, StepsMustBeANonEmptyList) {
  expect_error("version: 1\nsteps: []\n", "job.yaml:2:8: ", {"'steps' must be a non-empty list"});
  expect_error("version: 1\nname: x\n", "job.yaml:1:1: ", {"no 'steps'"});
}

TEST_F(LoaderTest, DuplicateKey) {
  expect_error("steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n    uri: data/b.tif\n",
               "job.yaml:4:5: ", {"duplicate key 'uri'", "job.yaml:3:5"});
}

TEST_F(LoaderTest, UnknownOp) {
  expect_error(
      "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - id: t\n    op: tile_to_layut\n",
      "job.yaml:5:9: step 't': ", {"unknown op 'tile_to_layut'", "(did you mean 'tile_to_layout'?)"});
  expect_error("steps:\n  - op: frobnicate\n",
               "job.yaml:2:9: step 1: ", {"unknown op 'frobnicate'", "'trellis ops' lists the ops"});
}

TEST_F(LoaderTest, MissingOp) {
  expect_error("steps:\n  - id: a\n    uri: x\n", "job.yaml:2:5: step 'a': ", {"missing 'op'"});
}

TEST_F(LoaderTest, UnknownParameter) {
  expect_error(R"(steps:
  - op: read_geotiff
    uri: data/ndvi.tif
  - id: tiled
    op: tile_to_layout
    tile_sise: 256
)",
               "job.yaml:6:5: step 'tiled' (tile_to_layout): ",
               {"unknown parameter 'tile_sise'", "(did you mean 'tile_size'?)"});
  // Aliases are suggested too; far-off names list the parameters.
  expect_error(
      "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: tile_to_layout\n    resampleMetod: x\n",
      "job.yaml:5:5: ", {"(did you mean 'resampleMethod'?)"});
  expect_error("steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n    zzzzzzzz: 1\n",
               "job.yaml:4:5: ", {"unknown parameter 'zzzzzzzz'", "read_geotiff takes uri, crs, rdd_type"});
}

TEST_F(LoaderTest, ParameterGivenTwiceUnderAnAlias) {
  expect_error(R"(steps:
  - op: read_geotiff
    uri: data/ndvi.tif
  - op: tile_to_layout
    resample_method: bilinear
    resampleMethod: bilinear
)",
               "job.yaml:6:5: ", {"given twice", "'resample_method'", "'resampleMethod'"});
}

TEST_F(LoaderTest, MissingRequiredParameter) {
  expect_error("steps:\n  - id: src\n    op: read_geotiff\n    crs: EPSG:4326\n",
               "job.yaml:2:5: step 'src' (read_geotiff): ", {"missing required parameter 'uri'"});
}

TEST_F(LoaderTest, MistypedParameter) {
  expect_error(
      "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - id: tiled\n    op: tile_to_layout\n"
      "    tile_size: big\n",
      "job.yaml:6:16: step 'tiled' (tile_to_layout): ",
      {"parameter 'tile_size' must be an integer, got 'big'"});
  expect_error(
      "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: tile_to_layout\n    tile_size: 2.5\n",
      "job.yaml:5:16: ", {"must be an integer, got '2.5'"});
  expect_error(
      "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: tile_to_layout\n    ratio: half\n",
      "job.yaml:5:12: ", {"parameter 'ratio' must be a number, got 'half'"});
  expect_error(
      "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: tile_to_layout\n    dry_run: maybe\n",
      "job.yaml:5:14: ", {"parameter 'dry_run' must be true or false, got 'maybe'"});
  expect_error(
      "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: tile_to_layout\n    tile_size: [1]\n",
      "job.yaml:5:16: ", {"must be an integer, got a list"});
}

TEST_F(LoaderTest, ValueOutOfRange) {
  expect_error(
      "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: tile_to_layout\n    tile_size: 0\n",
      "job.yaml:5:16: step 'tile_to_layout-2' (tile_to_layout): ",
      {"parameter 'tile_size' must be between 1 and 4096, got 0"});
  expect_error("steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n    max_tile_size: -3\n",
               "job.yaml:4:20: ", {"parameter 'max_tile_size' must be at least 1, got -3"});
  expect_error(
      "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: tile_to_layout\n    ratio: 1.5\n",
      "job.yaml:5:12: ", {"must be between 0 and 1, got 1.5"});
}

TEST_F(LoaderTest, ValueNotAmongChoices) {
  expect_error(
      "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: tile_to_layout\n"
      "    resample_method: bilinaer\n",
      "job.yaml:5:22: step 'tile_to_layout-2' (tile_to_layout): ",
      {"parameter 'resample_method' must be one of nearest_neighbor, bilinear, cubic_convolution",
       "got 'bilinaer'", "(did you mean 'bilinear'?)"});
  // Lists with choices are checked element by element.
  expect_error(
      "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: tile_to_layout\n  - op: get_min_max\n"
      "    stats: [min, maxx]\n",
      "job.yaml:6:18: ", {"must be one of min, max, mean", "(did you mean 'max'?)"});
}

TEST_F(LoaderTest, UndefinedInputStep) {
  expect_error(R"(steps:
  - id: tiled
    op: read_geotiff
    uri: data/ndvi.tif
  - op: tile_to_layout
    input: tilde
)",
               "job.yaml:6:12: step 'tile_to_layout-2' (tile_to_layout): ",
               {"undefined input step 'tilde'", "(did you mean 'tiled'?)"});
}

TEST_F(LoaderTest, FirstStepNeedsAnInput) {
  expect_error("steps:\n  - op: tile_to_layout\n",
               "job.yaml:2:5: step 'tile_to_layout-1' (tile_to_layout): ", {"needs an input"});
}

TEST_F(LoaderTest, InputKeysMustFitTheOp) {
  expect_error(
      "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: read_geotiff\n    input: "
      "read_geotiff-1\n"
      "    uri: data/b.tif\n",
      "job.yaml:5:5: step 'read_geotiff-2' (read_geotiff): ", {"source op", "takes no 'input'"});
  expect_error(
      "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: local\n    input: read_geotiff-1\n",
      "job.yaml:5:5: ", {"takes named inputs"});
  expect_error("steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: local\n    expression: a\n",
               "job.yaml:4:5: ", {"missing 'inputs'"});
}

TEST_F(LoaderTest, CyclicInputs) {
  expect_error(R"(steps:
  - id: src
    op: read_geotiff
    uri: data/ndvi.tif
  - id: a
    op: tile_to_layout
    input: src
  - id: b
    op: local
    inputs: {x: c, y: a}
    expression: x + y
  - id: c
    op: convert_data_type
    input: b
    new_type: int16
)",
               "job.yaml:10:17: step 'b' (local): ", {"cyclic inputs: b -> c -> b"});
  expect_error("steps:\n  - id: self\n    op: get_min_max\n    input: self\n",
               "job.yaml:4:12: step 'self' (get_min_max): ", {"cyclic inputs: self -> self"});
}

TEST_F(LoaderTest, InputKindMismatch) {
  expect_error(R"(steps:
  - id: ndvi
    op: read_geotiff
    uri: data/ndvi.tif
  - op: write_geotiff
    input: ndvi
    uri: out/x.tif
)",
               "job.yaml:6:12: step 'write_geotiff-2' (write_geotiff): ",
               {"input 'ndvi' is a raster layer; write_geotiff needs a tiled layer or a pyramid"});
  // A defaulted input says so.
  expect_error("steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: pyramid\n", "job.yaml:4:5: ",
               {"input (by default the previous step, 'read_geotiff-1') is a raster layer",
                "pyramid needs a tiled layer", "set 'input:'"});
  // A sink gives nothing.
  expect_error(
      "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: tile_to_layout\n  - op: write_geotiff\n"
      "    uri: out/a.tif\n  - op: pyramid\n",
      "job.yaml:7:5: ", {"gives no value"});
}

TEST_F(LoaderTest, MissingInputFile) {
  expect_error("steps:\n  - op: read_geotiff\n    uri: data/missing.tif\n",
               "job.yaml:3:10: step 'read_geotiff-1' (read_geotiff): ",
               {"parameter 'uri'", (tmp.path() / "data/missing.tif").string(), "does not exist"});
  expect_error("steps:\n  - op: read_geotiff\n    uri: data/*.jp2\n", "job.yaml:3:10: ", {"no file matches"});
  expect_error("steps:\n  - op: read_geotiff\n    uri:\n      - data/ndvi.tif\n      - data/nope.tif\n",
               "job.yaml:5:9: ", {"nope.tif", "does not exist"});
}

TEST_F(LoaderTest, UnwritableOutput) {
  tmp.write("blocker", "a regular file");
  expect_error(
      "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: tile_to_layout\n  - op: get_min_max\n"
      "    output: blocker/sub/minmax.json\n",
      "job.yaml:6:13: step 'get_min_max-3' (get_min_max): ",
      {"parameter 'output'", "cannot write", "blocker' is a file, not a folder"});
  EXPECT_TRUE(fs::is_regular_file(tmp.path() / "blocker"));
  if (::geteuid() != 0) {  // root can write anywhere
    fs::create_directories(tmp.path() / "ro");
    ::chmod((tmp.path() / "ro").c_str(), 0555);
    expect_error(
        "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: tile_to_layout\n  - op: get_min_max\n"
        "    output: ro/new/minmax.json\n",
        "job.yaml:6:13: ", {"is not writable"});
    ::chmod((tmp.path() / "ro").c_str(), 0755);
  }
}

TEST_F(LoaderTest, UnknownCrs) {
  expect_error("steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n    crs: EPSG:999999\n",
               "job.yaml:4:10: step 'read_geotiff-1' (read_geotiff): ", {"parameter 'crs'", "999999"});
  const Job job = load("steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n    crs: EPSG:3857\n");
  EXPECT_EQ(job.steps[0].params.get_string("crs"), "EPSG:3857");
}

TEST_F(LoaderTest, BadCellType) {
  expect_error(
      "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: convert_data_type\n    new_type: "
      "int17\n",
      "job.yaml:5:15: step 'convert_data_type-2' (convert_data_type): ", {"parameter 'new_type'", "int17"});
  const Job job = load(
      "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n  - op: convert_data_type\n    new_type: "
      "uint8raw\n");
  EXPECT_EQ(job.steps[1].params.get_string("new_type"), "uint8raw");
}

TEST_F(LoaderTest, UndefinedVariable) {
  ::unsetenv("DATA");
  expect_error("steps:\n  - op: read_geotiff\n    uri: ${DATA}/ndvi.tif\n",
               "job.yaml:3:10: step 'read_geotiff-1' (read_geotiff): parameter 'uri': ",
               {"undefined variable 'DATA' (set it with --var DATA=... or in the environment)"});
  expect_error("name: ${DATA}\nsteps:\n  - op: read_geotiff\n    uri: x\n",
               "job.yaml:1:7: ", {"undefined variable 'DATA'"});
  expect_error(
      "steps:\n  - op: read_geotiff\n    uri: data/ndvi.tif\n    num_partitions: {a: [1, \"${DATA}\"]}\n",
      "job.yaml:4:29: ", {"parameter 'num_partitions': undefined variable 'DATA'"});
  expect_error("steps:\n  - op: read_geotiff\n    uri: ${DATA\n", "job.yaml:3:10: ", {"unterminated"});
}

TEST_F(LoaderTest, DuplicateIds) {
  expect_error(R"(steps:
  - id: src
    op: read_geotiff
    uri: data/ndvi.tif
  - id: src
    op: tile_to_layout
)",
               "job.yaml:5:9: step 'src' (tile_to_layout): ", {"duplicate step id 'src'", "job.yaml:2:9"});
}

TEST_F(LoaderTest, OpValidateHookErrorsCarryTheirMark) {
  expect_error(R"(steps:
  - op: read_geotiff
    uri: data/ndvi.tif
  - id: t
    op: tile_to_layout
  - op: local
    inputs: {a: t}
    expression: a + b
)",
               "job.yaml:8:17: step 'local-3' (local): ", {"unknown input 'b' in expression"});
}

TEST(SubstituteVars, Forms) {
  const Mark m{"j.yaml", 1, 1};
  const std::map<std::string, std::string> vars{{"A", "x"}, {"EMPTY", ""}};
  ::unsetenv("TRELLIS_TEST_NOPE");
  EXPECT_EQ(substitute_vars("${A}/${A}", vars, m), "x/x");
  EXPECT_EQ(substitute_vars("$A ${A}", vars, m), "$A x");
  EXPECT_EQ(substitute_vars("${EMPTY:-d}", vars, m), "d");
  EXPECT_EQ(substitute_vars("${EMPTY-d}", vars, m), "");
  EXPECT_EQ(substitute_vars("${TRELLIS_TEST_NOPE-d}", vars, m), "d");
  EXPECT_EQ(substitute_vars("${TRELLIS_TEST_NOPE:-}", vars, m), "");
  EXPECT_EQ(substitute_vars("${TRELLIS_TEST_NOPE:-${A}/b}", vars, m), "x/b");
  EXPECT_EQ(substitute_vars("{zoom}", vars, m), "{zoom}");
  expect_job_error([&] { substitute_vars("${1X}", vars, m); }, "j.yaml:1:1: ", {"malformed"});
  expect_job_error([&] { substitute_vars("${TRELLIS_TEST_NOPE}", vars, m); },
                   "j.yaml:1:1: ", {"undefined variable 'TRELLIS_TEST_NOPE'"});
}

TEST(ParseVarAssignment, KeyValue) {
  EXPECT_EQ(parse_var_assignment("DATA=/a=b"), (std::pair<std::string, std::string>{"DATA", "/a=b"}));
  EXPECT_EQ(parse_var_assignment("X="), (std::pair<std::string, std::string>{"X", ""}));
  EXPECT_THROW(parse_var_assignment("DATA"), JobError);
  EXPECT_THROW(parse_var_assignment("1A=x"), JobError);
}

TEST(NormalizeChoice, Spellings) {
  EXPECT_EQ(normalize_choice("NearestNeighbor"), "nearest_neighbor");
  EXPECT_EQ(normalize_choice("NEAREST_NEIGHBOR"), "nearest_neighbor");
  EXPECT_EQ(normalize_choice("nearest-neighbor"), "nearest_neighbor");
  EXPECT_EQ(normalize_choice(" ZOrder "), "z_order");
  EXPECT_EQ(match_choice("ZORDER", {"zorder", "hilbert"}), "zorder");
  EXPECT_EQ(match_choice("ZOrder", {"zorder", "hilbert"}), "zorder");
  EXPECT_EQ(match_choice("StandardDeviation", {"mean", "standard_deviation"}), "standard_deviation");
  EXPECT_EQ(match_choice("UInt8", {"uint8"}), "uint8");
  EXPECT_EQ(match_choice("median", {"mean"}), "");
}

}  // namespace
}  // namespace trellis::job
