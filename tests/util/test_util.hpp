#pragma once
// Helpers shared by the tests: temporary folders, running the trellis binary, reading rasters back
// with GDAL, locating ../shared and the fetched sample data.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/tile.hpp"

namespace trellis::test {

namespace fs = std::filesystem;

// A fresh temporary folder, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  fs::path operator/(const std::string& name) const { return path_ / name; }
  // Writes a text file at `name` inside the folder (creating its folders); returns its path.
  fs::path write(const std::string& name, const std::string& text) const;

 private:
  fs::path path_;
};

struct RunResult {
  int status = -1;  // exit status of the command
  std::string out, err;
  double seconds = 0;
};

// Runs a shell command, capturing stdout and stderr.
RunResult run_command(const std::string& cmd);
// Runs `trellis ARGS` on `np` ranks (np == 0: as a singleton, without mpirun).
RunResult run_trellis(const std::string& args, int np = 0);

// ../shared beside the checkout, if present.
std::optional<fs::path> shared_dir();
// The folder where scripts/fetch-data.sh puts the real sample data (TRELLIS_DATA or <source>/data).
fs::path data_dir();
fs::path source_dir();

// Writes a text file.
void write_file(const fs::path& p, const std::string& text);
std::string read_file(const fs::path& p);

// A raster read back with GDAL: all bands as doubles (NoData cells as NaN).
struct Raster {
  int cols = 0, rows = 0, bands = 0;
  std::vector<double> gt;  // geotransform
  std::string wkt;
  std::vector<std::optional<double>> nodata;
  std::vector<std::vector<double>> cells;  // per band, row-major
  std::string gdal_type;
  double at(int b, int c, int r) const { return cells[b][static_cast<size_t>(r) * cols + c]; }
};
Raster read_raster(const fs::path& p);
// Writes a GeoTIFF (GTiff) of the given type with a north-up geotransform.
void write_raster(const fs::path& p, const std::string& gdal_type, int cols, int rows, int bands,
                  const std::vector<double>& gt, const std::string& srs, std::optional<double> nodata,
                  const std::vector<std::vector<double>>& cells);
// True when two rasters have identical size, bands, geotransform and cells (NaN == NaN).
bool same_cells(const Raster& a, const Raster& b, std::string* why = nullptr);

}  // namespace trellis::test
