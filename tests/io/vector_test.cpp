// io/vector: reading geometries (WKT, GeoJSON, OGR sources with layer and filter, reprojection) and
// the cell-centre rule of burn_cell_centres against the GeoTrellis rasterizer conformance cases.
#include "io/vector.hpp"

#include <gtest/gtest.h>
#include <ogr_api.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/crs.hpp"
#include "core/error.hpp"
#include "util/test_util.hpp"

namespace trellis::io {
namespace {

using test::TempDir;
namespace fs = std::filesystem;

std::vector<unsigned char> wkb_of(const std::string& wkt) {
  GeometrySource s;
  s.text = wkt;
  auto f = read_features(s, Crs(), Crs());
  EXPECT_EQ(f.size(), 1u);
  return f.at(0).wkb;
}

std::set<std::pair<long, long>> burn(const std::string& wkt, const GridExtent& g) {
  auto wkb = wkb_of(wkt);
  std::vector<std::uint8_t> mask;
  burn_cell_centres({std::span<const unsigned char>(wkb)}, g, mask);
  std::set<std::pair<long, long>> cells;
  for (long r = 0; r < g.rows; ++r)
    for (long c = 0; c < g.cols; ++c)
      if (mask[static_cast<std::size_t>(r * g.cols + c)]) cells.insert({c, r});
  return cells;
}

// The x/y of the first vertex of a WKB polygon.
std::pair<double, double> first_vertex(const std::vector<unsigned char>& wkb) {
  OGRGeometryH g = nullptr;
  EXPECT_EQ(OGR_G_CreateFromWkbEx(wkb.data(), nullptr, &g, wkb.size()), OGRERR_NONE);
  OGRGeometryH poly = g;
  if (wkbFlatten(OGR_G_GetGeometryType(g)) == wkbMultiPolygon) poly = OGR_G_GetGeometryRef(g, 0);
  OGRGeometryH ring = OGR_G_GetGeometryRef(poly, 0);
  std::pair<double, double> p{OGR_G_GetX(ring, 0), OGR_G_GetY(ring, 0)};
  OGR_G_DestroyGeometry(g);
  return p;
}

TEST(Vector, RasterizeConformanceCasesCellCentreRule) {
  // Every PixelIsPoint polygon case of cases.json (gt-rasterize-diamond, -square, -hole,
  // -diamond-scanline-through-corner, -subpixel-point, -subpixel2-point, -prev-failing): count and cells.
  auto shared = test::shared_dir();
  if (!shared) GTEST_SKIP() << "../shared is absent";
  auto cases = nlohmann::json::parse(test::read_file(*shared / "conformance/cases.json"))["cases"];
  int checked = 0;
  for (const auto& c : cases) {
    if (c["op"] != "rasterize" || !c["inputs"].contains("geometry_wkt")) continue;
    std::string options = c["params"].value("options", "");
    if (options.find("PixelIsPoint") == std::string::npos) continue;
    const auto& in = c["inputs"];
    auto e = in["raster_extent"];
    GridExtent g{{e[0].get<double>(), e[1].get<double>(), e[2].get<double>(), e[3].get<double>()},
                 in["cols"].get<long>(),
                 in["rows"].get<long>()};
    auto cells = burn(in["geometry_wkt"].get<std::string>(), g);
    EXPECT_EQ(cells.size(), c["expected"]["cell_count"].get<std::size_t>()) << c["id"];
    if (c["expected"].contains("cells_included")) {
      std::set<std::pair<long, long>> want;
      for (const auto& cr : c["expected"]["cells_included"])
        want.insert({cr[0].get<long>(), cr[1].get<long>()});
      EXPECT_EQ(cells, want) << c["id"];
    }
    ++checked;
  }
  EXPECT_GE(checked, 7);
}

TEST(Vector, FlippedDiamondAndRingOrientation) {
  // GeoTrellis PolygonRasterizerSpec "Flipped-diamond polygon w/ point pixels, scanline through corner"
  // (v1.2.0, 25 cells: the vertical left edge x = 5.5 runs through a column of centres, excluded) and
  // "Diamond polygon ... scanline through corner" (36: the bottom edge on a row of centres, included),
  // each in both ring orientations and from another start vertex.
  GridExtent g{{0, 0, 11, 11}, 11, 11};
  for (const char* wkt :
       {"POLYGON ((5.5 0, 11 5.5, 5.5 11, 5.5 0))", "POLYGON ((5.5 0, 5.5 11, 11 5.5, 5.5 0))",
        "POLYGON ((11 5.5, 5.5 11, 5.5 0, 11 5.5))"})
    EXPECT_EQ(burn(wkt, g).size(), 25u) << wkt;
  for (const char* wkt :
       {"POLYGON ((0 5.5, 5.5 11, 11 5.5, 0 5.5))", "POLYGON ((0 5.5, 11 5.5, 5.5 11, 0 5.5))",
        "POLYGON ((5.5 11, 11 5.5, 0 5.5, 5.5 11))"})
    EXPECT_EQ(burn(wkt, g).size(), 36u) << wkt;
  // The column x = 5.5 is excluded on the left end of the runs, included on the right end.
  auto left = burn("POLYGON ((5.5 0, 11 0, 11 11, 5.5 11, 5.5 0))", g);
  auto right = burn("POLYGON ((0 0, 5.5 0, 5.5 11, 0 11, 0 0))", g);
  EXPECT_EQ(left.size(), 5u * 11);
  EXPECT_EQ(right.size(), 6u * 11);
  // A MultiPolygon is the union of its parts; holes are out.
  auto multi = burn(
      "MULTIPOLYGON (((0 0, 2 0, 2 2, 0 2, 0 0)), ((5 5, 7 5, 7 7, 5 7, 5 5), (5.2 5.2, 5.8 5.2, 5.8 5.8, "
      "5.2 5.8, 5.2 5.2)))",
      g);
  EXPECT_EQ(multi.size(), 4u + 3u);
}

TEST(Vector, BruteForceCentreInPolygonAwayFromTies) {
  // Random star polygons on an irregular grid (no centre on an edge): the mask equals the even-odd
  // crossing test of every cell centre.
  GridExtent g{{-3.3, 1.7, 17.9, 23.1}, 53, 47};
  std::uint64_t seed = 12345;
  auto rnd = [&] {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(seed >> 11) / 9007199254740992.0;
  };
  for (int it = 0; it < 30; ++it) {
    int n = 3 + static_cast<int>(rnd() * 12);
    std::vector<double> ang(n);
    for (auto& a : ang) a = rnd() * 6.283185307179586;
    std::sort(ang.begin(), ang.end());
    std::vector<std::pair<double, double>> pts;
    for (double a : ang) {
      double rad = 2 + rnd() * 9;
      pts.push_back({7.3 + rad * std::cos(a), 12.4 + rad * std::sin(a)});
    }
    std::string wkt = "POLYGON ((";
    for (std::size_t i = 0; i <= pts.size(); ++i) {
      auto [x, y] = pts[i % pts.size()];
      wkt += (i ? ", " : "") + std::to_string(x) + " " + std::to_string(y);
    }
    wkt += "))";
    // Coordinates as parsed back (to_string rounds to 6 decimals).
    GeometrySource s;
    s.text = wkt;
    auto f = read_features(s, Crs(), Crs());
    OGRGeometryH geom = nullptr;
    OGR_G_CreateFromWkbEx(f[0].wkb.data(), nullptr, &geom, f[0].wkb.size());
    OGRGeometryH ring = OGR_G_GetGeometryRef(geom, 0);
    int np = OGR_G_GetPointCount(ring);
    std::set<std::pair<long, long>> want;
    for (long r = 0; r < g.rows; ++r)
      for (long c = 0; c < g.cols; ++c) {
        double x = g.grid_to_map_x(c), y = g.grid_to_map_y(r);
        bool in = false;
        for (int i = 0, j = np - 1; i < np; j = i++) {
          double xi = OGR_G_GetX(ring, i), yi = OGR_G_GetY(ring, i), xj = OGR_G_GetX(ring, j),
                 yj = OGR_G_GetY(ring, j);
          if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) in = !in;
        }
        if (in) want.insert({c, r});
      }
    OGR_G_DestroyGeometry(geom);
    EXPECT_EQ(burn(wkt, g), want) << wkt;
  }
}

TEST(Vector, WktAndEwkt) {
  GeometrySource s;
  s.text = "  POLYGON ((0 0, 1 0, 1 1, 0 0))  ";
  auto f = read_features(s, Crs(), Crs());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].type, "POLYGON");
  EXPECT_TRUE(f[0].polygonal);
  EXPECT_EQ(f[0].envelope, (Extent{0, 0, 1, 1}));
  // EWKT in WGS 84 reprojected to Web Mercator; compared with PROJ.
  s.text = "SRID=4326;POLYGON ((-25.5 37.8, -25.4 37.8, -25.4 37.7, -25.5 37.8))";
  f = read_features(s, Crs(), Crs::from_epsg(3857));
  double x = -25.5, y = 37.8;
  Transform(Crs::from_epsg(4326), Crs::from_epsg(3857)).apply(x, y);
  auto [fx, fy] = first_vertex(f[0].wkb);
  EXPECT_NEAR(fx, x, 1e-6);
  EXPECT_NEAR(fy, y, 1e-6);
  // Without SRID the fallback CRS applies.
  s.text = "POLYGON ((-25.5 37.8, -25.4 37.8, -25.4 37.7, -25.5 37.8))";
  f = read_features(s, Crs::from_epsg(4326), Crs::from_epsg(3857));
  EXPECT_NEAR(first_vertex(f[0].wkb).first, x, 1e-6);
  // Errors name the part of the source.
  s.text = "POLYGON ((0 0, 1 0, 1 1";
  try {
    check_geometry_source(s, true);
    FAIL() << "no error";
  } catch (const GeometryError& e) {
    EXPECT_EQ(e.field(), "text");
  }
  s.text = "LINESTRING (0 0, 1 1)";
  EXPECT_THROW(check_geometry_source(s, true), GeometryError);
  EXPECT_NO_THROW(check_geometry_source(s, false));
  s.text = "POLYGON ((0 0, 1 0, 1 1, 0 0)) trailing";
  EXPECT_THROW(check_geometry_source(s, true), GeometryError);
  s.text = "POLYGON EMPTY";
  f = read_features(s, Crs(), Crs());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(f[0].wkb.empty());
  // Curves are linearised.
  s.text = "CURVEPOLYGON (CIRCULARSTRING (0 0, 2 0, 2 2, 0 2, 0 0))";
  f = read_features(s, Crs(), Crs());
  EXPECT_TRUE(f[0].polygonal);
  EXPECT_EQ(f[0].type, "POLYGON");
}

