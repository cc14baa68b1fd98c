#pragma once
// Small builders for ParamSpecs, and parsers of structured parameters, shared by op families.
#include <string>
#include <vector>

#include "core/extent.hpp"
#include "core/layout.hpp"
#include "job/params.hpp"

namespace trellis::ops {

inline job::ParamValue pv_int(std::int64_t v) {
  return job::ParamValue{v, {}};
}
inline job::ParamValue pv_double(double v) {
  return job::ParamValue{v, {}};
}
inline job::ParamValue pv_bool(bool v) {
  return job::ParamValue{v, {}};
}
inline job::ParamValue pv_string(std::string v) {
  return job::ParamValue{std::move(v), {}};
}

inline job::ParamSpec param(std::string name, job::ParamType type, std::string help) {
  job::ParamSpec s;
  s.name = std::move(name);
  s.type = type;
  s.help = std::move(help);
  return s;
}
inline job::ParamSpec required(job::ParamSpec s) {
  s.required = true;
  return s;
}
inline job::ParamSpec with_default(job::ParamSpec s, job::ParamValue v) {
  s.default_value = std::move(v);
  return s;
}
inline job::ParamSpec with_choices(job::ParamSpec s, std::vector<std::string> choices) {
  s.choices = std::move(choices);
  return s;
}
inline job::ParamSpec with_range(job::ParamSpec s, std::optional<double> min, std::optional<double> max) {
  s.min = min;
  s.max = max;
  return s;
}

// The `output` parameter of ops that give a result.
inline job::ParamSpec output_param() {
  return param(
      "output", job::ParamType::OutputPath,
      "file the result is written to: JSON, or CSV when the name ends in .csv (optional; always logged)");
}

// An `extent` parameter: [xmin, ymin, xmax, ymax] or {xmin:, ymin:, xmax:, ymax:}, finite and not empty.
Extent parse_extent(const job::Params& p, const std::string& name);
// A `layout` parameter: GeoPySpark's TileLayout {layout_cols, layout_rows, tile_cols, tile_rows}.
TileLayout parse_tile_layout(const job::Params& p, const std::string& name);

}  // namespace trellis::ops
