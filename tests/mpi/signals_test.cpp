// Stop requests (mpi/signals.hpp) folded into the failure agreement: a request on any rank stops every
// rank at the same check-in, a failure wins over a stop, and the communicators stay usable.
#include "mpi/signals.hpp"

#include <gtest/gtest.h>

#include <csignal>

#include "mpi/exchange.hpp"
#include "mpi/failure.hpp"
#include "mpi/reduce.hpp"
#include "mpi_gen.hpp"

namespace trellis::mpi {
namespace {

using test::gen_tile;

const CellType kType{CellKind::Int16, NoDataMode::Constant, 0};

struct StopOutcome {
  bool stopped = false;
  int signal = 0;
  int code = 0;  // the failure code (PeerFailure or own failure), 0 when none
  bool self_failed = false;
  int rounds = -1;  // rounds produced when the stop or failure arrived
};

// Runs `rounds` all-to-all exchange rounds; `on_produce(round)` runs in each round's produce callback.
StopOutcome run_rounds(int rounds, const std::function<void(int)>& on_produce) {
  const int n = test::size(), me = test::rank();
  int produced = 0;
  StopOutcome o;
  try {
    exchange(
        [&](std::vector<Outgoing>& out) {
          on_produce(produced);
          for (int d = 0; d < n; ++d) {
            Piece p;
            p.key = {me, d, 0};
            p.tile = gen_tile(kType, 4, 4, 1, me * 100 + d);
            out.push_back({d, std::move(p)});
          }
          return ++produced < rounds;
        },
        [](Piece&&) {});
    check_in();
  } catch (const StopRequested& e) {
    o.stopped = true;
    o.signal = e.signal();
  } catch (const PeerFailure& e) {
    o.code = e.code();
  } catch (const Error& e) {
    o.code = report_failure(e.code()).code;
    o.self_failed = true;
  }
  o.rounds = produced;
  // The request stays until forgotten (every later check-in would stop again): forget it, on every
  // rank, so that the test can compare results with collectives.
  clear_stop();
  return o;
}

// Every rank holds the same value.
void expect_same_everywhere(const std::string& v) {
  const auto all = allgather_strings(v);
  for (const auto& s : all) EXPECT_EQ(s, all[0]);
}

class Stops : public testing::Test {
 protected:
  void SetUp() override {
    set_failure_timeout(30);
    clear_stop();
  }
  void TearDown() override {
    clear_stop();
    // Collectives work again after a stop (once the request is forgotten).
    EXPECT_NO_THROW(check_in());
    EXPECT_EQ(allreduce_sum(std::int64_t{1}), std::int64_t{test::size()});
  }
};

TEST_F(Stops, NoRequestNoStop) {
  const StopOutcome o = run_rounds(3, [](int) {});
  EXPECT_FALSE(o.stopped);
  EXPECT_EQ(o.code, 0);
  EXPECT_EQ(o.rounds, 3);
}

TEST_F(Stops, ARequestOnOneRankStopsEveryRankAtTheSameCheckIn) {
  for (int asker : {test::size() - 1, 0}) {
    SCOPED_TRACE("asking rank " + std::to_string(asker));
    clear_stop();
    const StopOutcome o = run_rounds(8, [&](int round) {
      if (test::rank() == asker && round == 3) request_stop(SIGTERM);
    });
    // After an agreed stop a handler that reports a failure gets {kExitIo, -1} without communicating.
    const Failure f = report_failure(kExitInternal);
    EXPECT_EQ(f.code, kExitIo);
    EXPECT_EQ(f.rank, -1);
    EXPECT_TRUE(o.stopped);
    EXPECT_EQ(o.signal, SIGTERM);
    EXPECT_EQ(o.code, 0);
    // The request was made while producing round 3 (before its check-in): every rank stops there.
    EXPECT_EQ(o.rounds, 4);
    expect_same_everywhere(std::to_string(o.rounds) + "/" + std::to_string(o.signal));
  }
}

TEST_F(Stops, TheStopStaysAgreedUntilForgotten) {
  // A request made before a run stops it at its first check-in, on every rank.
  request_stop(SIGUSR1);
  const StopOutcome o = run_rounds(5, [](int) {});
  EXPECT_TRUE(o.stopped);
  EXPECT_EQ(o.rounds, 1);
  // While rank 0 keeps its request, every later check-in stops again, everywhere.
  if (test::rank() == 0) request_stop(SIGUSR1);
  EXPECT_THROW(check_in(), StopRequested);
  EXPECT_THROW(check_in(), StopRequested);
}

TEST_F(Stops, RequestsOnSeveralRanksAgreeOnOneSignal) {
  // SIGTERM (15) on the last rank, SIGUSR1 (10) on rank 0: every rank reports the same one.
  if (test::rank() == 0) request_stop(SIGUSR1);
  if (test::rank() == test::size() - 1) request_stop(SIGTERM);
  const StopOutcome o = run_rounds(2, [](int) {});
  EXPECT_TRUE(o.stopped);
  EXPECT_EQ(o.signal, test::size() > 1 ? std::max(SIGTERM, SIGUSR1) : SIGUSR1);
  expect_same_everywhere(std::to_string(o.signal));
}

TEST_F(Stops, AFailureAtTheSameCheckInWins) {
  const int n = test::size(), me = test::rank();
  const StopOutcome o = run_rounds(6, [&](int round) {
    if (round != 2) return;
    if (me == 0) request_stop(SIGTERM);
    if (me == n - 1) throw IoError("disk full");
  });
  EXPECT_FALSE(o.stopped);
  EXPECT_EQ(o.code, kExitIo);
  EXPECT_EQ(o.self_failed, me == n - 1);
  expect_same_everywhere(std::to_string(o.code));
}

TEST_F(Stops, TheHandlerOnlyRecordsTheFirstSignal) {
  install_stop_handlers();
  EXPECT_FALSE(stop_requested());
  std::raise(SIGUSR1);
  EXPECT_TRUE(stop_requested());
  EXPECT_EQ(stop_signal(), SIGUSR1);
  std::raise(SIGTERM);  // a second request keeps the first
  EXPECT_EQ(stop_signal(), SIGUSR1);
  restore_stop_handlers();
  clear_stop();
  EXPECT_FALSE(stop_requested());
}

TEST_F(Stops, StopRequestedIsAnErrorWithExitStatus3) {
  StopRequested e(SIGTERM);
  const Error& base = e;
  EXPECT_EQ(base.code(), kExitIo);
  EXPECT_EQ(e.signal(), SIGTERM);
  EXPECT_STREQ(e.what(), "stopped by SIGTERM");
  EXPECT_EQ(signal_name(SIGUSR1), "SIGUSR1");
  EXPECT_EQ(signal_name(SIGINT), "SIGINT");
}

}  // namespace
}  // namespace trellis::mpi
