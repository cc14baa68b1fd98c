#include "dist/runtime.hpp"

#include <gtest/gtest.h>

#include "dist/reduce.hpp"
#include "dist/stats.hpp"

namespace trellis::dist {
namespace {

TEST(Runtime, RankAndSizeMatchTheWorld) {
  ASSERT_TRUE(Runtime::initialized());
  int r = -1, n = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  EXPECT_EQ(Runtime::rank(), r);
  EXPECT_EQ(Runtime::size(), n);
  EXPECT_GE(Runtime::thread_level(), MPI_THREAD_FUNNELED);
}

TEST(Runtime, DataAndControlAreSeparateDuplicatesOfTheWorld) {
  int cmp = -1;
  MPI_Comm_compare(Runtime::comm(), MPI_COMM_WORLD, &cmp);
  EXPECT_EQ(cmp, MPI_CONGRUENT);
  MPI_Comm_compare(Runtime::control_comm(), MPI_COMM_WORLD, &cmp);
  EXPECT_EQ(cmp, MPI_CONGRUENT);
  EXPECT_NE(Runtime::comm(), Runtime::control_comm());
}

TEST(Runtime, InitIsIdempotent) {
  MPI_Comm before = Runtime::comm();
  Runtime::init(nullptr, nullptr);
  EXPECT_EQ(Runtime::comm(), before);
}

TEST(Stats, PeakRssAndCounters) {
  EXPECT_GT(peak_rss_bytes(), 0u);
  EXPECT_GE(peak_rss_bytes(), current_rss_bytes() / 2);
  const CommStats before = stats();
  add_bytes_sent(10);
  add_tiles_moved(2);
  EXPECT_EQ(stats().bytes_sent, before.bytes_sent + 10);
  EXPECT_EQ(stats().tiles_moved, before.tiles_moved + 2);
}

}  // namespace
}  // namespace trellis::dist
