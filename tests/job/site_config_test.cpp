// The site configuration: parsing, validation with FILE:LINE:COL, and what the Slurm environment tells
// about memory, threads and the job.
#include "job/site_config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

#include "job/executor.hpp"
#include "job_test_util.hpp"

namespace trellis::job {
namespace {

using test::TempDir;
using testing::expect_job_error;
namespace fs = std::filesystem;

// A fake environment.
EnvFn env_of(std::map<std::string, std::string> vars) {
  auto m = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [m](const char* name) -> const char* {
    auto it = m->find(name);
    return it == m->end() ? nullptr : it->second.c_str();
  };
}

class SiteConfigTest : public ::testing::Test {
 protected:
  SiteConfig parse(const std::string& text) { return site_config_from_string(text, "site.yaml", tmp.str()); }
  void expect_error(const std::string& text, const std::string& prefix,
                    std::initializer_list<std::string> frags) {
    expect_job_error([&] { parse(text); }, prefix, frags);
  }
  TempDir tmp;
};

TEST_F(SiteConfigTest, EveryKey) {
  ::setenv("TRELLIS_TEST_SCRATCH_ROOT", "/scratch/node", 1);
  const SiteConfig s = parse(R"(version: 1
memory_per_rank: 4GiB
scratch: ${TRELLIS_TEST_SCRATCH_ROOT}/trellis
compression: ZSTD
threads: 8
log_format: json
progress_interval: 0.5
failure_timeout: 60
)");
  ::unsetenv("TRELLIS_TEST_SCRATCH_ROOT");
  EXPECT_EQ(s.file, "site.yaml");
  ASSERT_TRUE(s.memory_per_rank);
  EXPECT_EQ(*s.memory_per_rank, 4ull << 30);
  EXPECT_EQ(s.memory_source, "site.yaml:2:18");
  EXPECT_EQ(s.scratch, "/scratch/node/trellis");
  EXPECT_EQ(s.compression, "zstd");
  EXPECT_EQ(s.threads, 8);
  EXPECT_EQ(s.log_format, LogFormat::Json);
  EXPECT_DOUBLE_EQ(s.progress_interval, 0.5);
  ASSERT_TRUE(s.failure_timeout);
  EXPECT_DOUBLE_EQ(*s.failure_timeout, 60);
  EXPECT_EQ(s.mark("threads").str(), "site.yaml:5:10");
}

TEST_F(SiteConfigTest, DefaultsWhenEmptyOrAbsent) {
  for (const std::string text : {"", "# nothing\n", "threads:\n"}) {
    const SiteConfig s = parse(text);
    EXPECT_FALSE(s.memory_per_rank);
    EXPECT_FALSE(s.memory_auto);
    EXPECT_EQ(s.scratch, "");
    EXPECT_EQ(s.compression, "");
    EXPECT_EQ(s.threads, 0);
    EXPECT_EQ(s.log_format, LogFormat::Text);
    EXPECT_DOUBLE_EQ(s.progress_interval, 5.0);
    EXPECT_FALSE(s.failure_timeout);
  }
}

TEST_F(SiteConfigTest, RelativeScratchIsRelativeToTheFile) {
  EXPECT_EQ(parse("scratch: tmp/x\n").scratch, (tmp.path() / "tmp/x").string());
}

TEST_F(SiteConfigTest, ErrorsNameFileLineAndColumn) {
  expect_error("version: 1\nthreds: 4\n",
               "site.yaml:2:1: ", {"unknown setting 'threds'", "did you mean 'threads'"});
  expect_error("memory_per_rank: 4XB\n", "site.yaml:1:18: ", {"memory_per_rank", "'4XB' is not a size"});
  expect_error("memory_per_rank: 1MiB\n", "site.yaml:1:18: ", {"too small"});
  expect_error("threads: 0\n", "site.yaml:1:10: ", {"threads", "'0'"});
  expect_error("threads: 2.5\n", "site.yaml:1:10: ", {"not a thread count"});
  expect_error("compression: zsdt\n",
               "site.yaml:1:14: ", {"unknown compression 'zsdt'", "did you mean 'zstd'"});
  expect_error("compression: brotli\n", "site.yaml:1:14: ", {"deflate, lzw, zstd"});
  expect_error("log_format: xml\n", "site.yaml:1:13: ", {"log_format", "text or json"});
  expect_error("progress_interval: 0\n", "site.yaml:1:20: ", {"seconds > 0"});
  expect_error("failure_timeout: -1\n", "site.yaml:1:18: ", {"failure_timeout"});
  expect_error("version: 2\n", "site.yaml:1:10: ", {"version '2'"});
  expect_error("scratch: /vsis3/bucket\n", "site.yaml:1:10: ", {"local folder"});
  expect_error("threads: [1, 2]\n", "site.yaml:1:10: ", {"single value", "a list"});
  expect_error("threads: 1\nthreads: 2\n", "site.yaml:2:1: ", {"duplicate key 'threads'"});
  expect_error("- threads\n", "site.yaml:1:1: ", {"a map of settings"});
  expect_error("threads: [1\n", "site.yaml:", {});
  expect_error("scratch: ${TRELLIS_TEST_UNDEFINED_VAR}\n",
               "site.yaml:1:10: ", {"scratch", "undefined variable 'TRELLIS_TEST_UNDEFINED_VAR'"});
}

TEST_F(SiteConfigTest, LoadFromFileAndPathChoice) {
  const fs::path p = tmp.write("conf/site.yaml", "threads: 3\n");
  const SiteConfig s = load_site_config(p.string());
  EXPECT_EQ(s.threads, 3);
  expect_job_error([&] { load_site_config((tmp.path() / "none.yaml").string()); },
                   (tmp.path() / "none.yaml").string() + ": cannot read", {});
  EXPECT_EQ(site_config_path("a.yaml", env_of({{"TRELLIS_CONFIG", "b.yaml"}})), "a.yaml");
  EXPECT_EQ(site_config_path("", env_of({{"TRELLIS_CONFIG", "b.yaml"}})), "b.yaml");
  EXPECT_EQ(site_config_path("", env_of({})), "");
}

TEST_F(SiteConfigTest, TheShippedConfigurationsAreValid) {
  const fs::path dir = fs::path(TRELLIS_TEST_SOURCE_DIR).parent_path() / "configs";
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".yaml") continue;
    SCOPED_TRACE(e.path().string());
    EXPECT_NO_THROW(load_site_config(e.path().string()));
    ++n;
  }
  EXPECT_GE(n, 1);
}

