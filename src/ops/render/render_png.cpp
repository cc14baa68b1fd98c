// render_png: a tiled layer (or every level of a pyramid) as pictures: one stitched PNG per level, or an
// XYZ/TMS tree of 256-cell PNG tiles. One band goes through a colour map (a named ramp with given or
// quantile breaks, explicit classes, or a GDAL colour-relief file); three or four bands are stretched to
// red, green, blue (and alpha). The colours come from the whole layer (its histogram), so a tile's
// pixels do not depend on which rank renders it.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/parallel.hpp"
#include "job/op.hpp"
#include "job/types/bands.hpp"
#include "job/types/colour_map.hpp"
#include "job/types/numbers.hpp"
#include "mpi/failure.hpp"
#include "mpi/gather.hpp"
#include "mpi/runtime.hpp"
#include "ops/common/levels.hpp"
#include "ops/registry.hpp"
#include "ops/stats/layer_histogram.hpp"
#include "render/color_ramp.hpp"
#include "render/color_spec.hpp"
#include "render/png.hpp"
#include "render/tile_render.hpp"

namespace trellis::ops {

namespace {

namespace fs = std::filesystem;

// How a tree names its rows: XYZ (y from the north, as Leaflet and OpenStreetMap) or TMS (from the south).
enum class TileScheme { Xyz, Tms };
constexpr EnumName<TileScheme> kSchemes[] = {{TileScheme::Xyz, "xyz"}, {TileScheme::Tms, "tms"}};
std::span<const EnumName<TileScheme>> enum_names(TileScheme) {
  return kSchemes;
}

enum class Stretch { None, MinMax, Percentiles };
constexpr EnumName<Stretch> kStretches[] = {
    {Stretch::None, "none"}, {Stretch::MinMax, "min_max"}, {Stretch::Percentiles, "percentiles"}};
std::span<const EnumName<Stretch>> enum_names(Stretch) {
  return kStretches;
}

struct RenderPngArgs {
  std::optional<job::OutputPath> uri;
  std::optional<job::OutputFolder> tiles;
  TileScheme scheme = TileScheme::Xyz;
  int band = 0;
  // One band: a ramp with breaks or quantiles, explicit classes, or a colour-relief file.
  std::optional<std::string> ramp;
  std::optional<job::NumberList> breaks;
  std::optional<int> quantiles;
  std::optional<job::ColourMap> color_map;
  std::optional<job::InputPaths> color_relief;
  render::ReliefMode relief_mode = render::ReliefMode::Interpolate;
  job::ClassBoundary boundary = job::ClassBoundary::LessThanOrEqualTo;
  render::Interpolation interpolation = render::Interpolation::Discrete;
  job::Rgba no_data_color;
  job::Rgba fallback;
  bool strict = false;
  // Three or four bands.
  std::optional<job::BandList> rgb_bands;
  Stretch stretch = Stretch::MinMax;
  std::optional<job::NumberList> percentiles;
  int compression_level = 1;
  std::int64_t round_mb = 64;
};

constexpr int kQuantilesByDefault = 10;
// libpng refuses wider images by default, and no viewer opens them.
constexpr long kMaxStitchedSide = 1000000;

void declare(job::Schema<RenderPngArgs>& s) {
  using A = RenderPngArgs;
  using Check = job::Checker<A>;
  s.add("uri", &A::uri, "one stitched PNG per level: the file ({zoom} is replaced by the level's zoom)");
  s.add("tiles", &A::tiles, "a tree of 256-cell PNG tiles: the folder of {z}/{x}/{y}.png");
  s.add("scheme", &A::scheme, "the tree's rows: xyz (y counted from the north) or tms (from the south)");
  s.add("band", &A::band, "the band a colour map renders (from 0)").range(0, std::nullopt);
  s.add("ramp", &A::ramp, "a named colour ramp (see below), spread over `breaks` or `quantiles`");
  s.add("breaks", &A::breaks, "increasing class breaks of the ramp");
  s.add("quantiles", &A::quantiles,
        "the ramp's breaks are the layer's n quantile breaks (default with a ramp: 10)")
      .range(1, 1000);
  s.add("color_map", &A::color_map, "explicit breaks to colours, with GeoTrellis' options");
  s.add("color_relief", &A::color_relief, "a GDAL colour-relief text file (gdaldem color-relief)");
  s.add("relief_mode", &A::relief_mode,
        "colour-relief matching: interpolate between entries (gdaldem's default), exact, nearest");
  s.add("boundary", &A::boundary, "which class a value between a ramp's breaks belongs to (GeoTrellis)");
  s.add("interpolation", &A::interpolation,
        "a ramp's colours: one per class (discrete), or blended between breaks (linear)");
  s.add("no_data_color", &A::no_data_color, "the colour of NoData cells, for a ramp (default transparent)");
  s.add("fallback", &A::fallback, "the colour of values in no class, for a ramp (default transparent)");
  s.add("strict", &A::strict, "a value in no class of a ramp fails the step instead of taking the fallback");
  s.add("rgb_bands", &A::rgb_bands, "three (RGB) or four (RGBA) bands, from 0, stretched to 0-255");
  s.add("stretch", &A::stretch,
        "rgb_bands' stretch: none (values as they are), min_max or percentiles of each band over the layer");
  s.add("percentiles", &A::percentiles,
        "the low and high percentiles of the percentiles stretch (default [2, 98])");
  s.add("compression_level", &A::compression_level,
        "deflate level of the PNGs, 0 (stored) to 9: 1 is the fastest, 6 about 5 times slower for files a "
        "third "
        "smaller")
      .range(0, 9);
  s.add("round_mb", &A::round_mb, "MiB of tiles gathered to the writing rank per round (stitched)")
      .range(1, 1 << 20)
      .site_default(&job::SiteDefaults::round_mb);
  s.exactly_one_of({"uri", "tiles"});
  s.exactly_one_of({"ramp", "color_map", "color_relief", "rgb_bands"});
  s.excludes("breaks", "quantiles");
  s.check([](const A& a, const Check& c) {
    if (a.breaks && !a.ramp) c.fail(&A::breaks, "needs a ramp");
    if (a.quantiles && !a.ramp) c.fail(&A::quantiles, "needs a ramp");
    if (a.ramp && !render::ramp_colors(*a.ramp))
      c.fail(
          &A::ramp, "unknown ramp '" + *a.ramp + "' (" + [] {
            std::string names;
            for (auto n : render::ramp_names()) names += (names.empty() ? "" : ", ") + std::string(n);
            return names;
          }() + ")");
    if (a.breaks) {
      for (std::size_t i = 1; i < a.breaks->values.size(); ++i)
        if (!(a.breaks->values[i] > a.breaks->values[i - 1])) c.fail(&A::breaks, "breaks must increase");
    }
    if (a.rgb_bands && a.rgb_bands->bands.size() != 3 && a.rgb_bands->bands.size() != 4)
      c.fail(&A::rgb_bands, "three bands (red, green, blue) or four (and alpha)");
    if (a.percentiles) {
      const auto& p = a.percentiles->values;
      if (p.size() != 2 || !(p[0] >= 0 && p[0] < p[1] && p[1] <= 100))
        c.fail(&A::percentiles, "two percentiles [low, high] with 0 <= low < high <= 100");
      if (a.stretch != Stretch::Percentiles) c.fail(&A::percentiles, "needs stretch: percentiles");
    }
    if (a.color_relief && a.color_relief->paths.size() != 1) c.fail(&A::color_relief, "one file");
    // A parameter that would have no effect is refused rather than ignored.
    if (a.uri && c.given(&A::scheme)) c.fail(&A::scheme, "applies to tiles, not to a stitched uri");
    if (a.rgb_bands && c.given(&A::band))
      c.fail(&A::band, "rgb_bands names the bands; band is for a colour map");
    if (!a.color_relief && c.given(&A::relief_mode))
      c.fail(&A::relief_mode, "applies to a color_relief file");
    if (!a.rgb_bands && c.given(&A::stretch)) c.fail(&A::stretch, "applies to rgb_bands");
    if (!a.ramp) {
      const char* why = "applies to a ramp (color_map takes its own options)";
      if (c.given(&A::boundary)) c.fail(&A::boundary, why);
      if (c.given(&A::interpolation)) c.fail(&A::interpolation, why);
      if (c.given(&A::no_data_color)) c.fail(&A::no_data_color, why);
      if (c.given(&A::fallback)) c.fail(&A::fallback, why);
      if (c.given(&A::strict)) c.fail(&A::strict, why);
    }
    if (a.interpolation == render::Interpolation::Linear) {
      // Linear blends between breaks and takes the end colours beyond them: no class, no fallback.
      if (c.given(&A::boundary)) c.fail(&A::boundary, "has no effect with interpolation: linear");
      if (c.given(&A::fallback)) c.fail(&A::fallback, "has no effect with interpolation: linear");
    }
  });
}

// The job's class boundary as the colour map's (the two enumerations list GeoTrellis' five in one order).
render::ClassBoundary boundary_of(job::ClassBoundary b) {
  static_assert(
      static_cast<int>(job::ClassBoundary::LessThan) == static_cast<int>(render::ClassBoundary::LessThan) &&
      static_cast<int>(job::ClassBoundary::Exact) == static_cast<int>(render::ClassBoundary::Exact) &&
      static_cast<int>(job::ClassBoundary::GreaterThan) ==
          static_cast<int>(render::ClassBoundary::GreaterThan));
  return static_cast<render::ClassBoundary>(b);
}

render::Rgba packed(const job::Rgba& c) {
  return (std::uint32_t{c.r} << 24) | (std::uint32_t{c.g} << 16) | (std::uint32_t{c.b} << 8) | c.a;
}

// The colour-relief file, parsed (at plan time, so that its errors are found before any work).
render::ColorRelief read_relief(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw JobError("cannot read the colour-relief file '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  try {
    return render::parse_color_relief(text.str(), path);
  } catch (const std::invalid_argument& e) {
    throw JobError(e.what());
  }
}

// The colour spec of a single-band rendering (not rgb_bands). Not collective.
render::ColorSpec color_spec(const RenderPngArgs& a) {
  render::ColorSpec spec;
  if (a.ramp) {
    spec.ramp = *a.ramp;
    if (a.breaks)
      spec.breaks = a.breaks->values;
    else
      spec.quantiles = a.quantiles.value_or(kQuantilesByDefault);
    spec.options.boundary = boundary_of(a.boundary);
    spec.options.interpolation = a.interpolation;
    spec.options.no_data = packed(a.no_data_color);
    spec.options.fallback = packed(a.fallback);
    spec.options.strict = a.strict;
  } else if (a.color_map) {
    for (const auto& b : a.color_map->breaks) spec.classes.emplace_back(b.value, packed(b.colour));
    spec.options.boundary = boundary_of(a.color_map->boundary);
    spec.options.no_data = packed(a.color_map->no_data);
    spec.options.fallback = packed(a.color_map->fallback);
    spec.options.strict = a.color_map->strict;
  } else {
    spec.relief = read_relief(a.color_relief->paths.front());
    spec.relief_mode = a.relief_mode;
  }
  return spec;
}

// What the metadata of one level must allow. Not collective.
void check_level(const LayerMetadata& md, const RenderPngArgs& a, const job::ArgsAccess& ctx) {
  if (md.temporal) throw JobError("render_png renders spatial layers; this layer is spacetime");
  auto check_band = [&](int b, auto member) {
    if (b >= md.bands)
      throw ctx.param_error(member, "band " + std::to_string(b) + " does not exist (the layer has " +
                                        std::to_string(md.bands) + " band(s), numbered from 0)");
  };
  if (a.rgb_bands)
    for (int b : a.rgb_bands->bands) check_band(b, &RenderPngArgs::rgb_bands);
  else
    check_band(a.band, &RenderPngArgs::band);
  const CellWindow w = data_window(md);
  if (w.empty()) throw JobError("the layer is empty: nothing to render");
  if (a.uri) {
    if (w.cols() > kMaxStitchedSide || w.rows() > kMaxStitchedSide)
      throw ctx.param_error(&RenderPngArgs::uri, "a stitched PNG of " + std::to_string(w.cols()) + "x" +
                                                     std::to_string(w.rows()) +
                                                     " pixels is too large: write tiles instead");
    return;
  }
  // XYZ tiles are the layer's own tiles: the layout must be Web Mercator's zoomed layout at 256 cells.
  const bool zoomed = md.zoom && md.crs.is_webmercator() &&
                      md.layout == ZoomedLayoutScheme(md.crs, 256).level_for_zoom(*md.zoom).layout;
  if (!zoomed)
    throw ctx.param_error(
        &RenderPngArgs::tiles,
        "XYZ tiles need a layer on Web Mercator's zoomed layout of 256-cell tiles (tile_to_layout "
        "or reproject with crs: EPSG:3857, scheme: zoom, tile_size: 256)");
}

void check_levels(std::size_t levels, const RenderPngArgs& a, const job::ArgsAccess& ctx) {
  if (a.uri && levels > 1 && a.uri->path.find("{zoom}") == std::string::npos)
    throw ctx.param_error(&RenderPngArgs::uri, "a pyramid has several levels: put {zoom} in the uri");
}

// The style of the layer's pixels, from its histograms when the colours need them. Collective.
render::Style style_of(const TiledLayer& l, const RenderPngArgs& a, job::StepContext& ctx) {
  if (!a.rgb_bands) {
    // The spec the plan made (and the colour-relief file it read), else made now.
    std::shared_ptr<const void> planned = ctx.planned ? ctx.planned->op_data : nullptr;
    if (!planned) planned = std::make_shared<const render::ColorSpec>(color_spec(a));
    const auto& spec = *static_cast<const render::ColorSpec*>(planned.get());
    std::optional<StreamingHistogram> h;
    if (spec.needs_histogram())
      h = streaming_histogram(l, a.band, StreamingHistogram::kDefaultMaxBuckets, ctx.progress);
    try {
      return render::BandColors{a.band, render::build_color_map(spec, h ? &*h : nullptr)};
    } catch (const std::invalid_argument& e) {
      throw JobError(std::string("the colour map: ") + e.what());
    }
  }
  render::BandStretch st;
  st.bands = a.rgb_bands->bands;
  for (int b : st.bands) {
    double lo = 0, hi = 255;
    if (a.stretch != Stretch::None) {
      const StreamingHistogram h =
          streaming_histogram(l, b, StreamingHistogram::kDefaultMaxBuckets, ctx.progress);
      if (h.total_count() > 0) {
        if (a.stretch == Stretch::MinMax) {
          lo = *h.min(), hi = *h.max();
        } else {
          const auto p = a.percentiles ? a.percentiles->values : std::vector<double>{2, 98};
          lo = h.percentile(p[0] / 100), hi = h.percentile(p[1] / 100);
        }
      }
    }
    st.lo.push_back(lo), st.hi.push_back(hi);
  }
  return st;
}

// Collective. One PNG of the level's data window; rank 0 receives the tiles in row order, in rounds,
// and writes each band of tile rows as it completes. The file appears under its name when complete.
void write_stitched(const TiledLayer& l, const render::Style& style, const std::string& path,
                    const RenderPngArgs& a, const job::StepContext& ctx) {
  const LayerMetadata& md = l.md;
  const CellWindow w = data_window(md);
  const int tc = md.layout.tile_layout.tile_cols, tr = md.layout.tile_layout.tile_rows;
  const fs::path target(path);
  const std::string tmp = (target.parent_path() / ("." + target.filename().string() + ".partial")).string();
  std::unique_ptr<render::PngFileWriter> png;
  const auto width = static_cast<std::size_t>(w.cols());
  std::vector<std::uint8_t> band;  // the image rows of one row of tiles
  long band_row = -1;              // the tile row `band` holds
  const auto flush = [&] {
    if (band_row < 0) return;
    const long y0 = std::max(w.r0, band_row * tr), y1 = std::min(w.r1, (band_row + 1) * tr);
    png->write_rows(std::span(band.data() + (y0 - band_row * tr) * width * 4,
                              static_cast<std::size_t>(y1 - y0) * width * 4));
    band_row = -1;
  };
  long next_row = w.r0 / tr;  // the first tile row not yet written
  if (mpi::Runtime::rank() == 0) {
    png =
        std::make_unique<render::PngFileWriter>(tmp, static_cast<int>(w.cols()), static_cast<int>(w.rows()),
                                                render::PngOptions{.compression_level = a.compression_level});
    band.assign(width * static_cast<std::size_t>(tr) * 4, 0);
  }
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(tc) * tr * 4);
  try {
    mpi::gather_ordered(
        l, 0, static_cast<std::size_t>(a.round_mb) << 20, [&](const SpaceTimeKey& k, const Tile& t) {
          if (k.row != band_row) {
            flush();
            for (; next_row < k.row; ++next_row) {  // rows without any tile are transparent
              std::fill(band.begin(), band.end(), 0);
              band_row = next_row;
              flush();
            }
            std::fill(band.begin(), band.end(), 0);
            band_row = k.row, next_row = k.row + 1;
          }
          render::render_tile(t, style, tile_data_window(md, w, k), pixels);
          // The tile's columns inside the window, pasted into the band.
          const long x0 = std::max(w.c0, static_cast<long>(k.col) * tc),
                     x1 = std::min(w.c1, (k.col + 1L) * tc);
          for (int r = 0; r < tr; ++r)
            std::memcpy(
                band.data() + (static_cast<std::size_t>(r) * width + (x0 - w.c0)) * 4,
                pixels.data() + (static_cast<std::size_t>(r) * tc + (x0 - k.col * static_cast<long>(tc))) * 4,
                static_cast<std::size_t>(x1 - x0) * 4);
        });
    if (png) {
      flush();
      for (; next_row * tr < w.r1; ++next_row) {
        std::fill(band.begin(), band.end(), 0);
        band_row = next_row;
        flush();
      }
      png->finish();
      std::error_code ec;
      fs::rename(tmp, target, ec);
      if (ec) throw IoError("cannot rename '" + tmp + "' to '" + path + "': " + ec.message());
      ctx.log.info("wrote " + path + " (" + std::to_string(w.cols()) + "x" + std::to_string(w.rows()) +
                   " pixels)");
    }
  } catch (...) {
    png.reset();
    if (mpi::Runtime::rank() == 0) {
      std::error_code ec;
      fs::remove(tmp, ec);
    }
    throw;
  }
}

// Collective. Every rank writes the PNGs of its own tiles, with all its threads, under a hidden folder
// beside the target; rank 0 puts the tree in place when every rank is done. Tiles with nothing to
// draw are skipped.
void write_tree(const TiledLayer& l, const render::Style& style, const fs::path& root, const RenderPngArgs& a,
                job::StepContext& ctx) {
  const LayerMetadata& md = l.md;
  const CellWindow w = data_window(md);
  const int z = *md.zoom;
  const long n = 1L << z;
  std::vector<const std::pair<const SpaceTimeKey, Tile>*> tiles;
  for (const auto& kv : l.tiles) tiles.push_back(&kv);
  std::vector<std::uint8_t> written(tiles.size(), 0);
  ctx.progress.begin(tiles.size(), "tiles");
  parallel_for(tiles.size(), [&](std::size_t i) {
    if (ctx.progress.stop_requested()) return;  // the check-in after the loop stops every rank
    const auto& [k, t] = *tiles[i];
    std::vector<std::uint8_t> pixels(t.cells() * 4);
    render::render_tile(t, style, tile_data_window(md, w, k), pixels);
    ctx.progress.advance(1);
    if (render::fully_transparent(pixels)) return;
    const long y = a.scheme == TileScheme::Tms ? n - 1 - k.row : k.row;
    const fs::path dir = root / std::to_string(z) / std::to_string(k.col);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec && !fs::is_directory(dir)) throw IoError("cannot create '" + dir.string() + "': " + ec.message());
    const std::string png = render::encode_png_rgba(
        pixels, t.cols(), t.rows(), render::PngOptions{.compression_level = a.compression_level});
    const fs::path file = dir / (std::to_string(y) + ".png");
    std::ofstream out(file, std::ios::binary);
    out.write(png.data(), static_cast<std::streamsize>(png.size()));
    out.close();
    if (!out) throw IoError("cannot write '" + file.string() + "'");
    written[i] = 1;
  });
  std::size_t count = 0;
  for (auto b : written) count += b;
  ctx.log.debug("render_png: zoom " + std::to_string(z) + ": " + std::to_string(count) + " of " +
                std::to_string(tiles.size()) + " tile(s) of this rank drawn");
}

