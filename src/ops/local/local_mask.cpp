// local_mask: the cells of a layer where another layer holds a given value set to a new one (GeoTrellis'
// localMask and localInverseMask).
#include <algorithm>
#include <cmath>

#include "job/op.hpp"
#include "mpi/skeletons.hpp"
#include "ops/local/joined.hpp"
#include "ops/registry.hpp"

namespace trellis::ops {

namespace {

struct LocalMaskArgs {
  double read_mask = 0;
  std::optional<double> write_mask;
  bool inverse = false;
  std::int64_t round_mb = 64;
};

void declare(job::Schema<LocalMaskArgs>& s) {
  using A = LocalMaskArgs;
  s.add("read_mask", &A::read_mask, "the value of the mask layer that selects a cell").required();
  s.add("write_mask", &A::write_mask, "the value the selected cells get (default: NoData)");
  s.add("inverse", &A::inverse,
        "select the cells where the mask does not hold read_mask (GeoTrellis' localInverseMask)");
  s.add("round_mb", &A::round_mb, "MiB per exchange round when the two layers' tiles live on different ranks")
      .range(1, 1 << 20)
      .site_default(&job::SiteDefaults::round_mb);
}

// The two inputs, `layer` and `mask`, and the output's metadata. Throws JobError.
template <class Ctx, class MdOf>
LayerMetadata check(const Ctx& ctx, MdOf md_of) {
  const auto& in = ctx.params.inputs();
  if (in.size() != 2 || !in.count("layer") || !in.count("mask"))
    throw ctx.params.step_error("local_mask takes `inputs: {layer: STEP, mask: STEP}`");
  const LayerMetadata& l = md_of("layer");
  const LayerMetadata& m = md_of("mask");
  if (m.bands != 1 && m.bands != l.bands)
    throw ctx.params.step_error("the mask has " + std::to_string(m.bands) + " bands and the layer " +
                                std::to_string(l.bands) + ": give a one-band mask, or one band per band");
  try {
    return joined_metadata({{"layer", &l}, {"mask", &m}}, l.cell_type, l.bands, false);
  } catch (const JobError& e) {
    throw ctx.params.step_error(e.what());
  }
}

job::StepValue run(job::StepContext& ctx, const LocalMaskArgs& a) {
  const LayerMetadata md = check(
      ctx, [&](const std::string& n) -> const LayerMetadata& { return ctx.input_as<TiledLayer>(n).md; });
  const std::string names[] = {"layer", "mask"};
  const JoinedInputs in = join_inputs(ctx, names, mpi::Join::Inner, a.round_mb);
  const double write = a.write_mask.value_or(NAN);
  ctx.progress.begin(in.aligned.keys.size(), "tiles");
  return mpi::map_aligned(
      in.aligned, md,
      [&](const SpaceTimeKey&, std::span<const Tile* const> t) {
        Tile out = *t[0];
        const Tile& m = *t[1];
        // Blocks of the mask read as doubles (NoData: NaN, equal to no read_mask); the selected cells get
        // write_mask in the layer's cell type, the others keep their stored value.
        constexpr std::size_t kBlock = 2048;
        double mv[kBlock];
        dispatch_kind(out.cell_type().kind, [&](auto zero) {
          using T = decltype(zero);
          const T to = narrow_from_double<T>(write, out.cell_type());
          for (int b = 0; b < out.bands(); ++b) {
            const int mb = m.bands() == 1 ? 0 : b;
            T* d = out.band_as<T>(b);
            for (std::size_t at = 0; at < out.cells(); at += kBlock) {
              const std::size_t n = std::min(kBlock, out.cells() - at);
              dispatch_kind(m.cell_type().kind, [&](auto mzero) {
                read_cells(m.band_as<decltype(mzero)>(mb) + at, n, m.cell_type(), mv);
              });
              for (std::size_t i = 0; i < n; ++i)
                if ((mv[i] == a.read_mask) != a.inverse) d[at + i] = to;
            }
          }
        });
        ctx.progress.advance();
        return std::optional<Tile>(std::move(out));
      },
      in.consumed);
}

job::Shape plan(job::PlanContext& ctx, const LocalMaskArgs& a) {
  const LayerMetadata md =
      check(ctx, [&](const std::string& n) -> const LayerMetadata& { return ctx.input(n).layer().md; });
  job::Shape s;
  s.kind = job::ValueKind::TiledLayer;
  s.levels.push_back({md, std::min(ctx.input("layer").layer().tiles, ctx.input("mask").layer().tiles)});
  s.working_bytes_per_rank = job::round_working_bytes(a.round_mb);
  return s;
}

const OpRegistration kLocalMask{job::make_op<LocalMaskArgs>(
    {.name = "local_mask",
     .group = "local",
     .help = "set the cells where a mask layer holds read_mask to write_mask (GeoTrellis' localMask)",
     .doc = R"md(## Semantics

GeoTrellis' `localMask(mask, readMask, writeMask)`: `inputs: {layer: STEP, mask: STEP}`; each cell of
`layer` whose cell in `mask` equals `read_mask` becomes `write_mask` (default NoData), the others keep
their value. `inverse: true` is `localInverseMask`: the cells where the mask does *not* hold
`read_mask` change.

- The mask's cells are compared as numbers (a NoData mask cell equals no `read_mask`); `write_mask` is
  stored as the layer's cell type stores it (GeoTrellis' conversion).
- Keys are inner-joined (GeoTrellis' combineValues): a tile without a mask tile is left out. The two
  layers must share their layout and CRS.
- A one-band mask applies to every band; a mask with as many bands as the layer masks band by band.
- The output has the layer's cell type and bands.

## Example

```yaml
- op: local_mask
  inputs: {layer: ndvi, mask: clouds}
  read_mask: 1
```
)md",
     .inputs = job::Inputs::Named,
     .accepts = {job::ValueKind::TiledLayer},
     .produces = job::ValueKind::TiledLayer},
    declare, run, plan)};

}  // namespace

}  // namespace trellis::ops