TEST(SiteSizes, ParseAndFormat) {
  EXPECT_EQ(parse_size("4GiB"), 4ull << 30);
  EXPECT_EQ(parse_size("4 GB"), 4ull << 30);
  EXPECT_EQ(parse_size("4g"), 4ull << 30);
  EXPECT_EQ(parse_size("512MiB"), 512ull << 20);
  EXPECT_EQ(parse_size("512M"), 512ull << 20);
  EXPECT_EQ(parse_size("1.5G"), 3ull << 29);
  EXPECT_EQ(parse_size("4096"), 4096ull << 20);  // MiB, like Slurm's --mem
  EXPECT_EQ(parse_size("100B"), 100u);
  EXPECT_EQ(parse_size("2T"), 2ull << 40);
  EXPECT_FALSE(parse_size(""));
  EXPECT_FALSE(parse_size("GiB"));
  EXPECT_FALSE(parse_size("-1G"));
  EXPECT_FALSE(parse_size("4 parsecs"));
  EXPECT_EQ(format_size(4ull << 30), "4 GiB");
  EXPECT_EQ(format_size(3ull << 29), "1.5 GiB");
  EXPECT_EQ(format_size(100), "100 B");
}

TEST(SiteMemory, RoundsFollowTheBudget) {
  EXPECT_EQ(round_mb_for_budget(1ull << 30), 64);  // the ops' built-in default
  EXPECT_EQ(round_mb_for_budget(4ull << 30), 256);
  EXPECT_EQ(round_mb_for_budget(16ull << 20), 1);
  EXPECT_EQ(round_mb_for_budget(1ull << 40), 1024);
}

