// The least time any program needs to DEFLATE-compress the blocks of a tiled GeoTIFF on this machine, for
// bench/ndvi.sh, which compiles it itself into its cache (it is not part of the build):
//
//   c++ -O3 -fopenmp -o deflate-floor bench/deflate-floor.cpp $(gdal-config --cflags) -lgdal -ldeflate
//   OMP_NUM_THREADS=2 ./deflate-floor FILE.tif [libdeflate level, default 7] [timed passes, default 3]
//
// FILE is a tiled, DEFLATE-compressed, single-band GeoTIFF (gdal_calc.py's NDVI). Every block is decoded
// into memory first (not timed); then the blocks are compressed again, split statically between the
// OpenMP threads, with libdeflate: what GDAL's GTiff driver does for COMPRESS=DEFLATE through libtiff.
// For GDAL's default ZLEVEL=6, Debian 12's libtiff asks libdeflate for its level 7 (a block compressed at
// 7 has exactly the size of the file's). Nothing else is timed: no reading, no arithmetic, no writing.
// The sum of the compressed sizes is printed beside the file's own, so a reader can see that the same
// encoder at the same level made the file. Prints one line:
//   deflate-floor: 2 thread(s), 3540 blocks, 928.0 MB, level 7, best of 3 passes: 3.91 s; compressed
//   71225650 bytes, the file's blocks 71225650 bytes
#include <gdal_priv.h>
#include <libdeflate.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: deflate-floor FILE.tif [level] [passes]\n");
    return 2;
  }
  const int level = argc > 2 ? std::atoi(argv[2]) : 7;
  const int passes = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;
  GDALAllRegister();
  auto* ds = GDALDataset::Open(argv[1], GDAL_OF_RASTER | GDAL_OF_READONLY);
  if (ds == nullptr || ds->GetRasterCount() != 1) {
    std::fprintf(stderr, "deflate-floor: cannot open %s as a one-band raster\n", argv[1]);
    return 1;
  }
  GDALRasterBand* band = ds->GetRasterBand(1);
  int bx = 0, by = 0;
  band->GetBlockSize(&bx, &by);
  const int across = (ds->GetRasterXSize() + bx - 1) / bx, down = (ds->GetRasterYSize() + by - 1) / by;
  const std::size_t block_bytes =
      static_cast<std::size_t>(bx) * by * GDALGetDataTypeSizeBytes(band->GetRasterDataType());
  std::vector<std::vector<unsigned char>> blocks;
  long long file_bytes = 0;
  for (int y = 0; y < down; ++y)
    for (int x = 0; x < across; ++x) {
      blocks.emplace_back(block_bytes);
      if (band->ReadBlock(x, y, blocks.back().data()) != CE_None) {
        std::fprintf(stderr, "deflate-floor: cannot read block %d,%d\n", x, y);
        return 1;
      }
      const std::string id = "_" + std::to_string(x) + "_" + std::to_string(y);
      const char* size = band->GetMetadataItem(("BLOCK_SIZE" + id).c_str(), "TIFF");
      file_bytes += size ? std::atoll(size) : 0;
    }
  GDALClose(ds);

  const long n = static_cast<long>(blocks.size());
  double best = 1e300;
  long long compressed = 0;
  for (int p = 0; p < passes; ++p) {
    long long total = 0;
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel reduction(+ : total)
    {
      libdeflate_compressor* c = libdeflate_alloc_compressor(level);
      if (c == nullptr) std::abort();  // a level libdeflate does not have
      std::vector<unsigned char> out(libdeflate_zlib_compress_bound(c, block_bytes));
#pragma omp for schedule(static)
      for (long i = 0; i < n; ++i)
        total += static_cast<long long>(
            libdeflate_zlib_compress(c, blocks[i].data(), block_bytes, out.data(), out.size()));
      libdeflate_free_compressor(c);
    }
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    compressed = total;
  }
  std::printf(
      "deflate-floor: %d thread(s), %ld blocks, %.1f MB, level %d, best of %d passes: %.2f s; "
      "compressed %lld bytes, the file's blocks %lld bytes\n",
      omp_get_max_threads(), n, static_cast<double>(block_bytes) * n / 1e6, level, passes, best, compressed,
      file_bytes);
  return 0;
}
