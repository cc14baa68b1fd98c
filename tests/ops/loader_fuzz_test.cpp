// A fixed-seed mutation fuzzer over the job loader with the real op registry: jobs mutated byte by byte
// and line by line (flips, YAML punctuation, deletions, duplications, huge and odd numbers, aliases,
// documents) must load or be refused with a JobError (exit 2), never crash, hang or throw anything else.
// TRELLIS_FUZZ_ITERATIONS sets the number of mutants (default 10000: about two seconds); CI runs the default.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <random>

#include "job/job.hpp"
#include "ops/registry.hpp"
#include "util/test_util.hpp"

namespace trellis::test {
namespace {

const char* kSeeds[] = {
    R"Y(version: 1
name: seed-tiling
steps:
  - id: src
    op: read_geotiff
    uri: a.tif
    max_tile_size: 64
  - id: tiled
    op: tile_to_layout
    tile_size: 16
    resample_method: bilinear
  - op: get_min_max
    output: mm.json
  - op: write_geotiff
    input: tiled
    uri: out/{zoom}.tif
    bands: [0]
)Y",
    R"Y(version: 1
steps:
  - {id: src, op: read_geotiff, uri: [a.tif], crs: "EPSG:3857"}
  - {id: t, op: tile_to_layout, extent: [0, 0, 40, 40], layout: {layout_cols: 2, layout_rows: 2, tile_cols: 20, tile_rows: 20}}
  - {id: r, op: reproject, target_crs: EPSG:4326, scheme: zoom, zoom: 3}
  - {id: p, op: pyramid, end_zoom: 1, resample_method: average}
  - {op: write_geotiff, input: p, uri: "z{zoom}.tif", compression: zstd}
)Y",
    R"Y(version: 1
steps:
  - op: read_geotiff
    uri: a.tif
  - op: tile_to_layout
  - id: n
    op: normalize
    new_min: 0
    new_max: 255
  - op: polygonal_summary
    input: n
    geometry: {uri: zone.geojson, where: "n = 1"}
    stats: [min, max, mean]
    data_type: int
    output: zones.csv
  - op: polygonal_mean
    input: n
    geometry: "POLYGON ((0 0, 10 0, 10 10, 0 0))"
)Y",
};

// YAML punctuation and values that hit the loader's corners.
const char* kTokens[] = {":",
                         "-",
                         "[",
                         "]",
                         "{",
                         "}",
                         ",",
                         "&a",
                         "*a",
                         "!!str ",
                         "'",
                         "\"",
                         "#",
                         "---\n",
                         "|\n",
                         ">\n",
                         "${X}",
                         "${",
                         "~",
                         "null",
                         "1e9",
                         "-1",
                         "0",
                         ".nan",
                         "inf",
                         "1e309",
                         "999999999999999999999",
                         "\t",
                         "\n  ",
                         "op:",
                         "id:",
                         "input: src",
                         "uri: /dev/zero",
                         "uri: .",
                         "cell_type: int8ud1000",
                         "tile_size: 0",
                         "zoom: 31",
                         "<<: *a",
                         "? complex\n: key"};

std::string mutate(std::string s, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> op(0, 6);
  const int n = 1 + static_cast<int>(rng() % 4);
  for (int k = 0; k < n && !s.empty(); ++k) {
    const std::size_t at = rng() % s.size();
    switch (op(rng)) {
      case 0:  // flip a byte
        s[at] = static_cast<char>(rng() % 256);
        break;
      case 1:  // insert a token
        s.insert(at, kTokens[rng() % (sizeof kTokens / sizeof kTokens[0])]);
        break;
      case 2:  // delete a run
        s.erase(at, std::min<std::size_t>(s.size() - at, 1 + rng() % 12));
        break;
      case 3: {  // duplicate a line
        const std::size_t b = s.rfind('\n', at), e = s.find('\n', at);
        const std::size_t from = b == std::string::npos ? 0 : b + 1;
        s.insert(from, s.substr(from, (e == std::string::npos ? s.size() : e + 1) - from));
        break;
      }
      case 4: {  // replace a digit run by an extreme number
        static const char* big[] = {"2147483648", "-9223372036854775809", "65537", "0.0000001", "nan"};
        std::size_t b = at;
        while (b < s.size() && !std::isdigit(static_cast<unsigned char>(s[b]))) ++b;
        std::size_t e = b;
        while (e < s.size() && std::isdigit(static_cast<unsigned char>(s[e]))) ++e;
        if (b < s.size()) s.replace(b, e - b, big[rng() % 5]);
        break;
      }
      case 5:  // swap two lines' indentation (structure)
        if (s[at] == ' ')
          s.erase(at, 1);
        else
          s.insert(at, "  ");
        break;
      default:  // truncate
        s.resize(at);
        break;
    }
  }
  return s;
}

TEST(LoaderFuzz, MutatedJobsLoadOrAreRefusedWithAJobError) {
  TempDir d;
  write_raster(d / "a.tif", "Float32", 40, 40, 1, {0, 1, 0, 40, 0, -1}, "EPSG:3857", -1.0,
               {std::vector<double>(1600, 1.0)});
  write_file(d / "zone.geojson",
             R"({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"n": 1},)"
             R"( "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 0]]]}}]})");
  const char* env = std::getenv("TRELLIS_FUZZ_ITERATIONS");
  const long iterations = env ? std::atol(env) : 10000;
  std::mt19937_64 rng(20261205);
  const auto& reg = ops::registry();
  long loaded = 0, refused = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (const char* seed : kSeeds) {  // the seeds themselves are valid
    EXPECT_NO_THROW(job::load_job_from_string(seed, "job.yaml", d.str(), {{"X", "1"}}, reg)) << seed;
  }
  for (long i = 0; i < iterations; ++i) {
    const std::string text = mutate(kSeeds[rng() % 3], rng);
    const auto start = std::chrono::steady_clock::now();
    try {
      job::load_job_from_string(text, "job.yaml", d.str(), {{"X", "1"}}, reg);
      ++loaded;
    } catch (const JobError& e) {
      ++refused;
      const std::string msg = e.what();
      ASSERT_EQ(msg.find('\n'), std::string::npos) << "a refusal is one line:\n" << msg << "\njob:\n" << text;
      ASSERT_EQ(msg.rfind("job.yaml", 0), 0u) << "a refusal names the job file: " << msg << "\njob:\n"
                                              << text;
    } catch (const std::exception& e) {
      FAIL() << "mutant " << i << " threw " << typeid(e).name() << ": " << e.what() << "\njob:\n" << text;
    }
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_LT(took, 5.0) << "mutant " << i << " took " << took << " s to load:\n" << text;
  }
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[fuzz] %ld mutants: %ld loaded, %ld refused with exit 2, %.1f s\n", iterations, loaded,
              refused, total);
  EXPECT_GT(refused, 0);
  EXPECT_GT(loaded, 0);
}

// Found by the fuzzer: yaml-cpp's LoadAll() loops forever, allocating, on a stray ',' after a document.
TEST(LoaderFuzz, StrayCommasEndQuickly) {
  const auto& reg = ops::registry();
  for (const char* text : {",", ",version: 1\nsteps: []\n", "version: 1\n---\n,\n", "[a], b\n"}) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(job::load_job_from_string(text, "job.yaml", "/tmp", {}, reg), JobError) << text;
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0) << text;
  }
}

}  // namespace
}  // namespace trellis::test
