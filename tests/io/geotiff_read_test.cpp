// Reading windows of GeoTIFFs: a window that is one whole block of a tiled file is decoded straight into
// the tile (GDALRasterBand::ReadBlock, past GDAL's block cache); every other window goes through
// RasterIO. Both give exactly the cells GDAL's RasterIO reads from a fresh dataset, for every data type,
// band-interleaved and pixel-interleaved files, edge blocks, and windows that are not blocks.
#include <cpl_string.h>
#include <gdal_priv.h>
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace trellis::io
