#pragma once
// Planning: what each step will give, known from the job and the inputs' metadata before any work.
//
// `trellis validate` and `trellis run` plan every step before the first one runs. An op's plan checks
// what the metadata can tell (band indexes, CRSs, zoom depth, outputs) with the same JobErrors its run
// would raise later, and gives the shape of its value: a raster layer's sources, a tiled layer's
// metadata and how many tiles it will hold, a pyramid's levels. From the shapes the executor estimates
// each step's memory on the busiest rank and refuses a job over the budget (memory_plan.hpp).
//
// A step whose op has no plan, or whose input's shape is unknown, has an unknown shape: the checks that
// need it are skipped at load and made at the start of the step from the real input instead.
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "job/args_access.hpp"
#include "job/log.hpp"
#include "job/value.hpp"

namespace trellis::job {

// Byte arithmetic of estimates: absurd layouts (2e9 x 2e9 tiles) saturate instead of wrapping around.
inline std::uint64_t sat_mul(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a)
    return std::numeric_limits<std::uint64_t>::max();
  return a * b;
}
inline std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) {
  return b > std::numeric_limits<std::uint64_t>::max() - a ? std::numeric_limits<std::uint64_t>::max()
                                                           : a + b;
}
inline std::uint64_t sat_sub(std::uint64_t a, std::uint64_t b) {
  return a > b ? a - b : 0;
}

// The working memory of an op that exchanges in rounds of `round_mb` MiB: one round sent, one received.
inline std::uint64_t round_working_bytes(std::int64_t round_mb) {
  return 2 * (static_cast<std::uint64_t>(round_mb < 0 ? 0 : round_mb) << 20);
}

struct JobInfo;

// A tiled layer's metadata and how many tiles it will hold at most (over all ranks). Tiles that hold no
// data cell are never made, so `tiles` counts the keys the data reaches, not the layout's.
struct PlannedLayer {
  LayerMetadata md;
  std::uint64_t tiles = 0;

  std::uint64_t tile_bytes() const;  // one tile's cells, all bands
  // The instants of a spacetime layer as far as its tiles and key bounds tell (1 for spatial layers).
  std::uint64_t instants() const;
  // On the busiest rank: the partitioner balances ranks by tile count.
  std::uint64_t bytes_per_rank(int ranks) const;
};

// A value without its data.
struct Shape {
  ValueKind kind = ValueKind::None;
  RasterLayer raster;                // RasterLayer: sources and total_windows (no windows)
  std::vector<PlannedLayer> levels;  // TiledLayer: one; Pyramid: each level, highest zoom first
  // Memory the step itself uses on the busiest rank while it runs, beyond its inputs and its value
  // (exchange rounds, assembly buffers).
  std::uint64_t working_bytes_per_rank = 0;
  // The value is built in its input's memory when no later step reads the input (pyramid's start
  // level is its input): the two are not held at once.
  bool reuses_input = false;
  // What would make the value fit when it does not ("zoom: 6"), set by ops that can tell.
  std::string fits_hint;
  // What the plan read that the op's run reuses instead of reading it again (rasterize's features), in
  // the op's own type; empty for most ops. Shared, so that copies of the shape stay cheap.
  std::shared_ptr<const void> op_data;

  const PlannedLayer& layer() const;  // the TiledLayer's one level; throws std::logic_error otherwise
  // The bytes the value keeps on the busiest rank (raster layers are streamed: none).
  std::uint64_t bytes_per_rank(int ranks) const;
};

// The shape of a layer computed cell by cell from `in` (map_tiles): the same layout, keys and tiles, in
// `cell_type` when given; held beside its input, with no working memory of its own.
Shape cellwise(const Shape& in, const std::optional<CellType>& cell_type = std::nullopt);

// The shape of a value that exists (at the start of a step whose plan was unknown at load). Collective:
// the tile counts are summed over the ranks.
Shape shape_of(const StepValue& v);

// What an op's plan sees: its parameters and typed arguments, its inputs' shapes, the job, the ranks and
// the memory left for its value on the busiest rank.
struct PlanContext : ArgsAccess {
  std::map<std::string, const Shape*> inputs;  // "input" for single-input ops
  const JobInfo& job;
  const Logger& log;
  int ranks = 1;
  // The budget per rank minus the values still held and a process's base: what the step's value and
  // working memory may use (nullopt: no budget).
  std::optional<std::uint64_t> headroom_per_rank;

  PlanContext(const Params& p, const JobInfo& j, const Logger& l) : ArgsAccess(p), job(j), log(l) {}
  // A warning about the step, logged (rank 0) once the whole job is planned: a job refused by a later
  // step prints its one error line only.
  void warn(const std::string& msg, const nlohmann::json& fields = nullptr) {
    warnings.emplace_back(msg, fields);
  }
  std::vector<std::pair<std::string, nlohmann::json>> warnings;
  const Shape& input(const std::string& name = "input") const;
  // Whether a value of this shape, with `working` bytes per rank of working memory, fits the headroom
  // on `ranks` ranks.
  bool fits(const Shape& s, std::uint64_t working) const {
    return fits_bytes(s.bytes_per_rank(ranks), working);
  }
  bool fits(const PlannedLayer& l, std::uint64_t working) const {
    return fits_bytes(l.bytes_per_rank(ranks), working);
  }

 private:
  bool fits_bytes(std::uint64_t value, std::uint64_t working) const {
    return !headroom_per_rank || sat_add(value, working) <= *headroom_per_rank;
  }
};

}  // namespace trellis::job
