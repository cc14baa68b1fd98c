#include "render/color_spec.hpp"

#include <algorithm>
#include <stdexcept>

namespace trellis::render {

bool ColorSpec::needs_histogram() const {
  if (!ramp.empty()) return breaks.empty();
  return relief && relief->has_percentages();
}

ColorMap build_color_map(const ColorSpec& spec, const StreamingHistogram* histogram) {
  if (spec.needs_histogram() && (!histogram || histogram->total_count() == 0))
    throw std::invalid_argument("the layer has no data cell to take quantiles or percentages from");
  if (!spec.ramp.empty()) {
    const auto colors = ramp_colors(spec.ramp);
    if (!colors) throw std::invalid_argument("unknown ramp '" + spec.ramp + "'");
    std::vector<double> breaks = spec.breaks;
    if (breaks.empty()) {
      if (spec.quantiles < 1) throw std::invalid_argument("a ramp needs breaks or quantiles");
      breaks = histogram->quantile_breaks(spec.quantiles);
      // A layer of few values repeats breaks: one class per distinct break.
      breaks.erase(std::unique(breaks.begin(), breaks.end()), breaks.end());
    }
    return ColorMap::from_ramp(*colors, std::move(breaks), spec.options);
  }
  if (!spec.classes.empty()) {
    std::vector<double> breaks;
    std::vector<Rgba> colors;
    for (const auto& [b, c] : spec.classes) breaks.push_back(b), colors.push_back(c);
    return ColorMap(std::move(breaks), std::move(colors), spec.options);
  }
  if (spec.relief) {
    std::optional<std::pair<double, double>> min_max;
    if (histogram && histogram->total_count() > 0) min_max = histogram->min_max();
    return to_color_map(*spec.relief, spec.relief_mode, min_max);
  }
  throw std::invalid_argument("no colours: a ramp, classes or a colour-relief file");
}

}  // namespace trellis::render
