#include "job/params.hpp"

#include <gtest/gtest.h>

#include "job_test_util.hpp"

namespace trellis::job {
namespace {

using testing::pv_int;
using testing::pv_str;

TEST(Mark, Str) {
  EXPECT_EQ((Mark{"job.yaml", 3, 7}).str(), "job.yaml:3:7");
  EXPECT_EQ((Mark{"job.yaml", 3, 0}).str(), "job.yaml:3");
  EXPECT_EQ((Mark{"job.yaml", 0, 0}).str(), "job.yaml");
}

TEST(ParamValue, ToString) {
  EXPECT_EQ(ParamValue{}.to_string(), "null");
  EXPECT_EQ(pv_int(256).to_string(), "256");
  EXPECT_EQ((ParamValue{2.5, {}}).to_string(), "2.5");
  EXPECT_EQ((ParamValue{2.0, {}}).to_string(), "2.0");
  EXPECT_EQ((ParamValue{true, {}}).to_string(), "true");
  EXPECT_EQ(pv_str("nearest_neighbor").to_string(), "nearest_neighbor");
  EXPECT_EQ((ParamValue{ParamList{pv_str("min"), pv_str("max")}, {}}).to_string(), "[min, max]");
  EXPECT_EQ((ParamValue{ParamMap{{"uri", pv_str("x")}, {"n", pv_int(1)}}, {}}).to_string(), "{n: 1, uri: x}");
}

TEST(ParamType, Names) {
  EXPECT_STREQ(param_type_name(ParamType::Int), "int");
  EXPECT_STREQ(param_type_name(ParamType::InputPath), "input path");
  EXPECT_STREQ(param_type_name(ParamType::Crs), "crs");
}

TEST(Params, AccessorsAndErrors) {
  ParamMap values;
  values["tile_size"] = ParamValue{std::int64_t{256}, Mark{"j.yaml", 7, 16}};
  values["stats"] = ParamValue{ParamList{pv_str("min"), pv_str("max")}, Mark{"j.yaml", 8, 12}};
  values["band"] = ParamValue{std::string("red"), Mark{"j.yaml", 9, 11}};
  values["nothing"] = ParamValue{};
  Params p("tiled", "tile_to_layout", Mark{"j.yaml", 5, 5}, values);
  EXPECT_TRUE(p.has("tile_size"));
  EXPECT_FALSE(p.has("nothing"));
  EXPECT_FALSE(p.has("absent"));
  EXPECT_EQ(p.get_int("tile_size"), 256);
  EXPECT_DOUBLE_EQ(p.get_double("tile_size"), 256.0);
  EXPECT_EQ(p.get_strings("stats"), (std::vector<std::string>{"min", "max"}));
  EXPECT_EQ(p.get_strings("band"), std::vector<std::string>{"red"});
  EXPECT_TRUE(p.get_strings("absent").empty());
  EXPECT_THROW(p.raw("absent"), std::out_of_range);
  EXPECT_EQ(p.mark("tile_size").str(), "j.yaml:7:16");
  EXPECT_EQ(p.mark("absent").str(), "j.yaml:5:5");

  const JobError e = p.error("tile_size", "tile_size must be a power of two");
  EXPECT_STREQ(e.what(), "j.yaml:7:16: step 'tiled' (tile_to_layout): tile_size must be a power of two");
  EXPECT_EQ(e.code(), kExitJob);
  EXPECT_STREQ(p.step_error("needs extent or tile_size").what(),
               "j.yaml:5:5: step 'tiled' (tile_to_layout): needs extent or tile_size");
}

TEST(Params, ResolvePaths) {
  Params p;
  p.set_job_dir("/data/jobs");
  EXPECT_EQ(p.resolve_path("in/a.tif"), "/data/jobs/in/a.tif");
  EXPECT_EQ(p.resolve_path("../x/./b.tif"), "/data/x/b.tif");
  EXPECT_EQ(p.resolve_path("/abs/c.tif"), "/abs/c.tif");
  EXPECT_EQ(p.resolve_path("/vsis3/bucket/d.tif"), "/vsis3/bucket/d.tif");
  EXPECT_EQ(p.resolve_path("s3://bucket/catalog"), "s3://bucket/catalog");
  EXPECT_EQ(p.resolve_path("out/z{zoom}/{x}.png"), "/data/jobs/out/z{zoom}/{x}.png");
  EXPECT_TRUE(is_virtual_path("/vsizip/a.zip/b.tif"));
  EXPECT_TRUE(is_virtual_path("file:///scratch/catalog"));
  EXPECT_FALSE(is_virtual_path("/scratch/vsi/a.tif"));
}

}  // namespace
}  // namespace trellis::job
