// The site configuration end to end (--config, TRELLIS_CONFIG): defaults it gives the ops, threads,
// scratch, JSON-lines logs, Slurm ids in the log, validation errors.
#include <cmath>
#include <sstream>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

// A 300 x 200 Float32 raster with a NoData value.
void make_source(const fs::path& p) {
  std::vector<double> cells(300 * 200);
  for (int r = 0; r < 200; ++r)
    for (int c = 0; c < 300; ++c)
      cells[r * 300 + c] = (r * 7 + c * 13) % 251 == 0 ? -9999 : std::sin(r * 0.05) * c;
  write_raster(p, "Float32", 300, 200, 1, {10, 0.01, 0, 50, 0, -0.01}, "EPSG:4326", -9999, {cells});
}

std::string job(const std::string& write_extra = "") {
  return "version: 1\nname: conf\nsteps:\n"
         "  - id: src\n    op: read_geotiff\n    uri: src.tif\n    max_tile_size: 64\n"
         "  - id: tiled\n    op: tile_to_layout\n    tile_size: 32\n"
         "  - id: out\n    op: write_geotiff\n    uri: out.tif\n" +
         write_extra;
}

std::string compression_of(const fs::path& p) {
  auto r = run_command("gdalinfo '" + p.string() + "'");
  auto at = r.out.find("COMPRESSION=");
  if (at == std::string::npos) return "NONE";
  return r.out.substr(at + 12, r.out.find('\n', at) - at - 12);
}

