#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>
#include <stdexcept>

#include "mpi/partition.hpp"
#include "mpi/reduce.hpp"
#include "mpi_gen.hpp"

namespace trellis::mpi {
namespace {

using test::mix;

// `count` distinct keys drawn from a 13 x 10 grid (offset so Hilbert/RowMajor bounds do not start at 0)
// and two instants.
std::vector<SpaceTimeKey> gen_keys(std::size_t count, std::uint64_t seed) {
  std::vector<SpaceTimeKey> all;
  for (std::int64_t t : {0LL, 86400000LL})
    for (int r = 3; r < 13; ++r)
      for (int c = 5; c < 18; ++c) all.push_back({c, r, t});
  std::sort(all.begin(), all.end(), [&](const auto& a, const auto& b) {
    return mix(seed, std::hash<SpaceTimeKey>{}(a)) < mix(seed, std::hash<SpaceTimeKey>{}(b));
  });
  all.resize(std::min(count, all.size()));
  return all;
}

KeyBounds bounds_of(const std::vector<SpaceTimeKey>& keys) {
  if (keys.empty()) return {};
  KeyBounds b{keys[0], keys[0]};
  for (const auto& k : keys) {
    b.min = {std::min(b.min.col, k.col), std::min(b.min.row, k.row), std::min(b.min.instant, k.instant)};
    b.max = {std::max(b.max.col, k.col), std::max(b.max.row, k.row), std::max(b.max.instant, k.instant)};
  }
  return b;
}

// This rank's share: keys i with i % size == rank, plus every fifth key on every rank, plus a repeat.
std::vector<SpaceTimeKey> local_share(const std::vector<SpaceTimeKey>& keys) {
  std::vector<SpaceTimeKey> mine;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (static_cast<int>(i % static_cast<std::size_t>(test::size())) == test::rank()) mine.push_back(keys[i]);
    if (i % 5 == 0) mine.push_back(keys[i]);
  }
  if (!mine.empty()) mine.push_back(mine.front());
  return mine;
}

std::string describe(const Partitioner& p) {
  std::ostringstream s;
  s << p.total_keys() << "/" << p.ranks() << ":";
  for (const auto& c : p.starts()) s << c.index << "," << c.instant << ";";
  return s.str();
}

void check_partitioner(IndexKind kind, std::size_t count) {
  SCOPED_TRACE(std::string(index_kind_name(kind)) + " keys=" + std::to_string(count));
  const auto keys = gen_keys(count, 17 + count);
  const KeyBounds bounds = bounds_of(keys);
  const Partitioner p = mpi::balance(local_share(keys), kind, bounds);
  const int n = test::size();

  // Identical on every rank.
  const auto all = allgather_strings(describe(p));
  for (const auto& s : all) EXPECT_EQ(s, all[0]);
  EXPECT_EQ(p.total_keys(), keys.size());
  EXPECT_EQ(p.ranks(), n);

  // Positions follow the curve (instant as tie-breaker).
  for (const auto& k : keys) {
    const CurvePos pos = p.position(k);
    EXPECT_EQ(pos.instant, k.instant);
    if (kind == IndexKind::ZOrder) {
      EXPECT_EQ(pos.index, z2_index(k.col, k.row));
    }
    if (kind == IndexKind::Hilbert) {
      EXPECT_EQ(pos.index, HilbertSpatialIndex(bounds).to_index(k.spatial()));
    }
    if (kind == IndexKind::RowMajor) {
      EXPECT_EQ(pos.index, rowmajor_index(bounds, k.spatial()));
    }
  }

  // Brute force: sort by position, rank r owns the next total/n (+1 for the first total%n ranks) keys.
  auto sorted = keys;
  std::sort(sorted.begin(), sorted.end(),
            [&](const auto& a, const auto& b) { return p.position(a) < p.position(b); });
  std::vector<std::size_t> owned(n, 0);
  std::size_t i = 0;
  for (int r = 0; r < n; ++r) {
    const std::size_t want = keys.size() / n + (static_cast<std::size_t>(r) < keys.size() % n ? 1 : 0);
    EXPECT_EQ(p.count(r), want);
    for (std::size_t j = 0; j < want; ++j, ++i) {
      EXPECT_EQ(p.owner(sorted[i]), r);  // balanced and contiguous
      ++owned[r];
    }
  }
  EXPECT_EQ(i, keys.size());
  for (int r = 0; r < n; ++r) {
    const std::size_t base = keys.size() / n;
    EXPECT_TRUE(owned[r] == base || owned[r] == base + 1);
    if (static_cast<std::size_t>(r) >= keys.size()) {  // more ranks than keys
      EXPECT_EQ(owned[r], 0u);
    }
  }
  // Owners never decrease along the curve, also for keys that were not passed.
  int last = 0;
  for (const auto& k : sorted) {
    EXPECT_GE(p.owner(k), last);
    last = p.owner(k);
  }
  EXPECT_GE(p.owner(SpaceTimeKey{bounds.max.col, bounds.max.row, bounds.max.instant + 1}), 0);
}

TEST(Partitioner, BalancedContiguousIdentical) {
  for (IndexKind kind : {IndexKind::ZOrder, IndexKind::Hilbert, IndexKind::RowMajor})
    for (std::size_t count : {1, 2, 3, 4, 5, 7, 17, 100, 260}) check_partitioner(kind, count);
}

TEST(Partitioner, NoKeysAnywhere) {
  const Partitioner p = mpi::balance({}, IndexKind::ZOrder, KeyBounds{});
  EXPECT_EQ(p.total_keys(), 0u);
  EXPECT_TRUE(p.starts().empty());
  EXPECT_EQ(p.owner({3, 4, 0}), 0);
  for (int r = 0; r < test::size(); ++r) EXPECT_EQ(p.count(r), 0u);
}

TEST(Partitioner, OnlyOneRankHasKeys) {
  const auto keys = gen_keys(9, 5);
  const auto mine = test::rank() == test::size() - 1 ? keys : std::vector<SpaceTimeKey>{};
  const Partitioner p = mpi::balance(mine, IndexKind::Hilbert, bounds_of(keys));
  EXPECT_EQ(p.total_keys(), 9u);
  std::vector<int> per(test::size(), 0);
  for (const auto& k : keys) ++per[p.owner(k)];
  for (int r = 0; r < test::size(); ++r) EXPECT_EQ(static_cast<std::size_t>(per[r]), p.count(r));
}

TEST(Partitioner, InstantBreaksTies) {
  std::vector<SpaceTimeKey> keys;
  for (std::int64_t t = 0; t < 8; ++t) keys.push_back({2, 3, t * 1000});
  const Partitioner p = mpi::balance(test::rank() == 0 ? keys : std::vector<SpaceTimeKey>{},
                                     IndexKind::ZOrder, bounds_of(keys));
  EXPECT_EQ(p.total_keys(), 8u);
  for (std::size_t i = 1; i < keys.size(); ++i) EXPECT_LE(p.owner(keys[i - 1]), p.owner(keys[i]));
  EXPECT_EQ(p.owner(keys.front()), 0);
  EXPECT_EQ(p.owner(keys.back()), std::min(test::size(), 8) - 1);
}

// The weighted split, for 1-7 ranks and weights that are random, zero, dominated by one key, sparse,
// or near 2^60 (the sums overflow 64 bits): contiguous, counted right, and each rank's weight within the
// largest single weight of an equal share, each key where the middle of its weight falls.
TEST(Partitioner, WeightedSplitIsContiguousAndEven) {
  const auto keys = gen_keys(200, 99);
  const KeyBounds bounds = bounds_of(keys);
  for (int n = 1; n <= 7; ++n)
    for (int pattern = 0; pattern < 5; ++pattern) {
      SCOPED_TRACE("ranks " + std::to_string(n) + " pattern " + std::to_string(pattern));
      Partitioner p(IndexKind::Hilbert, bounds, n);
      std::vector<SpaceTimeKey> sorted = keys;
      std::sort(sorted.begin(), sorted.end(),
                [&](const auto& a, const auto& b) { return p.position(a) < p.position(b); });
      std::vector<CurvePos> pos;
      std::vector<std::uint64_t> w;
      for (std::size_t i = 0; i < sorted.size(); ++i) {
        pos.push_back(p.position(sorted[i]));
        const std::uint64_t h = mix(pattern * 1000 + 7, i);
        switch (pattern) {
          case 0:
            w.push_back(h % 1000);
            break;
          case 1:
            w.push_back(0);
            break;
          case 2:
            w.push_back(i == 37 ? 1000000 : 1);
            break;
          case 3:
            w.push_back(h % 10 == 0 ? h % 500 : 0);
            break;
          default:
            w.push_back((std::uint64_t{1} << 60) + h % 1000);
            break;
        }
      }
      p.split(pos, w);
      if (pattern == 1) {  // no weight: the split by count
        Partitioner q(IndexKind::Hilbert, bounds, n);
        q.split(pos);
        EXPECT_EQ(p.starts(), q.starts());
        for (int r = 0; r < n; ++r) EXPECT_EQ(p.count(r), q.count(r));
        continue;
      }
      EXPECT_EQ(p.total_keys(), sorted.size());
      long double total = 0, most = 0;
      for (std::uint64_t x : w) total += static_cast<long double>(x), most = std::max<long double>(most, x);
      std::vector<long double> per(n, 0);
      std::vector<std::size_t> counted(n, 0);
      long double before = 0;
      int last = 0;
      for (std::size_t i = 0; i < sorted.size(); ++i) {
        const int r = p.owner(sorted[i]);
        ASSERT_GE(r, last) << "contiguous along the curve";
        last = r;
        per[r] += static_cast<long double>(w[i]);
        ++counted[r];
        // The middle of the key's weight lies in its rank's share (to rounding).
        const long double mid = (before + static_cast<long double>(w[i]) / 2) * n / total;
        EXPECT_GE(mid, static_cast<long double>(r) - 1e-9L) << i;
        if (r < n - 1) {
          EXPECT_LE(mid, static_cast<long double>(r + 1) + 1e-9L) << i;
        }
        before += static_cast<long double>(w[i]);
      }
      for (int r = 0; r < n; ++r) {
        EXPECT_EQ(p.count(r), counted[r]) << "rank " << r;
        EXPECT_LE(std::fabs(static_cast<double>(per[r] - total / n)), static_cast<double>(most) * (1 + 1e-12))
            << "rank " << r;
      }
      if (pattern == 2 && n >= 4) {  // the heavy key, in the middle of 4+ shares, leaves a rank none
        EXPECT_TRUE(std::count(counted.begin(), counted.end(), std::size_t{0}) > 0);
      }
    }
  Partitioner p(IndexKind::ZOrder, bounds, 2);
  EXPECT_THROW(p.split({CurvePos{1, 0}, CurvePos{2, 0}}, {1}), std::invalid_argument);
}

}  // namespace
}  // namespace trellis::mpi
