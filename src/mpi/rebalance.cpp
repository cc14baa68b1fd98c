#include "mpi/rebalance.hpp"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "mpi/collectives.hpp"
#include "mpi/partition.hpp"
#include "mpi/runtime.hpp"

namespace trellis::mpi {

bool rebalance(TiledLayer& layer, std::size_t round_bytes, double tolerance) {
  const std::vector<std::uint64_t> counts =
      allgatherv_values(std::vector<std::uint64_t>{static_cast<std::uint64_t>(layer.tiles.size())});
  const std::uint64_t total = std::accumulate(counts.begin(), counts.end(), std::uint64_t{0});
  const double limit = tolerance * static_cast<double>(total) / static_cast<double>(counts.size()) + 1;
  if (static_cast<double>(*std::max_element(counts.begin(), counts.end())) <= limit) return false;

  std::vector<SpaceTimeKey> keys;
  keys.reserve(layer.tiles.size());
  for (const auto& kv : layer.tiles) keys.push_back(kv.first);
  layer.partitioner = balance(keys, layer.partitioner.kind(), layer.md.bounds);
  keys.clear();
  const int me = Runtime::rank();
  std::vector<SpaceTimeKey> leaving;
  for (const auto& kv : layer.tiles)
    if (layer.partitioner.owner(kv.first) != me) leaving.push_back(kv.first);
  std::size_t next = 0;
  exchange(
      [&](std::vector<Outgoing>& out) {
        for (std::size_t bytes = 0; next < leaving.size() && (bytes == 0 || bytes < round_bytes); ++next) {
          auto node = layer.tiles.extract(leaving[next]);  // the tile leaves this rank's memory as it goes
          Piece p;
          p.key = node.key();
          p.tile = std::move(node.mapped());
          bytes += piece_bytes(p);
          out.push_back({layer.partitioner.owner(p.key), std::move(p)});
        }
        return next < leaving.size();
      },
      [&](Piece&& p) {
        check_piece(p, layer.md.cell_type, layer.md.bands, layer.md.layout.tile_layout.tile_cols,
                    layer.md.layout.tile_layout.tile_rows);
        layer.tiles.emplace(p.key, std::move(p.tile));
      });
  return true;
}

}  // namespace trellis::mpi
