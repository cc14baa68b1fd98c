// local_mask through the op: GeoTrellis' localMask and localInverseMask cell by cell against a direct
// computation, on int and float layers, one-band and per-band masks, and the refusals.
#include <gtest/gtest.h>

#include <cmath>

#include "layers.hpp"
#include "op_runner.hpp"

namespace trellis::test {
namespace {

TiledLayer local_mask(const TiledLayer& layer, const TiledLayer& mask, const nlohmann::json& p) {
  return std::get<TiledLayer>(run_op_named("local_mask", {{"layer", layer}, {"mask", mask}}, params(p)));
}

TEST(LocalMask, CellsWhereTheMaskHoldsReadMaskChange) {
  const std::vector<double> values = {1, 2, 3, 4, NAN, 6, 7, 8, 9};
  const std::vector<double> m = {0, 1, 0, 1, 1, NAN, 2, 1, 0};
  for (const std::string ct : {"int16", "float32ud-1.0"}) {
    SCOPED_TRACE(ct);
    const TiledLayer layer = single_tile_layer(CellType::parse(ct), 3, 3, values);
    const TiledLayer mask = single_tile_layer(CellType::parse("uint8raw"), 3, 3, m);
    for (bool inverse : {false, true})
      for (const nlohmann::json& write : {nlohmann::json(nullptr), nlohmann::json(-5)}) {
        nlohmann::json p = {{"read_mask", 1}, {"inverse", inverse}};
        if (!write.is_null()) p["write_mask"] = write;
        const TiledLayer out = local_mask(layer, mask, p);
        EXPECT_EQ(out.md.cell_type.name(), CellType::parse(ct).name());
        const Tile& t = out.tiles.at({0, 0, 0});
        for (int i = 0; i < 9; ++i) {
          // uint8raw has no NoData: the NaN mask cell is stored as 0.
          const double mv = std::isnan(m[i]) ? 0 : m[i];
          const bool selected = (mv == 1) != inverse;
          const double want = selected ? (write.is_null() ? NAN : -5.0) : values[i];
          const double got = t.get(0, i % 3, i / 3);
          if (std::isnan(want))
            EXPECT_TRUE(std::isnan(got)) << i;
          else
            EXPECT_EQ(got, want) << i;
        }
      }
  }
}

TEST(LocalMask, PerBandMaskAndRefusals) {
  const TiledLayer layer = single_tile_layer(CellType::parse("int32"), 2, 1, {1, 2, 3, 4}, 2);
  const TiledLayer mask2 = single_tile_layer(CellType::parse("int32"), 2, 1, {7, 0, 0, 7}, 2);
  const TiledLayer out = local_mask(layer, mask2, {{"read_mask", 7}, {"write_mask", 9}});
  const Tile& t = out.tiles.at({0, 0, 0});
  EXPECT_EQ(t.get(0, 0, 0), 9);
  EXPECT_EQ(t.get(0, 1, 0), 2);
  EXPECT_EQ(t.get(1, 0, 0), 3);
  EXPECT_EQ(t.get(1, 1, 0), 9);
  const TiledLayer mask3 = single_tile_layer(CellType::parse("int32"), 2, 1, {0, 0, 0, 0, 0, 0}, 3);
  EXPECT_THROW(local_mask(layer, mask3, {{"read_mask", 0}}), JobError);
  EXPECT_THROW(run_op_named("local_mask", {{"a", layer}, {"mask", mask2}}, params({{"read_mask", 0}})),
               JobError);
}

}  // namespace
}  // namespace trellis::test
