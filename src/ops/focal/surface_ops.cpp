// slope, aspect and hillshade: the 3x3 gradient of an elevation layer (GeoPySpark's focal SLOPE and
// ASPECT, GeoTrellis' slope, aspect and hillshade, gdaldem's), over tiles buffered by one cell of their
// neighbours, so there is no seam at tile edges. The arithmetic is ops/focal/surface.hpp.
#include <cmath>

#include "job/op.hpp"
#include "mpi/skeletons.hpp"
#include "ops/focal/surface.hpp"
#include "ops/focal/window.hpp"
#include "ops/registry.hpp"

namespace trellis::ops {

namespace {

using focal::AspectConvention;
using focal::EdgeRule;
using focal::GradientMethod;
using focal::HillshadeScale;
using focal::ZUnit;

enum class SurfaceKind { Slope, Aspect, Hillshade };

// One struct for the three ops; each declares the members it takes.
struct SurfaceArgs {
  double z_factor = 1;
  std::optional<ZUnit> z_unit;
  GradientMethod method = GradientMethod::Horn;
  EdgeRule edges = EdgeRule::Focus;
  AspectConvention aspect_convention = AspectConvention::GeoTrellis12;
  double azimuth = 315, altitude = 45;
  HillshadeScale scale = HillshadeScale::GeoTrellis;
  std::optional<CellType> cell_type;
  std::int64_t round_mb = 64;
};

void declare_common(job::Schema<SurfaceArgs>& s) {
  using A = SurfaceArgs;
  s.add("method", &A::method, "the gradient: horn (3x3, default) or zevenbergen_thorne (4 neighbours)");
  s.add("edges", &A::edges,
        "what missing neighbours take: focus (the focus value, GeoTrellis) or gdal (gdaldem "
        "-compute_edges: extrapolated at the layer's edge, the focus value for NoData)");
  s.add("cell_type", &A::cell_type, "the result's cell type");
  s.add("round_mb", &A::round_mb, "MiB of halo cells each rank sends per round")
      .range(1, 1 << 20)
      .site_default(&job::SiteDefaults::round_mb);
}

void declare_z(job::Schema<SurfaceArgs>& s) {
  using A = SurfaceArgs;
  s.add("z_factor", &A::z_factor, "elevation units per map unit multiplier (ignored with z_unit)")
      .alias("zfactor");
  s.add("z_unit", &A::z_unit,
        "for geographic layers: the elevation's unit, meters or feet; the z factor then follows each "
        "row's latitude (GeoTrellis' zfactor_lat_lng_calculator)");
  s.excludes("z_unit", "z_factor");
}

void declare_slope(job::Schema<SurfaceArgs>& s) {
  declare_common(s);
  declare_z(s);
}

void declare_aspect(job::Schema<SurfaceArgs>& s) {
  declare_common(s);
  s.add("aspect_convention", &SurfaceArgs::aspect_convention,
        "geotrellis (GeoPySpark 0.1/0.2: counter-clockwise from east, flat NaN) or azimuth (GeoTrellis 2+, "
        "gdaldem: clockwise from north, flat -1)");
}

void declare_hillshade(job::Schema<SurfaceArgs>& s) {
  using A = SurfaceArgs;
  declare_common(s);
  declare_z(s);
  s.add("azimuth", &A::azimuth, "the sun's direction, degrees clockwise from north").range(0, 360);
  s.add("altitude", &A::altitude, "the sun's height above the horizon, degrees").range(0, 90);
  s.add("scale", &A::scale,
        "geotrellis (0..127, int16, GeoTrellis' Hillshade) or gdal (1..255, uint8 with NoData 0, gdaldem's)");
}

CellType result_type(SurfaceKind kind, const SurfaceArgs& a) {
  if (a.cell_type) return *a.cell_type;
  if (kind != SurfaceKind::Hillshade) return CellType::parse("float64");  // GeoTrellis' DoubleArrayTileResult
  return CellType::parse(a.scale == HillshadeScale::Gdal ? "uint8" : "int16");
}

// The z factor of each row of tile `key`: one value, or each row's latitude (the layer is geographic).
std::vector<double> row_z_factors(const SurfaceArgs& a, const LayerMetadata& md, const SpaceTimeKey& key) {
  const int rows = md.layout.tile_layout.tile_rows;
  if (!a.z_unit) return std::vector<double>(static_cast<std::size_t>(rows), a.z_factor);
  std::vector<double> z(static_cast<std::size_t>(rows));
  const double h = md.layout.cell_size().height;
  for (int y = 0; y < rows; ++y) {
    const double lat = md.layout.extent.ymax -
                       (static_cast<double>(key.row) * rows + y + 0.5) * h;  // the row's cell centres
    z[static_cast<std::size_t>(y)] = focal::lat_lng_z_factor(lat, *a.z_unit);
  }
  return z;
}

job::StepValue run(job::StepContext& ctx, const SurfaceArgs& a, SurfaceKind kind) {
  const auto& in = ctx.input_as<TiledLayer>();
  if (a.z_unit && !in.md.crs.is_geographic())
    throw ctx.param_error(&SurfaceArgs::z_unit, "z_unit is for geographic layers; this one is in " +
                                                    in.md.crs.label() + ": give z_factor");
  LayerMetadata md = in.md;
  md.cell_type = result_type(kind, a);
  const CellWindow data = data_window(in.md);
  const TileLayout& tl = in.md.layout.tile_layout;
  const CellSize cs = in.md.layout.cell_size();
  ctx.progress.begin(in.tiles.size(), "tiles");
  return mpi::map_tiles_with_halo(
      in, 1, md,
      [&](const SpaceTimeKey& key, const Tile& buffered) {
        // Every cell of every band is written below.
        Tile out = Tile::uninitialized(md.cell_type, tl.tile_cols, tl.tile_rows, buffered.bands());
        const CellWindow own = tile_data_window(in.md, data, key);
        const std::vector<double> z = row_z_factors(a, in.md, key);
        const focal::Gradient g{a.method, a.edges, cs.width, cs.height, z};
        std::vector<double> result(static_cast<std::size_t>(tl.tile_cols) * tl.tile_rows);
        for (int b = 0; b < buffered.bands(); ++b) {
          const Window w = buffered_window(buffered, b, 1, in.md, data, key);
          const focal::SurfaceGrid grid{w.cells.data(), w.cols, w.rows, w.x0, w.y0, w.x1, w.y1};
          if (kind == SurfaceKind::Slope) focal::slope(grid, g, result);
          if (kind == SurfaceKind::Aspect) focal::aspect(grid, g, a.aspect_convention, result);
          if (kind == SurfaceKind::Hillshade)
            focal::hillshade(grid, g, a.azimuth, a.altitude, a.scale, result);
          // The padding of edge tiles is never data.
          for (int y = 0; y < tl.tile_rows; ++y)
            for (int x = 0; x < tl.tile_cols; ++x)
              if (x < own.c0 || x >= own.c1 || y < own.r0 || y >= own.r1)
                result[static_cast<std::size_t>(y) * tl.tile_cols + x] = std::nan("");
          dispatch_kind(md.cell_type.kind, [&](auto zero) {
            using T = decltype(zero);
            write_cells(result.data(), result.size(), md.cell_type, out.band_as<T>(b));
          });
        }
        ctx.progress.advance();
        return std::optional<Tile>(std::move(out));
      },
      static_cast<std::size_t>(a.round_mb) << 20);
}

job::Shape plan(job::PlanContext& ctx, const SurfaceArgs& a, SurfaceKind kind) {
  const job::Shape& in = ctx.input();
  const LayerMetadata& md = in.layer().md;
  if (a.z_unit && md.crs.valid() && !md.crs.is_geographic())
    throw ctx.param_error(&SurfaceArgs::z_unit, "z_unit is for geographic layers; this one is in " +
                                                    md.crs.label() + ": give z_factor");
  if (kind != SurfaceKind::Aspect && !a.z_unit && md.crs.valid() && md.crs.is_geographic())
    ctx.warn("the layer is geographic: its cells are degrees wide, so with z_factor " +
             std::to_string(a.z_factor) + " elevations count as degrees; give z_unit: meters (or feet)");
  return focal_shape(in, result_type(kind, a), 1, a.round_mb, ctx.ranks);
}

constexpr const char* kEdgesDoc = R"md(
- **Edges and NoData** (`edges`): with `focus` (default, GeoTrellis'), a neighbour outside the layer or
  NoData takes the focus cell's value; with `gdal`, a neighbour outside the layer is extrapolated as
  gdaldem `-compute_edges` does (2 x adjacent - opposite) and a NoData neighbour takes the focus value,
  so results equal gdaldem's on the same grid (gdaldem's edge rows repeat the focus column at the
  corners; so does trellis). A NoData focus gives NoData. Tiles are buffered by one cell of their
  neighbours, so tile edges are never seams; the cells of tiles missing from a sparse layer inside its
  extent are NoData (they take the focus value), the edge of the layer's extent is its edge.
- **Gradient** (`method`): `horn` (default; 3x3 weighted) or `zevenbergen_thorne` (the four direct
  neighbours), with the layout's cell width and height.
)md";

constexpr const char* kZDoc = R"md(
- **z factor**: `z_factor` (default 1) multiplies the gradient, for elevations in other units than the
  map's. For geographic layers `z_unit: meters` (or `feet`) takes GeoTrellis' latitude-aware factor,
  1 / (111320 m x cos(latitude)) per degree, evaluated at each row's latitude (GeoTrellis takes one
  latitude per tile; per row has no seams). A geographic layer without `z_unit` gets a warning.
)md";

