#include "util/test_util.hpp"

#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace trellis::test {

TempDir::TempDir() {
  std::random_device rd;
  auto base = fs::temp_directory_path();
  for (int i = 0; i < 100; ++i) {
    auto p = base / ("trellis-test-" + std::to_string(rd()));
    if (fs::create_directory(p)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary folder");
}

TempDir::~TempDir() {
  if (std::getenv("TRELLIS_KEEP_TEST_DIRS")) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path TempDir::write(const std::string& name, const std::string& text) const {
  const fs::path p = path_ / name;
  fs::create_directories(p.parent_path());
  write_file(p, text);
  return p;
}

RunResult run_command(const std::string& cmd) {
  TempDir tmp;
  auto out = tmp / "out.txt", err = tmp / "err.txt";
  std::string full = "( " + cmd + " ) >'" + out.string() + "' 2>'" + err.string() + "' </dev/null";
  auto t0 = std::chrono::steady_clock::now();
  int st = std::system(full.c_str());
  RunResult r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

RunResult run_trellis(const std::string& args, int np) {
  std::string bin = TRELLIS_BINARY;
  if (np <= 0) return run_command("'" + bin + "' " + args);
  return run_command(std::string(TRELLIS_MPIEXEC) + " -n " + std::to_string(np) +
                     " --oversubscribe --allow-run-as-root '" + bin + "' " + args);
}

fs::path source_dir() {
  if (const char* s = std::getenv("TRELLIS_SOURCE_DIR")) return s;
  return fs::path(TRELLIS_TEST_SOURCE_DIR).parent_path();
}

std::optional<fs::path> shared_dir() {
  fs::path p;
  if (const char* s = std::getenv("TRELLIS_SHARED"))
    p = s;
  else
    p = source_dir() / ".." / "shared";
  if (fs::exists(p / "DESIGN.md")) return fs::canonical(p);
  return std::nullopt;
}

fs::path data_dir() {
  if (const char* s = std::getenv("TRELLIS_DATA")) return s;
  return source_dir() / "data";
}

void write_file(const fs::path& p, const std::string& text) {
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + p.string());
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Raster read_raster(const fs::path& p) {
  GDALAllRegister();
  std::unique_ptr<GDALDataset> ds(GDALDataset::Open(p.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!ds) throw std::runtime_error("cannot open raster " + p.string());
  Raster r;
  r.cols = ds->GetRasterXSize();
  r.rows = ds->GetRasterYSize();
  r.bands = ds->GetRasterCount();
  r.gt.assign(6, 0.0);
  ds->GetGeoTransform(r.gt.data());
  if (auto* srs = ds->GetSpatialRef()) {
    char* w = nullptr;
    srs->exportToWkt(&w);
    r.wkt = w ? w : "";
    CPLFree(w);
  }
  for (int b = 1; b <= r.bands; ++b) {
    auto* band = ds->GetRasterBand(b);
    int has = 0;
    double nd = band->GetNoDataValue(&has);
    r.nodata.push_back(has ? std::optional<double>(nd) : std::nullopt);
    r.gdal_type = GDALGetDataTypeName(band->GetRasterDataType());
    std::vector<double> cells(static_cast<size_t>(r.cols) * r.rows);
    if (band->RasterIO(GF_Read, 0, 0, r.cols, r.rows, cells.data(), r.cols, r.rows, GDT_Float64, 0, 0) !=
        CE_None)
      throw std::runtime_error("cannot read " + p.string());
    if (has)
      for (auto& v : cells)
        if (v == nd || (std::isnan(nd) && std::isnan(v))) v = std::nan("");
    r.cells.push_back(std::move(cells));
  }
  return r;
}

void write_raster(const fs::path& p, const std::string& gdal_type, int cols, int rows, int bands,
                  const std::vector<double>& gt, const std::string& srs, std::optional<double> nodata,
                  const std::vector<std::vector<double>>& cells) {
  GDALAllRegister();
  auto* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  GDALDataType t = GDALGetDataTypeByName(gdal_type.c_str());
  std::unique_ptr<GDALDataset> ds(drv->Create(p.c_str(), cols, rows, bands, t, nullptr));
  if (!ds) throw std::runtime_error("cannot create " + p.string());
  std::vector<double> g = gt;
  if (g.size() == 6) ds->SetGeoTransform(g.data());  // none: not georeferenced
  if (!srs.empty()) {
    OGRSpatialReference sr;
    sr.SetFromUserInput(srs.c_str());
    ds->SetSpatialRef(&sr);
  }
  for (int b = 1; b <= bands; ++b) {
    auto* band = ds->GetRasterBand(b);
    if (nodata) band->SetNoDataValue(*nodata);
    std::vector<double> c = cells.at(b - 1);
    if (band->RasterIO(GF_Write, 0, 0, cols, rows, c.data(), cols, rows, GDT_Float64, 0, 0) != CE_None)
      throw std::runtime_error("cannot write " + p.string());
  }
}

bool same_cells(const Raster& a, const Raster& b, std::string* why) {
  auto fail = [&](const std::string& w) {
    if (why) *why = w;
    return false;
  };
  if (a.cols != b.cols || a.rows != b.rows || a.bands != b.bands)
    return fail("shape " + std::to_string(a.cols) + "x" + std::to_string(a.rows) + "x" +
                std::to_string(a.bands) + " vs " + std::to_string(b.cols) + "x" + std::to_string(b.rows) +
                "x" + std::to_string(b.bands));
  for (int i = 0; i < 6; ++i)
    if (std::fabs(a.gt[i] - b.gt[i]) > 1e-9 * std::max(1.0, std::fabs(a.gt[i])))
      return fail("geotransform[" + std::to_string(i) + "] " + std::to_string(a.gt[i]) + " vs " +
                  std::to_string(b.gt[i]));
  for (int bd = 0; bd < a.bands; ++bd)
    for (size_t i = 0; i < a.cells[bd].size(); ++i) {
      double x = a.cells[bd][i], y = b.cells[bd][i];
      if (std::isnan(x) && std::isnan(y)) continue;
      if (x != y) {
        std::ostringstream os;
        os << "band " << bd << " cell (" << i % a.cols << "," << i / a.cols << "): " << x << " vs " << y;
        return fail(os.str());
      }
    }
  return true;
}

}  // namespace trellis::test