// The hidden folder a tree is written in before it is put in place.
fs::path partial_of(const fs::path& target) {
  return target.parent_path() / ("." + target.filename().string() + ".partial");
}

job::Shape plan(job::PlanContext& ctx, const RenderPngArgs& a) {
  const job::Shape& in = ctx.input();
  check_levels(in.levels.size(), a, ctx);
  for (const auto& l : in.levels) check_level(l.md, a, ctx);
  job::Shape s;
  // The colour spec, with the colour-relief file read (its errors come now); the run reuses it.
  if (!a.rgb_bands) s.op_data = std::make_shared<const render::ColorSpec>(color_spec(a));
  // Stitched: rank 0 holds one row of tiles as pixels, and the tiles gathered in a round.
  std::uint64_t row_bytes = 0;
  for (const auto& l : in.levels)
    row_bytes = std::max<std::uint64_t>(
        row_bytes, job::sat_mul(static_cast<std::uint64_t>(data_window(l.md).cols()),
                                static_cast<std::uint64_t>(l.md.layout.tile_layout.tile_rows) * 4));
  s.working_bytes_per_rank = a.uri ? job::sat_add(row_bytes, job::round_working_bytes(a.round_mb)) : 0;
  return s;
}

job::StepValue run(job::StepContext& ctx, const RenderPngArgs& a) {
  const std::vector<Level> levels = levels_of(ctx.input());
  check_levels(levels.size(), a, ctx);
  for (const Level& l : levels) check_level(l.layer->md, a, ctx);
  // A pyramid's levels share the colours of its most detailed level: a value has one colour at every zoom.
  const render::Style style = style_of(*levels.front().layer, a, ctx);
  if (a.uri) {
    for (const Level& l : levels) write_stitched(*l.layer, style, zoom_path(a.uri->path, l.zoom), a, ctx);
    return job::Nothing{};
  }
  const fs::path target(a.tiles->path), partial = partial_of(target);
  if (mpi::Runtime::rank() == 0) {
    std::error_code ec;
    fs::remove_all(partial, ec);
    fs::create_directories(partial, ec);
    if (ec) throw IoError("cannot create '" + partial.string() + "': " + ec.message());
    std::ofstream(partial / job::kTreeMarker) << "a tile tree written by trellis render_png\n";
  }
  mpi::check_in();
  try {
    for (const Level& l : levels) write_tree(*l.layer, style, partial, a, ctx);
    // Every rank's tiles are written before the tree takes its name.
    mpi::check_in();
  } catch (...) {
    if (mpi::Runtime::rank() == 0) {
      std::error_code ec;
      fs::remove_all(partial, ec);
    }
    throw;
  }
  if (mpi::Runtime::rank() == 0) {
    std::error_code ec;
    fs::remove_all(target, ec);
    fs::rename(partial, target, ec);
    if (ec)
      throw IoError("cannot rename '" + partial.string() + "' to '" + target.string() + "': " + ec.message());
    ctx.log.info("wrote the " + enum_name(a.scheme) + " tree " + target.string() + " (zoom " +
                 std::to_string(levels.back().zoom) + " to " + std::to_string(levels.front().zoom) + ")");
  }
  return job::Nothing{};
}

