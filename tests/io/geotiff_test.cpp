// GeoTIFF writing from encoded blocks: BlockEncoder gives the bytes GDAL itself stores for a block, and
// GeoTiffWriter assembles them into a file GDAL reads back cell for cell (every cell type, band count
// and codec), with NoData where no block was written, atomically, and as a COG when asked.
#include "io/geotiff.hpp"

#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>

#include "core/error.hpp"
#include "util/test_util.hpp"

namespace trellis::io {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

// A deterministic, varied value for cell (b, c, r) of a file, in range for every cell type.
double value_at(const CellType& ct, int b, long c, long r) {
  const long h = (c * 7919 + r * 104729 + b * 1299709) % 1000;
  switch (ct.kind) {
    case CellKind::Bool:
      return static_cast<double>(h % 2);
    case CellKind::Int8:
      return static_cast<double>(h % 200 - 100);
    case CellKind::UInt8:
      return static_cast<double>(h % 240 + 10);  // never 0, the NoData of uint8
    case CellKind::UInt16:
      return static_cast<double>(h + 10);  // never 0 (uint16) or 7 (uint16ud7)
    default:
      return static_cast<double>(h) - 300.0 + (ct.is_float() ? 0.25 : 0.0);
  }
}

// Block (bx, by) of a file of size cols x rows: cell values from value_at, NoData beyond the file.
Tile block(const CellType& ct, int bands, int size, long bx, long by, long cols, long rows) {
  Tile t(ct, size, size, bands);
  for (int b = 0; b < bands; ++b)
    for (int r = 0; r < size; ++r)
      for (int c = 0; c < size; ++c) {
        const long fc = bx * size + c, fr = by * size + r;
        if (fc < cols && fr < rows) t.set(b, c, r, value_at(ct, b, fc, fr));
      }
  return t;
}

const GridExtent kGrid{{10, 20, 10 + 600 * 0.5, 20 + 300 * 0.5}, 600, 300};  // 3 x 2 blocks of 256

// Writes every block of kGrid except those in `skip`; returns the file.
fs::path write_file_of(const TempDir& dir, const std::string& name, const CellType& ct, int bands,
                       const GeoTiffOptions& opts, const std::set<std::pair<long, long>>& skip = {}) {
  const fs::path path = dir / name;
  GeoTiffWriter w(path.string(), kGrid, Crs::from_epsg(4326), ct, bands, opts);
  EXPECT_EQ(w.blocks_across(), 3);
  EXPECT_EQ(w.blocks_down(), 2);
  const BlockEncoder enc(ct, bands, opts);
  for (long by = 0; by < 2; ++by)
    for (long bx = 0; bx < 3; ++bx) {
      if (skip.count({bx, by})) continue;
      const Tile t = block(ct, bands, opts.block_size, bx, by, kGrid.cols, kGrid.rows);
      w.write_block(bx, by, enc.encode({&t}).front());
    }
  w.commit();
  return path;
}

// The file's cells equal value_at, and NoData (or zero for raw types) in the skipped blocks.
void expect_cells(const fs::path& path, const CellType& ct, int bands,
                  const std::set<std::pair<long, long>>& skip) {
  const test::Raster r = test::read_raster(path);
  ASSERT_EQ(r.cols, 600);
  ASSERT_EQ(r.rows, 300);
  ASSERT_EQ(r.bands, bands);
  EXPECT_DOUBLE_EQ(r.gt[0], 10);
  EXPECT_DOUBLE_EQ(r.gt[1], 0.5);
  EXPECT_DOUBLE_EQ(r.gt[3], 170);
  EXPECT_DOUBLE_EQ(r.gt[5], -0.5);
  long wrong = 0;
  for (int b = 0; b < bands; ++b)
    for (int row = 0; row < r.rows; ++row)
      for (int c = 0; c < r.cols; ++c) {
        const bool skipped = skip.count({c / 256, row / 256}) > 0;
        double got = r.at(b, c, row);
        if (ct.kind == CellKind::Int8 && got > 127) got -= 256;  // GDAL 3.6 reads SIGNEDBYTE as unsigned
        const double want = skipped ? (ct.has_nodata() ? NAN : 0.0) : value_at(ct, b, c, row);
        if (std::isnan(want) ? !std::isnan(got) : got != want) ++wrong;
      }
  EXPECT_EQ(wrong, 0) << path;
}

TEST(GeoTiffWriter, EveryCellTypeRoundTrips) {
  TempDir dir;
  for (const char* name :
       {"bool", "int8", "uint8raw", "uint8", "int16", "uint16ud7", "int32", "float32", "float64ud-1.5"}) {
    SCOPED_TRACE(name);
    const CellType ct = CellType::parse(name);
    const fs::path p = write_file_of(dir, std::string(name) + ".tif", ct, 1, {});
    expect_cells(p, ct, 1, {});
    // The file declares the cell type's NoData and data type.
    const test::Raster r = test::read_raster(p);
    EXPECT_EQ(r.gdal_type, GDALGetDataTypeName(static_cast<GDALDataType>(gdal_type_for(ct))));
    EXPECT_EQ(r.nodata[0].has_value(), ct.has_nodata());
    if (ct.has_nodata() && !std::isnan(ct.nodata())) {
      EXPECT_EQ(*r.nodata[0], ct.nodata());
    }
  }
}

TEST(GeoTiffWriter, MultibandAndEveryCodec) {
  TempDir dir;
  const CellType ct = CellType::parse("uint16");
  for (const char* codec : {"deflate", "lzw", "zstd", "lzma", "packbits", "none"}) {
    SCOPED_TRACE(codec);
    GeoTiffOptions o;
    o.compression = codec;
    const fs::path p = write_file_of(dir, std::string(codec) + ".tif", ct, 3, o);
    expect_cells(p, ct, 3, {});
    GDALDatasetUniquePtr ds(GDALDataset::Open(p.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
    ASSERT_TRUE(ds);
    const char* comp = ds->GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE");
    if (std::string(codec) == "none")
      EXPECT_EQ(comp, nullptr);
    else
      EXPECT_TRUE(comp && EQUAL(comp, codec)) << (comp ? comp : "(none)");
    int bx = 0, by = 0;
    ds->GetRasterBand(1)->GetBlockSize(&bx, &by);
    EXPECT_EQ(bx, 256);
    EXPECT_EQ(by, 256);
  }
}

// Uncompressed (and the COG's uncompressed assembly), GDAL leaves an all-zero block unwritten until the
// file is closed: the encoder gives its zeros, for every cell type, bit cells included.
TEST(BlockEncoder, AllZeroBlocksUncompressed) {
  for (const char* name : {"bool", "uint8raw", "int16", "float32", "float64"}) {
    SCOPED_TRACE(name);
    const CellType ct = CellType::parse(name);
    for (bool cog : {false, true}) {
      GeoTiffOptions o;
      o.compression = "none";
      o.cog = cog;
      Tile zero(ct, 256, 256, 2), some(ct, 256, 256, 2);
      for (auto* t : {&zero, &some}) std::fill(t->raw().begin(), t->raw().end(), std::byte{0});
      some.set(1, 3, 4, 1);
      const BlockEncoder enc(ct, 2, o);
      const auto blocks = enc.encode({&zero, &some, &zero});
      ASSERT_EQ(blocks.size(), 3u);
      EXPECT_EQ(blocks[0].size(), blocks[1].size());
      EXPECT_TRUE(blocks[0] == blocks[2]);
      EXPECT_TRUE(
          std::all_of(blocks[0].begin(), blocks[0].end(), [](std::byte b) { return b == std::byte{0}; }));
      EXPECT_FALSE(blocks[0] == blocks[1]);
    }
  }
}

TEST(GeoTiffWriter, BlocksNeverWrittenAreNoData) {
  TempDir dir;
  const std::set<std::pair<long, long>> skip = {{1, 0}, {2, 1}};
  for (const char* name : {"float32", "int16raw"}) {
    SCOPED_TRACE(name);
    const CellType ct = CellType::parse(name);
    expect_cells(write_file_of(dir, std::string(name) + ".tif", ct, 2, {}, skip), ct, 2, skip);
  }
}

// The encoder's bytes are the bytes GDAL stores when it writes the same cells itself: for DEFLATE (the
// encoder's own libdeflate path) every cell type GDAL stores in bytes, one band and two (interleaved),
// blocks with NoData beyond the file's edge; and for LZW (GDAL's path).
TEST(BlockEncoder, BlocksAreWhatGdalWrites) {
  TempDir dir;
  GDALAllRegister();
  const std::pair<const char*, const char*> kCases[] = {
      {"float32", "DEFLATE"}, {"float64", "DEFLATE"}, {"int8", "DEFLATE"},  {"uint8", "DEFLATE"},
      {"int16", "DEFLATE"},   {"uint16", "DEFLATE"},  {"int32", "DEFLATE"}, {"int16raw", "DEFLATE"},
      {"float32", "LZW"},     {"int16", "LZW"}};
  for (const auto& [name, codec] : kCases)
    for (const int bands : {1, 2}) {
      SCOPED_TRACE(std::string(name) + " " + codec + " " + std::to_string(bands) + " band(s)");
      const CellType ct = CellType::parse(name);
      const auto type = static_cast<GDALDataType>(gdal_type_for(ct));
      const int bytes = ct.bytes();
      GeoTiffOptions o;
      o.block_size = 128;
      o.compression = codec == std::string("LZW") ? "lzw" : "deflate";
      // GDAL writes a file of 2 x 1 blocks whose right block is cut by the file's edge (cols 200).
      const fs::path ref = dir / (std::string(name) + codec + std::to_string(bands) + ".tif");
      const long cols = 200, rows = 128;
      {
        CPLStringList co;
        co.SetNameValue("TILED", "YES");
        co.SetNameValue("BLOCKXSIZE", "128");
        co.SetNameValue("BLOCKYSIZE", "128");
        co.SetNameValue("INTERLEAVE", "PIXEL");
        co.SetNameValue("COMPRESS", codec);
        if (ct.kind == CellKind::Int8) co.SetNameValue("PIXELTYPE", "SIGNEDBYTE");
        GDALDatasetUniquePtr ds(GetGDALDriverManager()->GetDriverByName("GTiff")->Create(
            ref.c_str(), 256, 128, bands, type, co.List()));
        ASSERT_TRUE(ds);
        for (long bx = 0; bx < 2; ++bx) {
          const Tile t = block(ct, bands, 128, bx, 0, cols, rows);
          ASSERT_EQ(ds->RasterIO(GF_Write, static_cast<int>(bx * 128), 0, 128, 128,
                                 const_cast<std::byte*>(t.band_data(0)), 128, 128, type, bands, nullptr,
                                 bytes, 128 * bytes, 128 * 128 * bytes, nullptr),
                    CE_None);
        }
      }
      GDALDatasetUniquePtr ds(GDALDataset::Open(ref.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
      ASSERT_TRUE(ds);
      const std::string file = test::read_file(ref);
      const BlockEncoder enc(ct, bands, o);
      // The DEFLATE cases test the encoder's own path, not GDAL's beside it.
      EXPECT_EQ(enc.compresses_with_libdeflate(), o.compression == "deflate");
      const Tile t0 = block(ct, bands, 128, 0, 0, cols, rows), t1 = block(ct, bands, 128, 1, 0, cols, rows);
      const auto encoded = enc.encode({&t0, &t1});
      ASSERT_EQ(encoded.size(), 2u);
      for (int bx = 0; bx < 2; ++bx) {
        const std::string id = "_" + std::to_string(bx) + "_0";
        const long off =
            std::atol(ds->GetRasterBand(1)->GetMetadataItem(("BLOCK_OFFSET" + id).c_str(), "TIFF"));
        const long size =
            std::atol(ds->GetRasterBand(1)->GetMetadataItem(("BLOCK_SIZE" + id).c_str(), "TIFF"));
        ASSERT_GT(size, 0);
        ASSERT_EQ(static_cast<long>(encoded[bx].size()), size);
        EXPECT_EQ(0, std::memcmp(encoded[bx].data(), file.data() + off, static_cast<std::size_t>(size)));
      }
      const Tile wrong(ct, 64, 64, bands);
      EXPECT_THROW(enc.encode({&wrong}), std::invalid_argument);
    }
}

TEST(GeoTiffWriter, CogHasOverviewsAndTheSameCells) {
  TempDir dir;
  const CellType ct = CellType::parse("int16");
  GeoTiffOptions o;
  o.cog = true;
  o.block_size = 128;
  const fs::path p = dir / "cog.tif";
  {
    const GridExtent g{{0, 0, 1000, 600}, 1000, 600};
    GeoTiffWriter w(p.string(), g, Crs::from_epsg(3857), ct, 1, o);
    const BlockEncoder enc(ct, 1, o);
    for (long by = 0; by < w.blocks_down(); ++by)
      for (long bx = 0; bx < w.blocks_across(); ++bx) {
        const Tile t = block(ct, 1, 128, bx, by, 1000, 600);
        w.write_block(bx, by, enc.encode({&t}).front());
      }
    w.commit();
  }
  GDALDatasetUniquePtr ds(GDALDataset::Open(p.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  ASSERT_TRUE(ds);
  const char* layout = ds->GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE");
  EXPECT_TRUE(layout && EQUAL(layout, "COG"));
  EXPECT_GE(ds->GetRasterBand(1)->GetOverviewCount(), 1);
  const test::Raster r = test::read_raster(p);
  long wrong = 0;
  for (int row = 0; row < 600; ++row)
    for (int c = 0; c < 1000; ++c) wrong += r.at(0, c, row) != value_at(ct, 0, c, row);
  EXPECT_EQ(wrong, 0);
}

TEST(GeoTiffWriter, NothingVisibleUntilCommitAndNothingLeftWithout) {
  TempDir dir;
  const CellType ct = CellType::parse("uint8");
  auto visible = [&] {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir.path()))
      if (e.path().filename().string()[0] != '.') names.push_back(e.path().filename().string());
    return names;
  };
  {
    GeoTiffWriter w((dir / "a.tif").string(), kGrid, Crs::from_epsg(4326), ct, 1, {});
    EXPECT_TRUE(visible().empty());
  }  // destroyed without commit
  EXPECT_TRUE(fs::is_empty(dir.path()));
  write_file_of(dir, "b.tif", ct, 1, {});
  EXPECT_EQ(visible(), std::vector<std::string>{"b.tif"});
}

TEST(GeoTiffWriter, GdalVirtualPathsAreWrittenWhenComplete) {
  const CellType ct = CellType::parse("float32");
  const std::string path = "/vsimem/trellis-geotiff-test/out.tif";
  {
    GeoTiffWriter w(path, kGrid, Crs::from_epsg(4326), ct, 1, {});
    const BlockEncoder enc(ct, 1, {});
    const Tile t = block(ct, 1, 256, 0, 0, kGrid.cols, kGrid.rows);
    w.write_block(0, 0, enc.encode({&t}).front());
    VSIStatBufL st;
    EXPECT_NE(VSIStatL(path.c_str(), &st), 0);  // not there before commit
    w.commit();
  }
  GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  ASSERT_TRUE(ds);
  float v = 0;
  ASSERT_EQ(ds->GetRasterBand(1)->RasterIO(GF_Read, 5, 7, 1, 1, &v, 1, 1, GDT_Float32, 0, 0), CE_None);
  EXPECT_EQ(v, static_cast<float>(value_at(ct, 0, 5, 7)));
  ds.reset();
  VSIUnlink(path.c_str());
}

TEST(GeoTiffWriter, BadBlockAndBadFolder) {
  TempDir dir;
  const CellType ct = CellType::parse("uint8");
  GeoTiffWriter w((dir / "c.tif").string(), kGrid, Crs::from_epsg(4326), ct, 1, {});
  const std::vector<std::byte> some(10);
  EXPECT_THROW(w.write_block(3, 0, some), std::out_of_range);
  test::write_file(dir / "file", "x");
  EXPECT_THROW(GeoTiffWriter((dir / "file" / "d.tif").string(), kGrid, Crs::from_epsg(4326), ct, 1, {}),
               trellis::IoError);
}

}  // namespace
}  // namespace trellis::io
