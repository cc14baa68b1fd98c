// StepContext::take_input: an op gets its input moved out only when no later step reads it.
#include "job/context.hpp"

#include <gtest/gtest.h>

namespace trellis::job {
namespace {

StepValue layer_with(int tiles) {
  TiledLayer l;
  for (int i = 0; i < tiles; ++i)
    l.tiles.emplace(SpaceTimeKey{i, 0, 0}, Tile(CellType::parse("int16"), 2, 2));
  return l;
}

TEST(StepContext, TakeInputMovesOnlyAtTheLastUse) {
  Params params;
  JobInfo info;
  Logger log(LogLevel::Warn, 0);
  Progress progress(log, "test");
  StepValue kept = layer_with(3), last = layer_with(5);
  StepContext ctx{params, {{"input", &kept}, {"other", &last}}, info, log, progress};
  ctx.last_uses["other"] = &last;

  // Still read later: a copy, the value stays.
  EXPECT_EQ(ctx.take_input<TiledLayer>().tiles.size(), 3u);
  EXPECT_EQ(std::get<TiledLayer>(kept).tiles.size(), 3u);
  // Last use: moved out.
  EXPECT_EQ(ctx.take_input<TiledLayer>("other").tiles.size(), 5u);
  EXPECT_TRUE(std::get<TiledLayer>(last).tiles.empty());
}

}  // namespace
}  // namespace trellis::job
