// Reading windows of GeoTIFFs: a window that is one whole block of a tiled file is decoded straight into
// the tile (GDALRasterBand::ReadBlock, past GDAL's block cache); every other window goes through
// RasterIO. Both give exactly the cells GDAL's RasterIO reads from a fresh dataset, for every data type,
// band-interleaved and pixel-interleaved files, edge blocks, and windows that are not blocks. What reading
// a window costs (read_costs) is checked against the block byte counts libtiff reads from the file.
#include <cpl_string.h>
#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <tiffio.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "io/geotiff.hpp"
#include "util/test_util.hpp"

namespace trellis::io {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

constexpr int kCols = 300, kRows = 200, kBlock = 128;  // 3 x 2 blocks, the last column and row partial

// A tiled, DEFLATE GeoTIFF of kCols x kRows with varied cells (negative ones too, where the type allows).
fs::path make_file(const TempDir& dir, const std::string& name, GDALDataType type, int bands,
                   const char* interleave) {
  gdal_init();
  auto* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  GDALDatasetUniquePtr src(mem->Create("", kCols, kRows, bands, type, nullptr));
  std::vector<double> row(kCols);
  for (int b = 1; b <= bands; ++b)
    for (int r = 0; r < kRows; ++r) {
      for (int c = 0; c < kCols; ++c) row[c] = ((c * 7919 + r * 104729 + b * 1299709) % 251) - 60 + 0.25;
      EXPECT_EQ(src->GetRasterBand(b)->RasterIO(GF_Write, 0, r, kCols, 1, row.data(), kCols, 1, GDT_Float64,
                                                0, 0, nullptr),
                CE_None);
    }
  CPLStringList co;
  co.SetNameValue("TILED", "YES");
  co.SetNameValue("BLOCKXSIZE", std::to_string(kBlock).c_str());
  co.SetNameValue("BLOCKYSIZE", std::to_string(kBlock).c_str());
  co.SetNameValue("COMPRESS", "DEFLATE");
  co.SetNameValue("INTERLEAVE", interleave);
  const fs::path path = dir / name;
  auto* gtiff = GetGDALDriverManager()->GetDriverByName("GTiff");
  GDALDatasetUniquePtr out(gtiff->CreateCopy(path.c_str(), src.get(), false, co.List(), nullptr, nullptr));
  EXPECT_TRUE(out);
  return path;
}

// The window's cells as RasterIO reads them from a dataset opened for this comparison alone.
std::vector<std::byte> reference(const fs::path& path, GDALDataType type, int bands, long c0, long r0,
                                 int cols, int rows) {
  GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  const int bytes = GDALGetDataTypeSizeBytes(type);
  std::vector<std::byte> out(static_cast<std::size_t>(cols) * rows * bands * bytes);
  EXPECT_EQ(ds->RasterIO(GF_Read, static_cast<int>(c0), static_cast<int>(r0), cols, rows, out.data(), cols,
                         rows, type, bands, nullptr, bytes, static_cast<GSpacing>(cols) * bytes,
                         static_cast<GSpacing>(cols) * rows * bytes, nullptr),
            CE_None);
  return out;
}

struct Window {
  long c0, r0;
  int cols, rows;
};

// Whole blocks (the direct path where the file allows it), partial edge blocks, a window across blocks,
// one inside a block, and one of two whole blocks.
const Window kWindows[] = {{0, 0, kBlock, kBlock},      {kBlock, kBlock, kBlock, 72},
                           {2 * kBlock, 0, 44, kBlock}, {2 * kBlock, kBlock, 44, 72},
                           {100, 50, 60, 90},           {3, 5, 17, 9},
                           {0, 0, 2 * kBlock, kBlock},  {kBlock, 0, kBlock, kBlock}};

TEST(ReadWindow, WholeBlocksAndOtherWindowsReadWhatRasterIoReads) {
  TempDir dir;
  struct Case {
    const char* cell_type;
    GDALDataType type;
  };
  for (const Case k :
       {Case{"uint8raw", GDT_Byte}, Case{"int16raw", GDT_Int16}, Case{"uint16raw", GDT_UInt16},
        Case{"int32raw", GDT_Int32}, Case{"float32raw", GDT_Float32}, Case{"float64raw", GDT_Float64}})
    for (const int bands : {1, 3})
      for (const char* il : {"BAND", "PIXEL"}) {
        if (bands == 1 && std::string(il) == "PIXEL") continue;
        const std::string name = std::string(k.cell_type) + "-" + std::to_string(bands) + "-" + il + ".tif";
        SCOPED_TRACE(name);
        const fs::path path = make_file(dir, name, k.type, bands, il);
        const CellType ct = CellType::parse(k.cell_type);
        for (const Window& w : kWindows) {
          SCOPED_TRACE(std::to_string(w.c0) + "," + std::to_string(w.r0) + " " + std::to_string(w.cols) +
                       "x" + std::to_string(w.rows));
          const Tile t = read_window(path.string(), ct, bands, w.c0, w.r0, w.cols, w.rows);
          ASSERT_EQ(t.cols(), w.cols);
          ASSERT_EQ(t.rows(), w.rows);
          ASSERT_EQ(t.bands(), bands);
          const std::vector<std::byte> want = reference(path, k.type, bands, w.c0, w.r0, w.cols, w.rows);
          ASSERT_EQ(t.raw().size(), want.size());
          EXPECT_EQ(std::memcmp(t.raw().data(), want.data(), want.size()), 0);
        }
      }
}

// The direct path leaves GDAL's block cache as it was; RasterIO fills it (partial edge blocks, and a
// pixel-interleaved file, whose blocks hold every band).
TEST(ReadWindow, WholeBlocksBypassGdalsBlockCache) {
  TempDir dir;
  const fs::path one = make_file(dir, "one.tif", GDT_Float32, 1, "BAND");
  const fs::path planes = make_file(dir, "planes.tif", GDT_Float32, 2, "BAND");
  const fs::path pixels = make_file(dir, "pixels.tif", GDT_Float32, 2, "PIXEL");
  const CellType ct = CellType::parse("float32raw");
  // Open the three first: a file new to this thread's datasets closes an older one, which frees its
  // cached blocks (the cache is global), and would blur what follows.
  (void)read_window(one.string(), ct, 1, 0, 0, 1, 1);
  (void)read_window(planes.string(), ct, 2, 0, 0, 1, 1);
  (void)read_window(pixels.string(), ct, 2, 0, 0, 1, 1);
  const GIntBig before = GDALGetCacheUsed64();
  for (long c0 : {0L, static_cast<long>(kBlock)}) {
    (void)read_window(one.string(), ct, 1, c0, 0, kBlock, kBlock);  // blocks (0, 0) and (1, 0): whole
    (void)read_window(planes.string(), ct, 2, c0, 0, kBlock, kBlock);
  }
  EXPECT_EQ(GDALGetCacheUsed64(), before) << "whole blocks read straight into the tile";
  (void)read_window(one.string(), ct, 1, 2 * kBlock, kBlock, kCols - 2 * kBlock, kRows - kBlock);
  const GIntBig after_edge = GDALGetCacheUsed64();
  EXPECT_GT(after_edge, before) << "a partial edge block goes through the cache";
  (void)read_window(pixels.string(), ct, 2, kBlock, 0, kBlock, kBlock);
  EXPECT_GT(GDALGetCacheUsed64(), after_edge) << "a pixel-interleaved block goes through the cache";
}

// The stored byte count of every block of a tiled TIFF, per plane then row-major, as libtiff reads it.
std::vector<std::uint64_t> tile_byte_counts(const fs::path& path) {
  TIFF* tif = TIFFOpen(path.c_str(), "r");
  EXPECT_TRUE(tif);
  if (!tif) return {};
  std::vector<std::uint64_t> out(TIFFNumberOfTiles(tif));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = TIFFGetStrileByteCount(tif, static_cast<uint32_t>(i));
  TIFFClose(tif);
  return out;
}

RasterLayer layer_of(const fs::path& path, const CellType& ct, int bands) {
  RasterLayer l;
  RasterSource s;
  s.path = path.string();
  s.grid = GridExtent{{0, 0, kCols, kRows}, kCols, kRows};
  s.cell_type = ct;
  s.bands = bands;
  l.sources.push_back(s);
  return l;
}

RasterWindow window_of(const Window& w) {
  RasterWindow r;
  r.col0 = w.c0;
  r.row0 = w.r0;
  r.cols = w.cols;
  r.rows = w.rows;
  return r;
}

// Brute force: each block's count times the share of the block's cells (inside the raster) the window
// holds, over the planes.
double expected_cost(const std::vector<std::uint64_t>& counts, int planes, const Window& w) {
  const int across = (kCols + kBlock - 1) / kBlock, down = (kRows + kBlock - 1) / kBlock;
  double sum = 0;
  for (int p = 0; p < planes; ++p)
    for (int by = 0; by < down; ++by)
      for (int bx = 0; bx < across; ++bx) {
        long inside = 0, in_window = 0;
        for (long r = by * kBlock; r < std::min<long>((by + 1) * kBlock, kRows); ++r)
          for (long c = bx * kBlock; c < std::min<long>((bx + 1) * kBlock, kCols); ++c) {
            ++inside;
            in_window += c >= w.c0 && c < w.c0 + w.cols && r >= w.r0 && r < w.r0 + w.rows;
          }
        sum += static_cast<double>(counts[(static_cast<std::size_t>(p) * down + by) * across + bx]) *
               static_cast<double>(in_window) / static_cast<double>(inside);
      }
  return sum;
}

TEST(ReadCosts, StoredBytesOfTheBlocksUnderEachWindow) {
  TempDir dir;
  const CellType ct = CellType::parse("int16raw");
  for (const int bands : {1, 3})
    for (const char* il : {"BAND", "PIXEL"}) {
      if (bands == 1 && std::string(il) == "PIXEL") continue;
      const std::string name = std::to_string(bands) + "-" + il + ".tif";
      SCOPED_TRACE(name);
      const fs::path path = make_file(dir, name, GDT_Int16, bands, il);
      const std::vector<std::uint64_t> counts = tile_byte_counts(path);
      const int planes = std::string(il) == "BAND" ? bands : 1;
      ASSERT_EQ(counts.size(), static_cast<std::size_t>(6 * planes));
      std::vector<RasterWindow> windows;
      for (const Window& w : kWindows) windows.push_back(window_of(w));
      const std::vector<std::uint64_t> got = read_costs(layer_of(path, ct, bands), windows);
      ASSERT_EQ(got.size(), windows.size());
      for (std::size_t i = 0; i < windows.size(); ++i) {
        const double want = expected_cost(counts, planes, kWindows[i]);
        EXPECT_GT(want, 0);
        EXPECT_LE(std::fabs(static_cast<double>(got[i]) - want), 0.5) << "window " << i;
      }
      // A whole block costs exactly its stored bytes (the first window is block (0, 0)).
      std::uint64_t first = 0;
      for (int p = 0; p < planes; ++p) first += counts[static_cast<std::size_t>(p) * 6];
      EXPECT_EQ(got[0], first);
    }
}

TEST(ReadCosts, UnwrittenBlocksCostNothingAndOtherFormatsTheirCells) {
  TempDir dir;
  gdal_init();
  // A sparse file: only block (1, 0) is written.
  CPLStringList co;
  co.SetNameValue("TILED", "YES");
  co.SetNameValue("BLOCKXSIZE", std::to_string(kBlock).c_str());
  co.SetNameValue("BLOCKYSIZE", std::to_string(kBlock).c_str());
  co.SetNameValue("COMPRESS", "DEFLATE");
  co.SetNameValue("SPARSE_OK", "TRUE");
  const fs::path sparse = dir / "sparse.tif";
  {
    auto* gtiff = GetGDALDriverManager()->GetDriverByName("GTiff");
    GDALDatasetUniquePtr ds(gtiff->Create(sparse.c_str(), kCols, kRows, 1, GDT_Float32, co.List()));
    ASSERT_TRUE(ds);
    std::vector<float> block(static_cast<std::size_t>(kBlock) * kBlock);
    for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<float>(std::sin(0.01 * i));
    ASSERT_EQ(ds->GetRasterBand(1)->WriteBlock(1, 0, block.data()), CE_None);
  }
  const std::vector<std::uint64_t> counts = tile_byte_counts(sparse);
  ASSERT_EQ(counts.size(), 6u);
  const CellType ct = CellType::parse("float32raw");
  const std::vector<RasterWindow> windows = {window_of({0, 0, kBlock, kBlock}),
                                             window_of({kBlock, 0, kBlock, kBlock}),
                                             window_of({0, 0, 2 * kBlock, kBlock}), window_of({3, 5, 17, 9})};
  const std::vector<std::uint64_t> got = read_costs(layer_of(sparse, ct, 1), windows);
  EXPECT_GT(counts[1], 0u);
  EXPECT_EQ(got, (std::vector<std::uint64_t>{0, counts[1], counts[1], 0}));

  // Another format: the window's cell bytes.
  const fs::path vrt = dir / "file.vrt";
  {
    GDALDatasetUniquePtr src(GDALDataset::Open(sparse.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
    auto* driver = GetGDALDriverManager()->GetDriverByName("VRT");
    GDALDatasetUniquePtr out(driver->CreateCopy(vrt.c_str(), src.get(), false, nullptr, nullptr, nullptr));
    ASSERT_TRUE(out);
  }
  const std::vector<std::uint64_t> cells = read_costs(layer_of(vrt, ct, 1), windows);
  EXPECT_EQ(cells, (std::vector<std::uint64_t>{kBlock * kBlock * 4, kBlock * kBlock * 4,
                                               2 * kBlock * kBlock * 4, 17 * 9 * 4}));
}

}  // namespace
}  // namespace trellis::io
