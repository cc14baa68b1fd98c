// write_geotiff's shared compression (src/ops/write/write_geotiff.cpp): ranks whose blocks take longer to
// compress ship prepared blocks to ranks about to run out, which send them to the writing rank
// themselves. The file must be byte for byte the one rank's, whoever compresses a block.
#include <random>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

// Noise in the west half (slow to compress), a constant in the east half (fast): the ranks that hold the
// west run out last. Two bands, written in the other order, and a size that is not a whole number of
// tiles, so the shipped blocks are the prepared ones (bands chosen, the edges blanked). Check-ins every
// 20 ms: several of the fast ranks' batches of blocks, one of the slow ones', so a fast rank runs out
// before the slow one is done even on a loaded machine.
TEST(WriteGeoTiff, SharedCompressionWritesTheFileOfOneRank) {
  TempDir d;
  const int cols = 2000, rows = 500;  // 16 x 4 tiles of 128 (the last column and row partial)
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> noise(-1000, 1000);
  std::vector<std::vector<double>> cells(2, std::vector<double>(static_cast<std::size_t>(cols) * rows));
  for (int b = 0; b < 2; ++b)
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c)
        cells[b][static_cast<std::size_t>(r) * cols + c] = c < cols / 2 ? noise(rng) : 7.0 + b;
  write_raster(d / "in.tif", "Float32", cols, rows, 2, {0, 1, 0, 500, 0, -1}, "EPSG:3857", std::nullopt,
               cells);
  auto job = [&](int share_ms) {
    return "version: 1\nsteps:\n  - op: read_geotiff\n    uri: " + (d / "in.tif").string() +
           "\n  - op: tile_to_layout\n    tile_size: 128\n  - op: write_geotiff\n    uri: out.tif\n"
           "    bands: [1, 0]\n    share_ms: " +
           std::to_string(share_ms) + "\n";
  };
  TempDir one;
  auto r1 = run_job_text(one, job(0), 1);
  ASSERT_EQ(r1.status, 0) << r1.err;
  const std::string want = read_file(one / "out.tif");
  const Raster ref = read_raster(one / "out.tif");
  ASSERT_EQ(ref.bands, 2);
  EXPECT_EQ(ref.at(0, 0, 0), static_cast<float>(cells[1][0]));  // band 1 first
  EXPECT_EQ(ref.at(1, cols - 1, rows - 1), 7.0);
  long shipped = 0;
  for (int np : {2, 3, 4}) {
    TempDir n;
    auto r = run_job_text(n, job(20), np, "--log-level debug");
    ASSERT_EQ(r.status, 0) << "np " << np << "\n" << r.err;
    EXPECT_TRUE(read_file(n / "out.tif") == want) << "np " << np << ": not the file of one rank";
    const SharedCounts s = shared_counts(r.err, "write_geotiff: encoded ");
    EXPECT_EQ(s.ranks, np) << r.err;
    EXPECT_EQ(s.foreign, s.shipped) << "np " << np << ": every shipped block is encoded once";
    shipped += s.shipped;
  }
  EXPECT_GT(shipped, 0) << "no rank shipped a block: the sharing path was not exercised";
  // Without sharing, the same file.
  TempDir off;
  auto r0 = run_job_text(off, job(0), 3, "--log-level debug");
  ASSERT_EQ(r0.status, 0) << r0.err;
  EXPECT_TRUE(read_file(off / "out.tif") == want);
  EXPECT_EQ(shared_counts(r0.err, "write_geotiff: encoded ").shipped, 0);
}

}  // namespace
}  // namespace trellis::test
