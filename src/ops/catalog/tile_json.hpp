#pragma once
// One tile's cells as JSON: what read_value's `output` writes and what `trellis serve` answers at
// /values/{layer}/{zoom}/{col}/{row}.json (serve/http_server.hpp).
#include <nlohmann/json.hpp>

#include "core/key.hpp"
#include "core/tile.hpp"

namespace trellis::ops::catalog {

// {"col", "row", "cell_type", "cols", "rows", "bands": [band][row][col]}, NoData as null. Deterministic,
// not collective; throws nothing but std::bad_alloc.
nlohmann::json tile_json(const SpaceTimeKey& key, const Tile& tile);

}  // namespace trellis::ops::catalog