const OpRegistration kRenderPng{job::make_op<RenderPngArgs>(
    {.name = "render_png",
     .group = "render",
     .help = "render a layer (or each pyramid level) as a stitched PNG or an XYZ/TMS tree of PNG tiles",
     .doc = R"md(## Semantics

GeoPySpark's `to_png_rdd` / `ColorMap` and GeoTrellis' `renderPng`. A layer's cells become RGBA pixels:

- **One band** (`band`, default 0) through a colour map, from exactly one of:
  - `ramp`: a named ramp with the exact colours of GeoTrellis' `ColorRamps` and GeoPySpark's
    `ColorRampUtils` (hot, coolwarm, magma, inferno, plasma, viridis, blue_to_orange,
    light_yellow_to_orange, blue_to_red, green_to_red_orange, light_to_dark_sunset,
    light_to_dark_green, heatmap_yellow_to_red, heatmap_blue_to_yellow_to_red_spectrum,
    heatmap_dark_red_to_yellow_white, heatmap_light_purple_to_dark_purple_to_white,
    classification_bold_land_use, classification_muted_terrain), spread over `breaks` or over the
    layer's `quantiles` (GeoTrellis' `ColorRamp.toColorMap(breaks)`: the ramp's colours are
    `stops(number of breaks)`). Quantile breaks come from the layer's streaming histogram (as
    `get_quantile_breaks`); equal breaks are merged. A ramp alone takes 10 quantile breaks.
    `boundary`, `no_data_color`, `fallback` and `strict` are GeoTrellis' `ColorMap.Options`;
    `interpolation: linear` blends the colours between breaks instead of one colour per class;
  - `color_map`: explicit breaks to colours, with the same options inside it;
  - `color_relief`: a GDAL colour-relief file, matched as `gdaldem color-relief` does
    (`relief_mode`: interpolate, exact as `-exact_color_entry`, nearest as `-nearest_color_entry`).
- **Three or four bands** (`rgb_bands`) as red, green, blue (and alpha), each stretched to 0-255 from
  `[lo, hi]`: the band's minimum and maximum over the whole layer (`stretch: min_max`), its
  `percentiles` (default 2 and 98) or 0 and 255 (`none`); a cell with NoData in any band is transparent.

NoData cells take the NoData colour, transparent by default: transparent and distinct from black. Cells
outside the layer's data (the padding of edge tiles) are always transparent. For a pyramid, every
level uses the colours computed on its most detailed level, so a value has one colour at every zoom.

**Output.** `uri` writes one stitched PNG per level covering the layer's data extent snapped to its
cell grid (as `write_geotiff`); rank 0 receives the tiles in row order in rounds of `round_mb` MiB and
writes the image a row of tiles at a time. `tiles` writes the tree `tiles/{z}/{x}/{y}.png` of the
layer's own tiles (`scheme: tms` counts y from the south), which must be on Web Mercator's zoomed
layout of 256-cell tiles (`tile_to_layout`/`reproject` with `scheme: zoom`, then `pyramid`). In a tree,
every rank writes the tiles it owns, with all its threads; tiles with nothing to draw are skipped. PNGs
are written at `compression_level` (default 1: on rendered maps about 5 times as fast as zlib's
default 6, for files about 1.5 times as large), with the Sub filter; libpng frames them, and the tiles'
image data are compressed with libdeflate (on these tiles 1.7 times as fast as zlib at level 1); a picture of at most 256
distinct colours (a discrete colour map) is written as a palette PNG (PLTE and tRNS), which decodes to
the same RGBA pixels.

Outputs appear complete or not at all: a stitched PNG is written under a hidden name and renamed; a
tree is written in a hidden folder `.NAME.partial` beside `tiles` and renamed when every rank is done.
A tree replaces an earlier tree of trellis (marked by a `.trellis-tiles` file) or an empty folder,
never another folder: that is refused before any work.

A parameter that would have no effect is refused before any work rather than ignored: `scheme` with
`uri`, `band` with `rgb_bands`, `stretch` without `rgb_bands`, `relief_mode` without `color_relief`,
the ramp options without `ramp`, and `boundary` or `fallback` with `interpolation: linear` (which
blends between breaks and keeps the end colours beyond them).

## Example

```yaml
- op: render_png
  input: pyramid
  tiles: out/tiles
  ramp: viridis
  quantiles: 16
```
)md",
     .accepts = {job::ValueKind::TiledLayer, job::ValueKind::Pyramid},
     .produces = job::ValueKind::None},
    declare, run, plan)};

}  // namespace
}  // namespace trellis::ops
