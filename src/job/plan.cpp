// Shapes of values (plan.hpp).
#include "job/plan.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "job/context.hpp"
#include "mpi/reduce.hpp"

namespace trellis::job {

std::uint64_t PlannedLayer::tile_bytes() const {
  const auto& tl = md.layout.tile_layout;
  return sat_mul(
      sat_mul(static_cast<std::uint64_t>(tl.tile_cols), static_cast<std::uint64_t>(tl.tile_rows)),
      sat_mul(static_cast<std::uint64_t>(md.bands), static_cast<std::uint64_t>(md.cell_type.bytes())));
}

std::uint64_t PlannedLayer::instants() const {
  const auto keys = static_cast<std::uint64_t>(md.bounds.grid().size());
  if (!md.temporal || keys == 0) return 1;
  return std::max<std::uint64_t>(1, (tiles + keys - 1) / keys);
}

std::uint64_t PlannedLayer::bytes_per_rank(int ranks) const {
  const auto n = static_cast<std::uint64_t>(ranks < 1 ? 1 : ranks);
  return sat_mul((tiles + n - 1) / n, tile_bytes());
}

const PlannedLayer& Shape::layer() const {
  if (kind != ValueKind::TiledLayer || levels.size() != 1)
    throw std::logic_error("the shape is not a tiled layer");
  return levels.front();
}

std::uint64_t Shape::bytes_per_rank(int ranks) const {
  std::uint64_t b = 0;
  if (kind == ValueKind::RasterLayer) {
    // Only the windows' descriptions are held: each rank keeps its share.
    const auto n = static_cast<std::uint64_t>(ranks < 1 ? 1 : ranks);
    b = sat_mul((raster.total_windows + n - 1) / n, sizeof(RasterWindow));
  }
  for (const auto& l : levels) b = sat_add(b, l.bytes_per_rank(ranks));
  return b;
}

Shape cellwise(const Shape& in, const std::optional<CellType>& cell_type) {
  Shape s = in;
  if (cell_type)
    for (auto& l : s.levels) l.md.cell_type = *cell_type;
  s.fits_hint.clear();
  s.reuses_input = false;
  s.working_bytes_per_rank = 0;
  return s;
}

Shape shape_of(const StepValue& v) {
  Shape s;
  s.kind = kind_of(v);
  auto planned = [](const TiledLayer& t) {
    PlannedLayer p;
    p.md = t.md;
    p.tiles = static_cast<std::uint64_t>(mpi::allreduce_sum(static_cast<std::int64_t>(t.tiles.size())));
    return p;
  };
  if (const auto* r = std::get_if<RasterLayer>(&v)) {
    s.raster.sources = r->sources;
    s.raster.total_windows = r->total_windows;
    s.raster.temporal = r->temporal;
  } else if (const auto* t = std::get_if<TiledLayer>(&v)) {
    s.levels.push_back(planned(*t));
  } else if (const auto* p = std::get_if<Pyramid>(&v)) {
    for (const auto& [z, l] : p->levels) s.levels.push_back(planned(l));
  }
  return s;
}

const Shape& PlanContext::input(const std::string& name) const {
  auto it = inputs.find(name);
  if (it == inputs.end() || !it->second) throw params.step_error("internal: missing input '" + name + "'");
  return *it->second;
}

}  // namespace trellis::job
