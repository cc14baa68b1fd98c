#include "ops/local/joined.hpp"

#include "core/error.hpp"

namespace trellis::ops {

LayerMetadata joined_metadata(const std::vector<std::pair<std::string, const LayerMetadata*>>& layers,
                              const CellType& cell_type, int bands, bool union_keys) {
  const auto& [first_name, first] = layers.front();
  LayerMetadata md = *first;
  for (const auto& [name, m] : layers) {
    if (!(m->layout == first->layout) || !m->crs.equivalent(first->crs))
      throw JobError(
          "inputs '" + first_name + "' and '" + name +
          "' have different layouts or CRSs: tile them to one layout (tile_to_layout with the same "
          "layout, or reproject) first");
    if (union_keys) {
      md.bounds = md.bounds.combine(m->bounds);
      md.extent = md.extent.combine(m->extent);
    } else {
      const GridBounds g = md.bounds.grid().intersection(m->bounds.grid());
      md.bounds.min.col = static_cast<std::int32_t>(g.col_min);
      md.bounds.min.row = static_cast<std::int32_t>(g.row_min);
      md.bounds.max.col = static_cast<std::int32_t>(g.col_max);
      md.bounds.max.row = static_cast<std::int32_t>(g.row_max);
      md.extent = md.extent.intersection(m->extent);
    }
  }
  md.cell_type = cell_type;
  md.bands = bands;
  return md;
}

JoinedInputs join_inputs(job::StepContext& ctx, std::span<const std::string> names, mpi::Join join,
                         std::int64_t round_mb) {
  std::vector<const TiledLayer*> layers;
  JoinedInputs in;
  for (const auto& n : names) {
    layers.push_back(&ctx.input_as<TiledLayer>(n));
    in.consumed.push_back(ctx.consumable_input<TiledLayer>(n));
  }
  in.aligned = mpi::align_layers(layers, names, join, static_cast<std::size_t>(round_mb) << 20);
  return in;
}

}  // namespace trellis::ops
