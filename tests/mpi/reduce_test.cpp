#include "mpi/reduce.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <cstring>

#include "mpi/collectives.hpp"
#include "mpi_gen.hpp"

namespace trellis::mpi {
namespace {

// Records the order of merges: the result must be [0, 1, ..., n-1] on every rank.
struct MergeLog {
  std::vector<std::int32_t> ranks;
  std::vector<std::int64_t> histogram = std::vector<std::int64_t>(8, 0);

  void serialize(std::vector<std::byte>& out) const {
    const std::uint32_t n = static_cast<std::uint32_t>(ranks.size());
    const std::size_t at = out.size();
    out.resize(at + 4 + n * 4 + 8 * 8);
    std::memcpy(out.data() + at, &n, 4);
    std::memcpy(out.data() + at + 4, ranks.data(), n * 4);
    std::memcpy(out.data() + at + 4 + n * 4, histogram.data(), 64);
  }
  static MergeLog deserialize(std::span<const std::byte> in) {
    MergeLog m;
    std::uint32_t n = 0;
    std::memcpy(&n, in.data(), 4);
    if (in.size() != 4 + n * 4 + 64) throw IoError("bad MergeLog");
    m.ranks.resize(n);
    std::memcpy(m.ranks.data(), in.data() + 4, n * 4);
    std::memcpy(m.histogram.data(), in.data() + 4 + n * 4, 64);
    return m;
  }
  void merge(const MergeLog& o) {
    ranks.insert(ranks.end(), o.ranks.begin(), o.ranks.end());
    for (int i = 0; i < 8; ++i) histogram[i] += o.histogram[i];
  }
};

TEST(Reduce, AccumulatorsMergeInRankOrder) {
  const int n = test::size(), me = test::rank();
  MergeLog local;
  local.ranks = {me};
  for (int v = 0; v <= me * 3; ++v) ++local.histogram[v % 8];
  const MergeLog all = allreduce(local);
  std::vector<std::int32_t> want_ranks;
  std::vector<std::int64_t> want_hist(8, 0);
  for (int r = 0; r < n; ++r) {
    want_ranks.push_back(r);
    for (int v = 0; v <= r * 3; ++v) ++want_hist[v % 8];
  }
  EXPECT_EQ(all.ranks, want_ranks);
  EXPECT_EQ(all.histogram, want_hist);
}

TEST(Reduce, Scalars) {
  const int n = test::size(), me = test::rank();
  EXPECT_EQ(allreduce_max(static_cast<double>(me) * 1.5), (n - 1) * 1.5);
  EXPECT_EQ(allreduce_min(static_cast<double>(me) - 0.25), -0.25);
  double want = 0;
  for (int r = 0; r < n; ++r) want += 0.1 * (r + 1);
  EXPECT_EQ(allreduce_sum(0.1 * (me + 1)), want);  // summed in rank order: exactly this value
  EXPECT_EQ(allreduce_max(std::int64_t{me} << 40), std::int64_t{n - 1} << 40);
  EXPECT_EQ(allreduce_min(std::int64_t{-me}), std::int64_t{-(n - 1)});
  EXPECT_EQ(allreduce_sum(std::int64_t{me + 1}), std::int64_t{n} * (n + 1) / 2);
  EXPECT_EQ(allreduce_or(me == n - 1), true);
  EXPECT_EQ(allreduce_or(false), false);
  EXPECT_EQ(allreduce_and(me != n - 1), n == 0);
  EXPECT_EQ(allreduce_and(true), true);
}

TEST(Reduce, AllgatherStrings) {
  const int n = test::size(), me = test::rank();
  const std::string mine =
      me == 1 ? std::string() : "rank " + std::to_string(me) + std::string(me * 100, 'x');
  const auto all = allgather_strings(mine);
  ASSERT_EQ(static_cast<int>(all.size()), n);
  for (int r = 0; r < n; ++r)
    EXPECT_EQ(all[r], r == 1 ? std::string() : "rank " + std::to_string(r) + std::string(r * 100, 'x'));
}

TEST(Reduce, ByteCollectivesInSeveralPasses) {
  const int n = test::size(), me = test::rank();
  for (std::size_t limit : {std::size_t{INT_MAX}, std::size_t{7}, std::size_t{1}}) {
    detail::set_message_limit(limit);
    std::vector<std::byte> mine(static_cast<std::size_t>(me) * 37 + 5);
    for (std::size_t i = 0; i < mine.size(); ++i) mine[i] = static_cast<std::byte>(i * 7 + me);
    std::vector<std::byte> want;
    for (int r = 0; r < n; ++r)
      for (std::size_t i = 0; i < static_cast<std::size_t>(r) * 37 + 5; ++i)
        want.push_back(static_cast<std::byte>(i * 7 + r));
    std::vector<std::size_t> counts;
    EXPECT_EQ(allgatherv_bytes(mine, &counts), want);
    ASSERT_EQ(static_cast<int>(counts.size()), n);
    EXPECT_EQ(counts[n - 1], static_cast<std::size_t>(n - 1) * 37 + 5);
    const int root = n - 1;
    auto g = gatherv_bytes(mine, root);
    EXPECT_EQ(g, me == root ? want : std::vector<std::byte>{});
    std::vector<std::byte> b = me == root ? want : std::vector<std::byte>(3);
    broadcast_bytes(b, root);
    EXPECT_EQ(b, want);
    std::string s = me == 0 ? std::string("hello from rank 0") : std::string();
    broadcast_string(s, 0);
    EXPECT_EQ(s, "hello from rank 0");
  }
  detail::set_message_limit(INT_MAX);
}

}  // namespace
}  // namespace trellis::mpi