TEST(Vector, InlineGeoJson) {
  GeometrySource s;
  s.kind = GeometrySource::Kind::GeoJson;
  s.text = R"({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "a", "n": 3, "x": 1.5},
     "geometry": {"type": "Polygon", "coordinates": [[[500000, 4000000], [500100, 4000000], [500100, 4000100], [500000, 4000000]]]}},
    {"type": "Feature", "properties": {"name": "b", "n": null, "x": 2.5}, "geometry": null}]})";
  // No "crs" member: the coordinates are in the fallback (here UTM), not RFC 7946's WGS 84.
  auto f = read_features(s, Crs::from_epsg(32626), Crs::from_epsg(32626));
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].attributes["name"], "a");
  EXPECT_EQ(f[0].attributes["n"], 3);
  EXPECT_EQ(f[0].attributes["x"], 1.5);
  EXPECT_EQ(f[0].envelope, (Extent{500000, 4000000, 500100, 4000100}));
  EXPECT_TRUE(f[1].attributes["n"].is_null());
  EXPECT_TRUE(f[1].wkb.empty());
  EXPECT_TRUE(f[1].type.empty());
  s.text = R"({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]})";
  EXPECT_EQ(read_features(s, Crs(), Crs()).size(), 1u);
  s.text = R"({"type": "Point", "coordinates": [0, 0]})";
  EXPECT_THROW(check_geometry_source(s, true), GeometryError);
  s.text = R"({"type": "Polygon", "coordinates": )";
  EXPECT_THROW(check_geometry_source(s, false), GeometryError);
}