std::string slope_doc() {
  return std::string(R"md(## Semantics

GeoPySpark's `focal(SLOPE, param_1=zFactor)` and `slope(zfactor_calculator)`, GeoTrellis' `slope`,
gdaldem's `slope`: degrees(atan(z x sqrt(dz/dx^2 + dz/dy^2))), float64.
)md") + kEdgesDoc +
         kZDoc + R"md(
## Example

```yaml
- op: slope
  input: dem
  edges: gdal
```
)md";
}

std::string aspect_doc() {
  return std::string(R"md(## Semantics

GeoPySpark's `focal(ASPECT)`, GeoTrellis' `aspect`, gdaldem's `aspect`: the downslope direction, float64.

- `aspect_convention: geotrellis` (default; GeoPySpark 0.1/0.2, GeoTrellis up to 1.2):
  degrees(atan2(dz/dy, -dz/dx)) in [0, 360), counter-clockwise from east; a flat cell gives NaN (NoData).
- `aspect_convention: azimuth` (GeoTrellis 2+, gdaldem): degrees clockwise from north; a flat cell
  (both derivatives within 1e-10 of 0) gives -1 (gdaldem gives -9999 there).
)md") + kEdgesDoc +
         R"md(
## Example

```yaml
- op: aspect
  input: dem
  aspect_convention: azimuth
```
)md";
}