// The trellis command as a singleton, with the environment given first (env -u removes a variable).
RunResult run_singleton(const std::string& env, const std::string& args) {
  return run_command("env " + env + " '" + std::string(TRELLIS_BINARY) + "' " + args);
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

TEST(SiteConfig, GivesTheOpsDefaultsTheJobDoesNotSet) {
  TempDir d;
  make_source(d / "src.tif");
  write_file(d / "site.yaml", "memory_per_rank: 256MiB\ncompression: zstd\n");
  const std::string conf = "--config '" + (d / "site.yaml").string() + "' --log-level debug";
  {
    auto r = run_job_text(d, job(), 2, conf);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("memory_per_rank 256 MiB"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("exchange rounds of 16 MiB"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("step 'tiled': round_mb 16 (site configuration)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("step 'out': round_mb 16 (site configuration)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("step 'out': compression zstd (site configuration)"), std::string::npos) << r.err;
    EXPECT_EQ(compression_of(d / "out.tif"), "ZSTD");
  }
  Raster with_site = read_raster(d / "out.tif");
  {
    // What the job sets wins; and the rounds do not change the result.
    auto r = run_job_text(d, job("    compression: lzw\n    round_mb: 1\n"), 2, conf);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err.find("step 'out': round_mb"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("step 'out': compression"), std::string::npos) << r.err;
    EXPECT_EQ(compression_of(d / "out.tif"), "LZW");
    std::string why;
    EXPECT_TRUE(same_cells(with_site, read_raster(d / "out.tif"), &why)) << why;
  }
  {
    // Without a site configuration: the ops' own defaults, the same cells.
    auto r = run_job_text(d, job(), 2, "--log-level debug");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err.find("(site configuration)"), std::string::npos) << r.err;
    EXPECT_EQ(compression_of(d / "out.tif"), "DEFLATE");
    std::string why;
    EXPECT_TRUE(same_cells(with_site, read_raster(d / "out.tif"), &why)) << why;
  }
}

TEST(SiteConfig, FromTrellisConfigUnlessGivenOnTheCommandLine) {
  TempDir d;
  make_source(d / "src.tif");
  write_file(d / "env.yaml", "compression: lzw\n");
  write_file(d / "flag.yaml", "compression: packbits\n");
  write_file(d / "job.yaml", job());
  const std::string job_file = "'" + (d / "job.yaml").string() + "'";
  auto r = run_singleton("TRELLIS_CONFIG='" + (d / "env.yaml").string() + "'", "run " + job_file);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(compression_of(d / "out.tif"), "LZW");
  r = run_singleton("TRELLIS_CONFIG='" + (d / "env.yaml").string() + "'",
                    "run " + job_file + " --config '" + (d / "flag.yaml").string() + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(compression_of(d / "out.tif"), "PACKBITS");
}

TEST(SiteConfig, AWrongConfigurationIsOneLineWithItsPlaceAndExitStatus2) {
  TempDir d;
  make_source(d / "src.tif");
  write_file(d / "site.yaml", "version: 1\nmemory_per_rank: 4GiB\nthreds: 4\n");
  for (int np : {1, 3}) {
    auto r = run_job_text(d, job(), np, "--config '" + (d / "site.yaml").string() + "'");
    EXPECT_EQ(r.status, 2) << r.err;
    auto lines = trellis_lines(r.err);
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_EQ(lines[0], "trellis: " + (d / "site.yaml").string() +
                            ":3:1: unknown setting 'threds' (did you mean 'threads'?)");
    EXPECT_FALSE(fs::exists(d / "out.tif"));
  }
  // validate checks it too.
  auto v = run_trellis("validate '" + (d / "job.yaml").string() + "' --config '" +
                       (d / "site.yaml").string() + "'");
  EXPECT_EQ(v.status, 2);
  EXPECT_NE(v.err.find("site.yaml:3:1: unknown setting 'threds'"), std::string::npos) << v.err;
  auto missing =
      run_singleton("TRELLIS_CONFIG=/nonexistent/site.yaml", "run '" + (d / "job.yaml").string() + "'");
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("/nonexistent/site.yaml: no such site configuration file (from TRELLIS_CONFIG)"),
            std::string::npos)
      << missing.err;
}

TEST(SiteConfig, JsonLinesLogsCarryTheSlurmIds) {
  TempDir d;
  make_source(d / "src.tif");
  write_file(d / "site.yaml", "log_format: json\n");
  write_file(d / "job.yaml", job());
  const std::string slurm =
      "SLURM_JOB_ID=4242 SLURM_STEP_ID=0 SLURM_JOB_NAME=conf SLURM_NTASKS=1 SLURM_JOB_NUM_NODES=1 "
      "SLURM_JOB_NODELIST=node7";
  auto r = run_singleton(
      slurm, "run '" + (d / "job.yaml").string() + "' --config '" + (d / "site.yaml").string() + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  auto lines = lines_of(r.err);
  ASSERT_GE(lines.size(), 5u) << r.err;
  bool saw_slurm = false, saw_done = false;
  for (const auto& l : lines) {
    nlohmann::json j;
    ASSERT_NO_THROW(j = nlohmann::json::parse(l)) << l;
    EXPECT_TRUE(j.contains("ts") && j.contains("level") && j.contains("rank") && j.contains("msg")) << l;
    EXPECT_EQ(j.value("slurm_job_id", ""), "4242") << l;
    EXPECT_EQ(j.value("slurm_step_id", ""), "0") << l;
    if (j.value("event", "") == "slurm") {
      saw_slurm = true;
      EXPECT_EQ(j["msg"], "slurm job 4242 step 0 'conf': 1 task(s) on 1 node(s) (node7)");
    }
    if (j.value("event", "") == "job_done") {
      saw_done = true;
      EXPECT_EQ(j["steps"].size(), 3u);
      EXPECT_EQ(j["job"], "conf");
    }
  }
  EXPECT_TRUE(saw_slurm && saw_done) << r.err;

  // Errors are JSON lines too, printed once.
  r = run_job_text(d, job() + "    cog: maybe\n", 2, "--config '" + (d / "site.yaml").string() + "'");
  EXPECT_EQ(r.status, 2);
  lines = lines_of(r.err);
  int errors = 0;
  for (const auto& l : lines) {
    if (l.rfind("{", 0) != 0) continue;  // mpirun's own lines
    auto j = nlohmann::json::parse(l);
    if (j["level"] == "error") {
      ++errors;
      EXPECT_NE(j["msg"].get<std::string>().find("job.yaml:"), std::string::npos) << l;
    }
  }
  EXPECT_EQ(errors, 1) << r.err;
}

TEST(SiteConfig, ThreadsFromTheSiteTheAllocationOrOpenMp) {
  TempDir d;
  make_source(d / "src.tif");
  write_file(d / "job.yaml", job());
  write_file(d / "site.yaml", "threads: 3\n");
  const std::string run = "run '" + (d / "job.yaml").string() + "'";
  auto r = run_singleton("-u OMP_NUM_THREADS", run + " --config '" + (d / "site.yaml").string() + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("1 rank(s) x 3 thread(s) (threads from site configuration"), std::string::npos)
      << r.err;
  r = run_singleton("-u OMP_NUM_THREADS SLURM_JOB_ID=1 SLURM_CPUS_PER_TASK=2", run);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("1 rank(s) x 2 thread(s) (threads from SLURM_CPUS_PER_TASK)"), std::string::npos)
      << r.err;
  r = run_singleton("OMP_NUM_THREADS=1 SLURM_JOB_ID=1 SLURM_CPUS_PER_TASK=2", run);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("1 rank(s) x 1 thread(s) (threads from OMP_NUM_THREADS)"), std::string::npos) << r.err;
}

TEST(SiteConfig, MemoryFromTheSlurmAllocation) {
  TempDir d;
  make_source(d / "src.tif");
  write_file(d / "job.yaml", job());
  write_file(d / "site.yaml", "memory_per_rank: auto\n");
  auto r =
      run_singleton("SLURM_JOB_ID=9 SLURM_MEM_PER_CPU=1024 SLURM_CPUS_PER_TASK=2",
                    "run '" + (d / "job.yaml").string() + "' --config '" + (d / "site.yaml").string() + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(
      r.err.find("memory_per_rank 2 GiB (auto: SLURM_MEM_PER_CPU x SLURM_CPUS_PER_TASK; exchange rounds of "
                 "128 MiB)"),
      std::string::npos)
      << r.err;
}

TEST(SiteConfig, ScratchHoldsTemporaryFilesAndIsCleanedUp) {
  TempDir d;
  make_source(d / "src.tif");
  fs::create_directories(d / "scratch");
  write_file(d / "site.yaml", "scratch: scratch\n");  // relative to the configuration's folder
  // The job stages an intermediate in ${TRELLIS_SCRATCH}.
  const std::string staged =
      job() + "  - op: write_geotiff\n    input: tiled\n    uri: ${TRELLIS_SCRATCH}/staged.tif\n";
  auto r = run_job_text(d, staged, 2, "--config '" + (d / "site.yaml").string() + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("scratch " + (d / "scratch").string()), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(d / "scratch" / "staged.tif"));
  for (const auto& e : fs::directory_iterator(d / "scratch"))
    EXPECT_EQ(e.path().filename().string().rfind("trellis-", 0), std::string::npos)
        << "per-rank folder left behind: " << e.path();
  // A scratch folder that cannot be made: exit 2, the setting's place.
  write_file(d / "file", "x");
  write_file(d / "site.yaml", "scratch: file/sub\n");
  r = run_job_text(d, job(), 1, "--config '" + (d / "site.yaml").string() + "'");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("site.yaml:1:10: scratch: cannot create a writable folder"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace trellis::test