TEST(Vector, OgrSourceLayerFilterAndReprojection) {
  auto shared = test::shared_dir();
  if (!shared) GTEST_SKIP() << "../shared is absent";
  GeometrySource s;
  s.kind = GeometrySource::Kind::Ogr;
  s.path = (*shared / "data/sao-miguel/concelhos.gpkg").string();
  auto all = read_features(s, Crs(), Crs::from_epsg(4326));  // the only layer
  ASSERT_EQ(all.size(), 6u);
  for (const auto& f : all) {
    EXPECT_TRUE(f.polygonal);
    EXPECT_TRUE(f.fid.has_value());
    EXPECT_TRUE(f.attributes["name"].is_string());
  }
  s.layer = "concelhos";
  s.where = "name = 'Lagoa'";
  auto lagoa = read_features(s, Crs(), Crs::from_epsg(4326));
  ASSERT_EQ(lagoa.size(), 1u);
  EXPECT_EQ(lagoa[0].attributes["name"], "Lagoa");
  // Reprojected to UTM 26N by OGR: the first vertex equals PROJ's transform of the WGS 84 one.
  auto utm = read_features(s, Crs(), Crs::from_epsg(32626));
  auto [lon, lat] = first_vertex(lagoa[0].wkb);
  Transform(Crs::from_epsg(4326), Crs::from_epsg(32626)).apply(lon, lat);
  auto [ux, uy] = first_vertex(utm[0].wkb);
  EXPECT_NEAR(ux, lon, 1e-6);
  EXPECT_NEAR(uy, lat, 1e-6);
  EXPECT_GT(utm[0].envelope.xmin, 500000.0 - 200000);

  auto field_of = [&](GeometrySource bad) {
    try {
      check_geometry_source(bad, true);
    } catch (const GeometryError& e) {
      return e.field();
    }
    return std::string("none");
  };
  GeometrySource bad = s;
  bad.layer = "concelho";
  EXPECT_EQ(field_of(bad), "layer");
  bad = s;
  bad.where = "nome = 'x'";
  EXPECT_EQ(field_of(bad), "where");
  bad = s;
  bad.path += ".missing";
  EXPECT_EQ(field_of(bad), "uri");
  EXPECT_EQ(field_of(s), "none");

  // A GeoJSON file is WGS 84 (RFC 7946) and is reprojected.
  TempDir d;
  std::ofstream(d / "a.geojson")
      << R"({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"k": "v"}, "geometry":
            {"type": "Polygon", "coordinates": [[[-25.5, 37.8], [-25.4, 37.8], [-25.4, 37.7], [-25.5, 37.8]]]}}]})";
  GeometrySource gj;
  gj.kind = GeometrySource::Kind::Ogr;
  gj.path = (d / "a.geojson").string();
  auto f = read_features(gj, Crs::from_epsg(32626), Crs::from_epsg(3857));
  double x = -25.5, y = 37.8;
  Transform(Crs::from_epsg(4326), Crs::from_epsg(3857)).apply(x, y);
  EXPECT_NEAR(first_vertex(f[0].wkb).first, x, 1e-6);
  EXPECT_EQ(f[0].attributes["k"], "v");
}

}  // namespace
}  // namespace trellis::io