TEST(SiteMemory, FromTheSlurmAllocation) {
  std::string src;
  EXPECT_FALSE(slurm_memory_per_rank(env_of({}), &src));
  EXPECT_EQ(
      slurm_memory_per_rank(
          env_of({{"SLURM_JOB_ID", "7"}, {"SLURM_MEM_PER_CPU", "2048"}, {"SLURM_CPUS_PER_TASK", "4"}}), &src),
      8ull << 30);
  EXPECT_EQ(src, "SLURM_MEM_PER_CPU x SLURM_CPUS_PER_TASK");
  EXPECT_EQ(
      slurm_memory_per_rank(
          env_of({{"SLURM_JOB_ID", "7"}, {"SLURM_MEM_PER_NODE", "65536"}, {"SLURM_NTASKS_PER_NODE", "4"}}),
          &src),
      16ull << 30);
  EXPECT_EQ(
      slurm_memory_per_rank(
          env_of({{"SLURM_JOB_ID", "7"}, {"SLURM_MEM_PER_NODE", "65536"}, {"SLURM_TASKS_PER_NODE", "8(x2)"}}),
          &src),
      8ull << 30);
  // --mem=0 (all of the node): no budget.
  EXPECT_FALSE(slurm_memory_per_rank(env_of({{"SLURM_JOB_ID", "7"}, {"SLURM_MEM_PER_NODE", "0"}}), &src));

  SiteConfig s;
  s.memory_auto = true;
  resolve_memory(s, env_of({{"SLURM_JOB_ID", "7"}, {"SLURM_MEM_PER_CPU", "1024"}}));
  ASSERT_TRUE(s.memory_per_rank);
  EXPECT_EQ(*s.memory_per_rank, 1ull << 30);
  EXPECT_EQ(s.memory_source, "auto: SLURM_MEM_PER_CPU x SLURM_CPUS_PER_TASK");
  const RunOptions o = run_options(s);
  EXPECT_EQ(o.round_mb, 64);
  EXPECT_EQ(o.memory_per_rank, 1ull << 30);
}

TEST(SiteThreads, Precedence) {
  SiteConfig s;
  EXPECT_EQ(choose_threads(s, 6, env_of({})).threads, 6);
  EXPECT_EQ(choose_threads(s, 6, env_of({{"SLURM_CPUS_PER_TASK", "4"}})).threads, 4);
  EXPECT_EQ(choose_threads(s, 6, env_of({{"SLURM_CPUS_PER_TASK", "4"}})).source, "SLURM_CPUS_PER_TASK");
  // Inside a job step without --cpus-per-task: the node's allocated CPUs shared by its tasks.
  EXPECT_EQ(choose_threads(s, 6,
                           env_of({{"SLURM_JOB_ID", "1"},
                                   {"SLURM_STEP_ID", "0"},
                                   {"SLURM_CPUS_ON_NODE", "16"},
                                   {"SLURM_STEP_TASKS_PER_NODE", "4(x2)"}}))
                .threads,
            4);
  s.threads = 3;
  s.marks["threads"] = Mark{"site.yaml", 4, 10};
  const ThreadChoice site = choose_threads(s, 6, env_of({{"SLURM_CPUS_PER_TASK", "4"}}));
  EXPECT_EQ(site.threads, 3);
  EXPECT_EQ(site.source, "site configuration site.yaml:4:10");
  const ThreadChoice omp =
      choose_threads(s, 6, env_of({{"OMP_NUM_THREADS", "2"}, {"SLURM_CPUS_PER_TASK", "4"}}));
  EXPECT_EQ(omp.threads, 2);
  EXPECT_EQ(omp.source, "OMP_NUM_THREADS");
}

TEST(SiteSlurm, JobAndStepIds) {
  EXPECT_FALSE(slurm_info(env_of({})));
  auto s = slurm_info(env_of({{"SLURM_JOB_ID", "1234"},
                              {"SLURM_STEP_ID", "0"},
                              {"SLURM_ARRAY_JOB_ID", "1230"},
                              {"SLURM_ARRAY_TASK_ID", "4"},
                              {"SLURM_JOB_NAME", "ingest"},
                              {"SLURM_STEP_NUM_TASKS", "8"},
                              {"SLURM_STEP_NUM_NODES", "2"},
                              {"SLURM_STEP_NODELIST", "node[01-02]"}}));
  ASSERT_TRUE(s);
  EXPECT_EQ(describe_slurm(*s),
            "slurm job 1234 step 0 (array 1230_4) 'ingest': 8 task(s) on 2 node(s) (node[01-02])");
}

}  // namespace
}  // namespace trellis::job
