#include "job/registry.hpp"

#include <gtest/gtest.h>

#include "job/value.hpp"
#include "job_test_util.hpp"

namespace trellis::job {
namespace {

OpSpec op(std::string name, std::vector<std::string> aliases = {}) {
  OpSpec o;
  o.name = std::move(name);
  o.aliases = std::move(aliases);
  return o;
}

TEST(Registry, FindsByNameAndAlias) {
  Registry reg;
  reg.add(op("tile_to_layout", {"to_tiled_layer"}));
  reg.add(op("reproject"));
  ASSERT_NE(reg.find("tile_to_layout"), nullptr);
  EXPECT_EQ(reg.find("to_tiled_layer"), reg.find("tile_to_layout"));
  EXPECT_EQ(reg.find("reproject")->name, "reproject");
  EXPECT_EQ(reg.find("nope"), nullptr);
}

TEST(Registry, AllIsSortedByNameAndNamesIncludeAliases) {
  Registry reg;
  reg.add(op("tile_to_layout", {"to_tiled_layer"}));
  reg.add(op("reproject"));
  reg.add(op("focal"));
  const auto all = reg.all();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]->name, "focal");
  EXPECT_EQ(all[1]->name, "reproject");
  EXPECT_EQ(all[2]->name, "tile_to_layout");
  EXPECT_EQ(reg.names(),
            (std::vector<std::string>{"focal", "reproject", "tile_to_layout", "to_tiled_layer"}));
}

TEST(Registry, RejectsDuplicateNamesAndAliases) {
  Registry reg;
  reg.add(op("tile_to_layout", {"to_tiled_layer"}));
  EXPECT_THROW(reg.add(op("tile_to_layout")), std::logic_error);
  EXPECT_THROW(reg.add(op("x", {"to_tiled_layer"})), std::logic_error);
  EXPECT_THROW(reg.add(op("to_tiled_layer")), std::logic_error);
  EXPECT_THROW(reg.add(op("y", {"y"})), std::logic_error);
  EXPECT_THROW(reg.add(op("")), std::logic_error);
  EXPECT_EQ(reg.all().size(), 1u);
  EXPECT_EQ(reg.find("x"), nullptr);  // a rejected op leaves nothing behind
}

TEST(Value, KindNames) {
  EXPECT_STREQ(value_kind_name(ValueKind::RasterLayer), "raster layer");
  EXPECT_STREQ(value_kind_name(ValueKind::TiledLayer), "tiled layer");
  EXPECT_STREQ(value_kind_name(ValueKind::Pyramid), "pyramid");
  EXPECT_STREQ(value_kind_name(ValueKind::Result), "result");
  EXPECT_STREQ(value_kind_name(ValueKind::None), "nothing");
}

TEST(Value, KindOf) {
  EXPECT_EQ(kind_of(StepValue{Nothing{}}), ValueKind::None);
  EXPECT_EQ(kind_of(StepValue{RasterLayer{}}), ValueKind::RasterLayer);
  EXPECT_EQ(kind_of(StepValue{Pyramid{}}), ValueKind::Pyramid);
  EXPECT_EQ(kind_of(StepValue{Result{nlohmann::json{{"min", 1}}}}), ValueKind::Result);
}

}  // namespace
}  // namespace trellis::job
