#include "mpi/runtime.hpp"

#include <gtest/gtest.h>

#include "mpi/comm.hpp"
#include "mpi/reduce.hpp"
#include "mpi/stats.hpp"

namespace trellis::mpi {
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
  MPI_Comm_compare(data_comm(), MPI_COMM_WORLD, &cmp);
  EXPECT_EQ(cmp, MPI_CONGRUENT);
  MPI_Comm_compare(control_comm(), MPI_COMM_WORLD, &cmp);
  EXPECT_EQ(cmp, MPI_CONGRUENT);
  EXPECT_NE(data_comm(), control_comm());
}

TEST(Runtime, InitIsIdempotent) {
  MPI_Comm before = data_comm();
  Runtime::init(nullptr, nullptr);
  EXPECT_EQ(data_comm(), before);
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
}  // namespace trellis::mpi
