#include "job/ops_doc.hpp"

#include <gtest/gtest.h>

#include "job_test_util.hpp"

namespace trellis::job {
namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(OpsDoc, ListHasOneLinePerOp) {
  const Registry reg = testing::make_registry();
  const std::string list = format_ops_list(reg);
  EXPECT_TRUE(contains(list, "tile_to_layout"));
  EXPECT_TRUE(contains(list, "Tiles a raster layer (also: to_tiled_layer)"));
  // Sorted, one line per op.
  EXPECT_LT(list.find("get_min_max"), list.find("read_geotiff"));
  std::size_t lines = 0;
  for (const auto* op : reg.all()) {
    const auto pos = list.find(op->name + " ");
    ASSERT_NE(pos, std::string::npos) << op->name;
    EXPECT_TRUE(pos == 0 || list[pos - 1] == '\n') << op->name;
    ++lines;
  }
  EXPECT_EQ(lines, reg.all().size());
}

TEST(OpsDoc, FormatOpShowsParameters) {
  const Registry reg = testing::make_registry();
  const std::string doc = format_op(*reg.find("tile_to_layout"));
  EXPECT_TRUE(contains(doc, "tile_to_layout: Tiles a raster layer")) << doc;
  EXPECT_TRUE(contains(doc, "aliases: to_tiled_layer")) << doc;
  EXPECT_TRUE(contains(doc, "raster layer")) << doc;  // accepted input
  EXPECT_TRUE(contains(doc, "gives:   tiled layer")) << doc;
  EXPECT_TRUE(contains(doc, "tile_size")) << doc;
  EXPECT_TRUE(contains(doc, "int, default 256, 1..4096")) << doc;
  EXPECT_TRUE(contains(doc, "one of: nearest_neighbor, bilinear")) << doc;
  EXPECT_TRUE(contains(doc, "(also: resampleMethod)")) << doc;
  EXPECT_TRUE(contains(doc, "tile width and height in cells")) << doc;
  const std::string read = format_op(*reg.find("read_geotiff"));
  EXPECT_TRUE(contains(read, "input path, required")) << read;
  EXPECT_TRUE(contains(read, "none (a source)")) << read;
  EXPECT_TRUE(contains(read, ">= 1")) << read;
}

TEST(OpsDoc, Markdown) {
  const Registry reg = testing::make_registry();
  const std::string md = ops_markdown(*reg.find("get_min_max"));
  EXPECT_EQ(md.rfind("# get_min_max\n", 0), 0u) << md;
  EXPECT_TRUE(contains(md, "| parameter | type | default | values | description |")) << md;
  EXPECT_TRUE(contains(md, "| `stats` | string list | `[min, max]` | one of: min, max, mean | statistics |"))
      << md;
  EXPECT_TRUE(contains(md, "**Gives:** result")) << md;
  const std::string index = ops_markdown_index(reg);
  EXPECT_TRUE(contains(index, "[tile_to_layout](tile_to_layout.md)")) << index;
}

TEST(OpsDoc, FindOpOrSuggest) {
  const Registry reg = testing::make_registry();
  std::string msg;
  EXPECT_EQ(find_op_or_suggest(reg, "to_tiled_layer", msg), reg.find("tile_to_layout"));
  EXPECT_TRUE(msg.empty());
  EXPECT_EQ(find_op_or_suggest(reg, "reprojct", msg), nullptr);
  EXPECT_EQ(msg, "unknown op 'reprojct' (did you mean 'reproject'?)");
  EXPECT_EQ(find_op_or_suggest(reg, "qqqqqqqqqq", msg), nullptr);
  EXPECT_EQ(msg, "unknown op 'qqqqqqqqqq'; 'trellis ops' lists the ops");
}

}  // namespace
}  // namespace trellis::job
