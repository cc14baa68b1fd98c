#include "job/types/geometry.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "job/types/json_value.hpp"

namespace trellis::job {

namespace {

std::string text_of(const ParamValue& v) {
  return v.is_string() ? v.as_string() : v.to_string();
}

bool is_feature_type(const std::string& type) {
  return type == "Feature" || type == "FeatureCollection";
}

// One element of the parameter. *single tells whether it is one geometry (not a feature source).
GeometrySource parse_source(const ParamValue& v, const ValueContext& c, bool* single) {
  GeometrySource s;
  s.mark = s.uri_mark = s.layer_mark = s.where_mark = v.mark;
  *single = false;
  if (v.is_string()) {
    const std::string& t = v.as_string();
    const std::size_t a = t.find_first_not_of(" \t\r\n");
    if (a != std::string::npos && t[a] == '{') {
      s.src.kind = io::GeometrySource::Kind::GeoJson;
      try {
        auto j = nlohmann::json::parse(t);
        *single = !(j.is_object() && j.contains("type") && j["type"].is_string() &&
                    is_feature_type(j["type"].get<std::string>()));
      } catch (const nlohmann::json::exception& e) {
        c.fail(v.mark, std::string("not valid JSON: ") + e.what());
      }
    } else {
      s.src.kind = io::GeometrySource::Kind::Wkt;
      *single = true;
    }
    s.src.text = t;
    return s;
  }
  if (v.is_map()) {
    const auto& m = v.as_map();
    if (m.count("uri")) {
      s.src.kind = io::GeometrySource::Kind::Ogr;
      for (const auto& [k, e] : m) {
        if (k == "uri") {
          if (!e.is_string() || e.as_string().empty()) c.fail(e.mark, "`uri` must be a path");
          s.src.path = c.resolve_path(e.as_string());
          s.uri_mark = e.mark;
          std::error_code ec;
          const auto st = std::filesystem::status(s.src.path, ec);
          if (std::filesystem::exists(st) && !std::filesystem::is_regular_file(st) &&
              !std::filesystem::is_directory(st))
            c.fail(e.mark, "'" + s.src.path + "' is not a regular file (a pipe, socket or device)");
        } else if (k == "layer") {
          s.src.layer = text_of(e);
          s.layer_mark = e.mark;
        } else if (k == "where") {
          s.src.where = text_of(e);
          s.where_mark = e.mark;
          // OGR reads the filter up to a ';' and drops the rest without a word ("1=1; DROP TABLE x"
          // would filter nothing): one expression only.
          bool quoted = false;
          for (char ch : s.src.where) {
            if (ch == '\'') quoted = !quoted;
            if (ch == ';' && !quoted)
              c.fail(e.mark, "`where` holds a ';' outside quotes: an attribute filter is one expression");
          }
        } else {
          c.fail(e.mark, "unknown key '" + k + "' of an OGR source (uri, layer, where)");
        }
      }
      s.layer_mark = m.count("layer") ? s.layer_mark : s.uri_mark;
      return s;
    }
    if (m.count("type")) {
      s.src.kind = io::GeometrySource::Kind::GeoJson;
      const nlohmann::json j = to_json(v);
      s.src.text = j.dump();
      *single = !(j["type"].is_string() && is_feature_type(j["type"].get<std::string>()));
      return s;
    }
    c.fail(v.mark, "a map must be an OGR source {uri, layer, where} or GeoJSON (with a \"type\")");
  }
  c.fail(v.mark, "geometry must be WKT, GeoJSON, an OGR source {uri, layer, where} or a list of them");
}

template <bool Polygons>
GeometryParam<Polygons> parse_sources(const ParamValue& v, const ValueContext& c) {
  GeometryParam<Polygons> g;
  g.where = c.where();
  if (v.is_list()) {
    if (v.as_list().empty()) c.fail(v.mark, "the list is empty");
    for (const auto& e : v.as_list()) {
      bool single = false;
      g.sources.push_back(parse_source(e, c, &single));
    }
  } else {
    bool single = false;
    g.sources.push_back(parse_source(v, c, &single));
    g.single = single;
  }
  for (const auto& s : g.sources) {
    try {
      io::check_geometry_source(s.src, Polygons);
    } catch (const io::GeometryError& e) {
      throw g.error(s, e.field(), e.what());
    }
  }
  return g;
}

const Mark& mark_for(const GeometrySource& s, const std::string& field) {
  if (field == "uri") return s.uri_mark;
  if (field == "layer") return s.layer_mark;
  if (field == "where") return s.where_mark;
  return s.mark;
}

}  // namespace

template <bool Polygons>
JobError GeometryParam<Polygons>::error(const Source& s, const std::string& field,
                                        const std::string& why) const {
  return ValueContext(where, "").error(mark_for(s, field), why);
}

template <bool Polygons>
GeometryParam<Polygons> ParamTraits<GeometryParam<Polygons>>::parse(const ParamValue& v,
                                                                    const ValueContext& c) {
  return parse_sources<Polygons>(v, c);
}

template struct GeometryParam<false>;
template struct GeometryParam<true>;
template struct ParamTraits<GeometryParam<false>>;
template struct ParamTraits<GeometryParam<true>>;

}  // namespace trellis::job
