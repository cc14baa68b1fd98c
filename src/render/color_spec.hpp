#pragma once
// How a single-band rendering chooses its colours, as a job (render_png) or a tile request (the server)
// says it, and the colour map that results once the layer's histogram is known.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/histogram.hpp"
#include "render/color_map.hpp"
#include "render/color_relief.hpp"

namespace trellis::render {

struct ColorSpec {
  // Exactly one source of colours:
  std::string ramp;                              // a ramp of color_ramp.hpp, with `breaks` or `quantiles`
  std::vector<std::pair<double, Rgba>> classes;  // explicit breaks to colours (GeoTrellis' ColorMap)
  std::optional<ColorRelief> relief;             // a GDAL colour-relief file
  // Breaks of a ramp: given, or the layer's quantile breaks (GeoTrellis' quantileBreaks(n)).
  std::vector<double> breaks;
  int quantiles = 0;
  ReliefMode relief_mode = ReliefMode::Interpolate;
  ColorMapOptions options;

  // True when building the map needs the layer's histogram (quantile breaks, or a relief file with
  // percentages).
  bool needs_histogram() const;
};

// The colour map of `spec`. `histogram` is the band's histogram (required when needs_histogram()).
// Deterministic. Throws std::invalid_argument when the spec is incomplete or inconsistent (no source, an
// unknown ramp, breaks not increasing, an empty histogram where one is needed) and what ColorMap throws.
ColorMap build_color_map(const ColorSpec& spec, const StreamingHistogram* histogram);

}  // namespace trellis::render