std::string hillshade_doc() {
  return std::string(R"md(## Semantics

GeoTrellis' `hillshade(azimuth, altitude, zFactor)`, gdaldem's `hillshade`: the light a surface
receives from a sun at `azimuth` (degrees clockwise from north, default 315) and `altitude` (degrees
above the horizon, default 45).

- `scale: geotrellis` (default): round(127 x max(0, cos(zenith) cos(slope) + sin(zenith) sin(slope)
  cos(azimuth - aspect))), 0..127, int16 (GeoTrellis' result).
- `scale: gdal`: gdaldem's formula and scale, 1..255, uint8 with NoData 0.
)md") + kEdgesDoc +
         kZDoc + R"md(
## Example

```yaml
- op: hillshade
  input: dem
  azimuth: 315
  altitude: 45
  scale: gdal
  edges: gdal
```
)md";
}

template <SurfaceKind K>
job::StepValue run_kind(job::StepContext& ctx, const SurfaceArgs& a) {
  return run(ctx, a, K);
}
template <SurfaceKind K>
job::Shape plan_kind(job::PlanContext& ctx, const SurfaceArgs& a) {
  return plan(ctx, a, K);
}

const OpRegistration kSlope{job::make_op<SurfaceArgs>(
    {.name = "slope",
     .group = "focal",
     .help = "the slope of an elevation layer, in degrees (Horn or Zevenbergen-Thorne)",
     .doc = slope_doc(),
     .accepts = {job::ValueKind::TiledLayer},
     .produces = job::ValueKind::TiledLayer},
    declare_slope, run_kind<SurfaceKind::Slope>, plan_kind<SurfaceKind::Slope>)};

const OpRegistration kAspect{
    job::make_op<SurfaceArgs>({.name = "aspect",
                               .group = "focal",
                               .help = "the downslope direction of an elevation layer, in degrees",
                               .doc = aspect_doc(),
                               .accepts = {job::ValueKind::TiledLayer},
                               .produces = job::ValueKind::TiledLayer},
                              declare_aspect, run_kind<SurfaceKind::Aspect>, plan_kind<SurfaceKind::Aspect>)};

const OpRegistration kHillshade{job::make_op<SurfaceArgs>(
    {.name = "hillshade",
     .group = "focal",
     .help = "the shaded relief of an elevation layer under a sun at azimuth and altitude",
     .doc = hillshade_doc(),
     .accepts = {job::ValueKind::TiledLayer},
     .produces = job::ValueKind::TiledLayer},
    declare_hillshade, run_kind<SurfaceKind::Hillshade>, plan_kind<SurfaceKind::Hillshade>)};

}  // namespace

}  // namespace trellis::ops
