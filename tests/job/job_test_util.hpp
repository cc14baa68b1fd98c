#pragma once
// A small op registry with fake ops, a temporary folder and error-matching helpers for the job tests.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "core/error.hpp"
#include "job/job.hpp"
#include "job/registry.hpp"
#include "util/test_util.hpp"

namespace trellis::job::testing {

namespace fs = std::filesystem;

inline ParamValue pv_int(std::int64_t i) {
  return ParamValue{i, {}};
}
inline ParamValue pv_double(double d) {
  return ParamValue{d, {}};
}
inline ParamValue pv_str(std::string s) {
  return ParamValue{std::move(s), {}};
}
inline ParamValue pv_bool(bool b) {
  return ParamValue{b, {}};
}

inline ParamSpec param(std::string name, ParamType type, std::string help = "") {
  ParamSpec p;
  p.name = std::move(name);
  p.type = type;
  p.help = std::move(help);
  return p;
}

// Fake ops shaped like the real ones.
inline Registry make_registry() {
  Registry reg;
  {
    OpSpec op;
    op.name = "read_geotiff";
    op.help = "Reads GeoTIFFs into a raster layer";
    op.group = "io";
    op.inputs = Inputs::None;
    op.produces = ValueKind::RasterLayer;
    auto uri = param("uri", ParamType::InputPath, "file, folder, glob or list");
    uri.required = true;
    op.params.push_back(uri);
    op.params.push_back(param("crs", ParamType::Crs, "the CRS of the files, when they do not say"));
    auto rdd = param("rdd_type", ParamType::String, "spatial or spacetime");
    rdd.choices = {"spatial", "spacetime"};
    rdd.default_value = pv_str("spatial");
    op.params.push_back(rdd);
    auto mts = param("max_tile_size", ParamType::Int, "largest window read at once");
    mts.min = 1;
    mts.default_value = pv_int(1024);
    op.params.push_back(mts);
    op.params.push_back(param("num_partitions", ParamType::Any, "accepted, ignored"));
    reg.add(op);
  }
  {
    OpSpec op;
    op.name = "tile_to_layout";
    op.aliases = {"to_tiled_layer"};
    op.help = "Tiles a raster layer";
    op.group = "tiling";
    op.accepts = {ValueKind::RasterLayer};
    op.produces = ValueKind::TiledLayer;
    auto ts = param("tile_size", ParamType::Int, "tile width and height in cells");
    ts.min = 1;
    ts.max = 4096;
    ts.default_value = pv_int(256);
    op.params.push_back(ts);
    auto rm = param("resample_method", ParamType::String, "how cells are resampled");
    rm.choices = {"nearest_neighbor", "bilinear", "cubic_convolution", "cubic_spline", "lanczos", "average"};
    rm.default_value = pv_str("nearest_neighbor");
    rm.aliases = {"resampleMethod"};
    op.params.push_back(rm);
    op.params.push_back(param("extent", ParamType::Any, "the layout extent"));
    auto ratio = param("ratio", ParamType::Double, "a fraction");
    ratio.min = 0;
    ratio.max = 1;
    op.params.push_back(ratio);
    auto dry = param("dry_run", ParamType::Bool, "a flag");
    dry.default_value = pv_bool(false);
    op.params.push_back(dry);
    reg.add(op);
  }
  {
    OpSpec op;
    op.name = "reproject";
    op.help = "Reprojects a tiled layer";
    op.accepts = {ValueKind::TiledLayer};
    op.produces = ValueKind::TiledLayer;
    auto t = param("target_crs", ParamType::Crs, "the CRS to reproject to");
    t.required = true;
    op.params.push_back(t);
    auto scheme = param("scheme", ParamType::String, "float or zoom");
    scheme.choices = {"float", "zoom"};
    scheme.default_value = pv_str("float");
    op.params.push_back(scheme);
    reg.add(op);
  }
  {
    OpSpec op;
    op.name = "polygonal_summary";
    op.help = "Statistics of the cells under polygons";
    op.accepts = {ValueKind::TiledLayer};
    op.produces = ValueKind::Result;
    auto g = param("geometry", ParamType::Any, "WKT, GeoJSON or an OGR source");
    g.required = true;
    op.params.push_back(g);
    auto stats = param("stats", ParamType::StringList, "statistics");
    stats.choices = {"min", "max", "mean", "sum"};
    op.params.push_back(stats);
    op.params.push_back(param("output", ParamType::OutputPath, "JSON or CSV"));
    op.validate = [](const Params& p) {
      const ParamValue& g = p.raw("geometry");
      if (g.is_map()) {
        if (!g.as_map().count("uri")) throw p.error("geometry", "geometry needs 'uri'");
        const std::string uri = p.resolve_path(g.as_map().at("uri").as_string());
        if (!fs::exists(uri)) throw p.error("geometry", "'" + uri + "' does not exist");
      }
    };
    reg.add(op);
  }
  {
    OpSpec op;
    op.name = "pyramid";
    op.help = "Builds a pyramid";
    op.accepts = {ValueKind::TiledLayer};
    op.produces = ValueKind::Pyramid;
    auto ez = param("end_zoom", ParamType::Int, "lowest zoom");
    ez.min = 0;
    ez.default_value = pv_int(0);
    op.params.push_back(ez);
    reg.add(op);
  }
  {
    OpSpec op;
    op.name = "local";
    op.help = "Map algebra over named inputs";
    op.inputs = Inputs::Named;
    op.accepts = {ValueKind::TiledLayer};
    op.produces = ValueKind::TiledLayer;
    auto e = param("expression", ParamType::String, "e.g. (a + b) / 2");
    e.required = true;
    op.params.push_back(e);
    op.validate = [](const Params& p) {
      for (char c : p.get_string("expression"))
        if (std::isalpha(static_cast<unsigned char>(c)) && !p.inputs().count(std::string(1, c)))
          throw p.error("expression", "unknown input '" + std::string(1, c) + "' in expression");
    };
    reg.add(op);
  }
  {
    OpSpec op;
    op.name = "convert_data_type";
    op.help = "Changes the cell type";
    op.accepts = {ValueKind::TiledLayer, ValueKind::RasterLayer};
    op.produces = ValueKind::TiledLayer;
    auto t = param("new_type", ParamType::CellTypeName, "GeoTrellis cell type name");
    t.required = true;
    op.params.push_back(t);
    reg.add(op);
  }
  {
    OpSpec op;
    op.name = "get_min_max";
    op.help = "Min and max of a layer";
    op.group = "stats";
    op.accepts = {ValueKind::TiledLayer};
    op.produces = ValueKind::Result;
    auto out = param("output", ParamType::OutputPath, "JSON or CSV file");
    op.params.push_back(out);
    auto stats = param("stats", ParamType::StringList, "statistics");
    stats.choices = {"min", "max", "mean"};
    stats.default_value = ParamValue{ParamList{pv_str("min"), pv_str("max")}, {}};
    op.params.push_back(stats);
    reg.add(op);
  }
  {
    OpSpec op;
    op.name = "write_geotiff";
    op.help = "Writes GeoTIFFs";
    op.accepts = {ValueKind::TiledLayer, ValueKind::Pyramid};
    op.produces = ValueKind::None;
    auto uri = param("uri", ParamType::OutputPath, "may contain {zoom}");
    uri.required = true;
    op.params.push_back(uri);
    reg.add(op);
  }
  {
    OpSpec op;
    op.name = "read_catalog";
    op.help = "Reads a catalog layer";
    op.inputs = Inputs::None;
    op.produces = ValueKind::TiledLayer;
    auto uri = param("uri", ParamType::InputPath, "catalog");
    uri.required = true;
    op.params.push_back(uri);
    reg.add(op);
  }
  {
    OpSpec op;
    op.name = "write_catalog";
    op.help = "Writes a catalog layer";
    op.accepts = {ValueKind::TiledLayer};
    op.produces = ValueKind::None;
    auto uri = param("uri", ParamType::OutputPath, "catalog");
    uri.required = true;
    op.params.push_back(uri);
    reg.add(op);
  }
  return reg;
}

// Runs `f`, expecting a JobError whose message starts with `prefix` and contains every fragment.
template <class F>
void expect_job_error(F&& f, const std::string& prefix, std::initializer_list<std::string> fragments) {
  try {
    f();
    ADD_FAILURE() << "no JobError (expected one starting with '" << prefix << "')";
  } catch (const JobError& e) {
    const std::string msg = e.what();
    if (std::getenv("TRELLIS_SHOW_ERRORS")) std::cerr << msg << "\n";
    EXPECT_EQ(msg.substr(0, prefix.size()), prefix) << "message: " << msg;
    for (const auto& frag : fragments)
      EXPECT_NE(msg.find(frag), std::string::npos) << "missing '" << frag << "' in: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "errors are one line: " << msg;
  }
}

}  // namespace trellis::job::testing
