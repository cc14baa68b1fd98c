// GoogleTest main for MPI tests: every rank runs every test; only rank 0 prints the usual output (the
// other ranks print failed assertions only, prefixed with their rank). A test passes when it passes on
// every rank. Every rank returns non-zero if any test failed on any rank; rank 0 ends with
// "N passed, N failed".
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "mpi/comm.hpp"  // <mpi.h> (C API only)
#include "mpi/runtime.hpp"

namespace {

// Prints failed assertions of a non-zero rank (its default printer is removed).
class RankFailurePrinter : public testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const testing::TestPartResult& r) override {
    if (!r.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: Failure\n%s\n", rank_, r.file_name() ? r.file_name() : "?",
                 r.line_number(), r.message());
    std::fflush(stderr);
  }

 private:
  int rank_;
};

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  trellis::mpi::Runtime::init(&argc, &argv);  // adopts the MPI initialised above
  testing::InitGoogleTest(&argc, argv);

  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  testing::TestEventListeners& listeners = testing::UnitTest::GetInstance()->listeners();
  if (rank != 0) {
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter(rank));
  }

  const int local_rc = RUN_ALL_TESTS();

  // Per test (same order on every rank): failed anywhere?
  const testing::UnitTest& ut = *testing::UnitTest::GetInstance();
  std::vector<int> failed, ran;
  std::vector<const testing::TestInfo*> infos;
  for (int i = 0; i < ut.total_test_suite_count(); ++i) {
    const testing::TestSuite* suite = ut.GetTestSuite(i);
    for (int j = 0; j < suite->total_test_count(); ++j) {
      const testing::TestInfo* info = suite->GetTestInfo(j);
      infos.push_back(info);
      ran.push_back(info->should_run() ? 1 : 0);
      failed.push_back(info->should_run() && info->result()->Failed() ? 1 : 0);
    }
  }
  std::vector<int> any_failed(failed.size(), 0);
  MPI_Allreduce(failed.data(), any_failed.data(), static_cast<int>(failed.size()), MPI_INT, MPI_MAX,
                MPI_COMM_WORLD);
  int rc_any = local_rc != 0 ? 1 : 0, rc_all = 0;
  MPI_Allreduce(&rc_any, &rc_all, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);

  int passed = 0, nfailed = 0;
  for (std::size_t i = 0; i < infos.size(); ++i) {
    if (!ran[i]) continue;
    if (any_failed[i]) {
      ++nfailed;
      if (rank == 0)
        std::printf("FAILED on some rank (of %d): %s.%s\n", size, infos[i]->test_suite_name(),
                    infos[i]->name());
    } else {
      ++passed;
    }
  }
  if (rank == 0) {
    std::printf("%d passed, %d failed\n", passed, nfailed);
    std::fflush(stdout);
  }
  trellis::mpi::Runtime::finalize();
  MPI_Finalize();
  return (nfailed > 0 || rc_all != 0) ? 1 : 0;
}
