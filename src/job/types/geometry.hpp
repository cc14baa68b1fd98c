#pragma once
// Geometry parameters: WKT (EWKT `SRID=n;` accepted), GeoJSON (a YAML map with `type`, or text starting
// with '{'), an OGR source {uri, layer, where} (uri relative to the job file), or a list of these. At
// load time every source is checked with OGR (the file opens, the layer exists, the filter parses);
// reading the features is the op's business (io::read_features).
#include <string>
#include <vector>

#include "io/vector.hpp"
#include "job/param_traits.hpp"

namespace trellis::job {

struct GeometrySource {
  io::GeometrySource src;
  Mark mark, uri_mark, layer_mark, where_mark;
};

// `Polygons`: Polygons and MultiPolygons only (polygonal summaries, masks); else any geometry type.
template <bool Polygons>
struct GeometryParam {
  using Source = GeometrySource;
  std::vector<Source> sources;
  // One WKT or GeoJSON geometry (not a feature source, not a list): GeoPySpark's one-number summaries.
  bool single = false;
  // "step 'x' (op): parameter 'geometry'", for errors found when the op reads the sources.
  std::string where;

  // A JobError at the place of the source's `field` ("uri", "layer", "where"; else the source's own):
  // what reading it found wrong (io::GeometryError names the field).
  JobError error(const Source& s, const std::string& field, const std::string& why) const;
};

using GeometrySources = GeometryParam<false>;
using PolygonSources = GeometryParam<true>;

template <bool Polygons>
struct ParamTraits<GeometryParam<Polygons>> {
  static constexpr ParamType shape = ParamType::Any;
  static std::string type_name() { return Polygons ? "polygons" : "geometry"; }
  static GeometryParam<Polygons> parse(const ParamValue& v, const ValueContext& c);
};

}  // namespace trellis::job
