// One tile's cells as JSON (tile_json.hpp).
#include "ops/catalog/tile_json.hpp"

#include <cmath>

namespace trellis::ops::catalog {

nlohmann::json tile_json(const SpaceTimeKey& key, const Tile& tile) {
  nlohmann::json bands = nlohmann::json::array();
  for (int b = 0; b < tile.bands(); ++b) {
    nlohmann::json rows = nlohmann::json::array();
    for (int r = 0; r < tile.rows(); ++r) {
      nlohmann::json row = nlohmann::json::array();
      for (int c = 0; c < tile.cols(); ++c) {
        const double v = tile.get(b, c, r);
        row.push_back(std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v));
      }
      rows.push_back(std::move(row));
    }
    bands.push_back(std::move(rows));
  }
  return {{"col", key.col},      {"row", key.row},      {"cell_type", tile.cell_type().name()},
          {"cols", tile.cols()}, {"rows", tile.rows()}, {"bands", std::move(bands)}};
}

}  // namespace trellis::ops::catalog
