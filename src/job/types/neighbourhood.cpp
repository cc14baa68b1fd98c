#include "job/types/neighbourhood.hpp"

#include <cmath>
#include <optional>

#include "core/text.hpp"
#include "job/did_you_mean.hpp"
#include "job/job.hpp"

namespace trellis::job {

namespace {

constexpr double kMaxReach = 10000;  // cells: a larger neighbourhood is surely a mistake

ParamSpec spec(std::string name, ParamType type, std::string help, std::optional<double> min = 0) {
  ParamSpec p;
  p.name = std::move(name);
  p.type = type;
  p.help = std::move(help);
  p.min = min;
  if (min) p.max = kMaxReach;
  return p;
}

// A size of the shape: the named key, or GeoPySpark's param_N; both is an error, neither nullopt.
struct Source {
  const ParamValue* value = nullptr;
  std::string key;
};

}  // namespace

std::vector<ParamSpec> neighbourhood_specs() {
  ParamSpec shape;
  shape.name = "neighborhood";
  shape.type = ParamType::Any;
  shape.type_name = "neighbourhood";
  shape.aliases = {"neighbourhood"};
  shape.help =
      "square, circle, nesw, wedge or annulus (or a map {shape, extent, radius, start_angle, end_angle, "
      "inner, "
      "outer})";
  return {shape,
          spec("extent", ParamType::Int, "square and nesw: cells on each side of the focus"),
          spec("radius", ParamType::Double, "circle and wedge: radius in cells"),
          spec("start_angle", ParamType::Double, "wedge: first angle, degrees counter-clockwise from east",
               std::nullopt),
          spec("end_angle", ParamType::Double, "wedge: last angle, degrees counter-clockwise from east",
               std::nullopt),
          spec("inner", ParamType::Double, "annulus: inner radius in cells (default 0)"),
          spec("outer", ParamType::Double, "annulus: outer radius in cells"),
          spec("param_1", ParamType::Double, "GeoPySpark: extent, radius or inner radius"),
          spec("param_2", ParamType::Double, "GeoPySpark: wedge start angle, or annulus outer radius",
               std::nullopt),
          spec("param_3", ParamType::Double, "GeoPySpark: wedge end angle", std::nullopt)};
}

Neighbourhood parse_neighbourhood(const CompositeValues& v) {
  const ParamValue* shape_value = v.get("neighborhood");
  // The map form: {shape: circle, radius: 2} (its entries stand for the named keys).
  const ParamMap* in_map = shape_value && shape_value->is_map() ? &shape_value->as_map() : nullptr;
  const ParamValue* shape_name = shape_value;
  if (in_map) {
    auto it = in_map->find("shape");
    if (it == in_map->end()) it = in_map->find("type");
    if (it == in_map->end())
      v.context("neighborhood")
          .fail(shape_value->mark, "the map needs a `shape` (square, circle, nesw, wedge or annulus)");
    shape_name = &it->second;
    for (const auto& [k, x] : *in_map) {
      static const std::vector<std::string> keys = {"shape",       "type",      "extent", "radius",
                                                    "start_angle", "end_angle", "inner",  "outer"};
      if (std::find(keys.begin(), keys.end(), k) == keys.end())
        v.context("neighborhood").fail(x.mark, "unknown key '" + k + "'" + did_you_mean_suffix(k, keys));
      if (k != "shape" && k != "type" && v.get(k))
        v.context(k).fail(v.get(k)->mark, "given twice: here and in `neighborhood`");
      if (k != "shape" && k != "type" && !x.is_number())
        v.context("neighborhood").fail(x.mark, "`" + k + "` must be a number, got " + x.to_string());
    }
  }
  if (!shape_name) throw v.step_error("missing `neighborhood` (square, circle, nesw, wedge or annulus)");
  std::vector<std::string> shapes;
  for (const auto& n : enum_names(NeighbourhoodShape{})) shapes.emplace_back(n.name);
  const std::string written = shape_name->is_string() ? shape_name->as_string() : shape_name->to_string();
  const std::string canonical = match_choice(written, shapes);
  if (canonical.empty())
    v.context("neighborhood")
        .fail(shape_name->mark, "unknown neighborhood '" + written + "'" +
                                    (did_you_mean_suffix(normalize_choice(written), shapes).empty()
                                         ? " (square, circle, nesw, wedge or annulus)"
                                         : did_you_mean_suffix(normalize_choice(written), shapes)));
  Neighbourhood n;
  n.shape = *enum_from_name<NeighbourhoodShape>(canonical);

  // The named key (at top level or in the map) or the positional param_N.
  auto source = [&](const std::string& key, int position) -> Source {
    const ParamValue* named = v.get(key);
    if (!named && in_map) {
      auto it = in_map->find(key);
      if (it != in_map->end()) named = &it->second;
    }
    const std::string pkey = "param_" + std::to_string(position);
    const ParamValue* positional = v.get(pkey);
    if (named && positional)
      v.context(pkey).fail(positional->mark, "give `" + key + "` or `" + pkey + "`, not both");
    if (named) return {named, key};
    if (positional) return {positional, pkey};
    return {};
  };
  auto need = [&](const std::string& key, int position) {
    const Source s = source(key, position);
    if (!s.value)
      throw v.step_error("a " + canonical + " neighborhood needs `" + key + "` (or param_" +
                         std::to_string(position) + ")");
    return s;
  };
  auto number = [&](const Source& s, bool nonnegative) {
    const double d = s.value->as_double();
    if (!std::isfinite(d) || (nonnegative && d < 0) || std::fabs(d) > kMaxReach)
      v.context(s.key).fail(s.value->mark, std::string("must be a ") + (nonnegative ? "non-negative " : "") +
                                               "number of at most " +
                                               std::to_string(static_cast<int>(kMaxReach)) + ", got " +
                                               s.value->to_string());
    return d;
  };
  // The keys the shape takes; any other key given is an error.
  std::vector<std::string> takes;
  switch (n.shape) {
    case NeighbourhoodShape::Square:
    case NeighbourhoodShape::Nesw: {
      const Source s = need("extent", 1);
      const double d = number(s, true);
      if (s.key == "extent" && d != std::floor(d))
        v.context(s.key).fail(s.value->mark, "must be a whole number of cells, got " + s.value->to_string());
      n.extent = static_cast<int>(d);  // param_1 is truncated, as GeoPySpark's int(param_1)
      takes = {"extent", "param_1"};
      break;
    }
    case NeighbourhoodShape::Circle:
      n.radius = number(need("radius", 1), true);
      takes = {"radius", "param_1"};
      break;
    case NeighbourhoodShape::Wedge:
      n.radius = number(need("radius", 1), true);
      n.start_angle = number(need("start_angle", 2), false);
      n.end_angle = number(need("end_angle", 3), false);
      takes = {"radius", "start_angle", "end_angle", "param_1", "param_2", "param_3"};
      break;
    case NeighbourhoodShape::Annulus: {
      const Source inner = source("inner", 1);
      n.inner = inner.value ? number(inner, true) : 0.0;
      n.outer = number(need("outer", 2), true);
      takes = {"inner", "outer", "param_1", "param_2"};
      break;
    }
  }
  for (const char* key :
       {"extent", "radius", "start_angle", "end_angle", "inner", "outer", "param_1", "param_2", "param_3"}) {
    if (std::find(takes.begin(), takes.end(), key) != takes.end()) continue;
    const ParamValue* given = v.get(key);
    if (!given && in_map) {
      auto it = in_map->find(key);
      if (it != in_map->end()) given = &it->second;
    }
    if (given)
      v.context(key).fail(given->mark, "does not apply to a " + canonical + " neighborhood (it takes " +
                                           join(takes, ", ") + ")");
  }
  return n;
}

}  // namespace trellis::job
