// CRS parsing through PROJ, GeoTrellis proj4 strings, and transforms.
#include "core/crs.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"

namespace trellis {
namespace {

TEST(Crs, EpsgForms) {
  for (const char* s : {"EPSG:4326", "epsg:4326", "Epsg:4326", " EPSG:4326 ", "4326", "EPSG: 4326"}) {
    SCOPED_TRACE(s);
    Crs c = Crs::from_user(s);
    ASSERT_TRUE(c.valid());
    EXPECT_EQ(c.epsg(), 4326);
    EXPECT_EQ(c.definition(), "EPSG:4326");
    EXPECT_TRUE(c.is_latlng());
    EXPECT_TRUE(c.is_geographic());
    EXPECT_FALSE(c.is_webmercator());
  }
  Crs wm = Crs::from_user("epsg:3857");
  EXPECT_EQ(wm.epsg(), 3857);
  EXPECT_TRUE(wm.is_webmercator());
  EXPECT_FALSE(wm.is_geographic());
  EXPECT_EQ(Crs::from_epsg(32633).epsg(), 32633);
  EXPECT_EQ(Crs::from_user("3857"), wm);
  EXPECT_FALSE(Crs().valid());
}

TEST(Crs, UnknownThrowsJobError) {
  for (const char* s : {"xyz", "EPSG:999999", "EPSG:abc", "", "+proj=nonsense", "0", "EPSG:"}) {
    SCOPED_TRACE(s);
    EXPECT_THROW(Crs::from_user(s), JobError);
  }
  try {
    Crs::from_user("xyz");
    FAIL() << "no exception";
  } catch (const JobError& e) {
    EXPECT_EQ(std::string(e.what()), "unknown CRS 'xyz'");
    EXPECT_EQ(e.code(), kExitJob);
  }
  EXPECT_THROW(Crs::from_epsg(999999), JobError);
  EXPECT_THROW(Crs::from_epsg(-1), JobError);
  EXPECT_THROW(Crs::from_wkt("GEOGCS[garbage"), JobError);
}

TEST(Crs, ProjStringsAreIdentified) {
  Crs ll = Crs::from_user("+proj=longlat +datum=WGS84 +no_defs ");  // as GeoTrellis records LatLng
  EXPECT_EQ(ll.epsg(), 4326);
  EXPECT_TRUE(ll.is_latlng());
  Crs wm = Crs::from_user(
      "+proj=merc +a=6378137 +b=6378137 +lat_ts=0.0 +lon_0=0.0 +x_0=0.0 +y_0=0 +k=1.0 +units=m "
      "+nadgrids=@null "
      "+wktext +no_defs ");
  EXPECT_EQ(wm.epsg(), 3857);
  Crs utm = Crs::from_user("+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs");
  EXPECT_EQ(utm.epsg(), 32633);
  Crs wgs72 = Crs::from_user("+proj=longlat +ellps=WGS72 +towgs84=0,0,1.9,0,0,0.814,-0.38 +no_defs ");
  EXPECT_EQ(wgs72.epsg(), 4324);
  // Not an EPSG CRS: keeps the user's text.
  std::string sinu = "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +a=6371007.181 +b=6371007.181 +units=m +no_defs";
  Crs s = Crs::from_user(sinu);
  EXPECT_FALSE(s.epsg().has_value());
  EXPECT_EQ(s.definition(), sinu);
  EXPECT_FALSE(s.is_geographic());
  Crs sphere = Crs::from_user("+proj=longlat +R=6371000 +no_defs");
  EXPECT_FALSE(sphere.epsg().has_value());
  EXPECT_TRUE(sphere.is_geographic());
}

TEST(Crs, Wkt) {
  const std::string wkt1 =
      R"(GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],)"
      R"(UNIT["degree",0.0174532925199433]])";
  EXPECT_EQ(Crs::from_wkt(wkt1).epsg(), 4326);
  EXPECT_EQ(Crs::from_user(wkt1).epsg(), 4326);
  // WKT2 of EPSG:32633 round-trips with its ID.
  std::string w = Crs::from_epsg(32633).wkt();
  EXPECT_NE(w.find("PROJCRS"), std::string::npos);
  EXPECT_NE(w.find("UTM zone 33N"), std::string::npos);
  EXPECT_EQ(Crs::from_wkt(w).epsg(), 32633);
  EXPECT_TRUE(Crs().wkt().empty());
}

TEST(Crs, Proj4AsGeoTrellisRecordsIt) {
  EXPECT_EQ(Crs::from_epsg(4326).proj4(), "+proj=longlat +datum=WGS84 +no_defs ");
  EXPECT_EQ(Crs::from_epsg(3857).proj4(),
            "+proj=merc +a=6378137 +b=6378137 +lat_ts=0.0 +lon_0=0.0 +x_0=0.0 +y_0=0 +k=1.0 +units=m "
            "+nadgrids=@null +wktext +no_defs ");
  // semantics.md (Reproject): EPSG:4324 -> this string.
  EXPECT_EQ(Crs::from_epsg(4324).proj4(),
            "+proj=longlat +ellps=WGS72 +towgs84=0,0,1.9,0,0,0.814,-0.38 +no_defs ");
  EXPECT_EQ(Crs::from_epsg(32633).proj4(), "+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs ");
  std::string p =
      Crs::from_user("+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +a=6371007.181 +b=6371007.181 +units=m").proj4();
  EXPECT_EQ(p.back(), ' ');
  EXPECT_EQ(p.find("+type=crs"), std::string::npos);
  EXPECT_NE(p.find("+proj=sinu"), std::string::npos);
  // The proj4 string parses back to the same CRS.
  for (int code : {4326, 3857, 32633, 3035}) {
    SCOPED_TRACE(code);
    Crs c = Crs::from_epsg(code);
    EXPECT_TRUE(Crs::from_user(c.proj4()).equivalent(c));
  }
}

TEST(Crs, Equivalence) {
  EXPECT_TRUE(Crs::from_epsg(4326).equivalent(Crs::from_user("epsg:4326")));
  EXPECT_FALSE(Crs::from_epsg(4326).equivalent(Crs::from_epsg(3857)));
  Crs a = Crs::from_user("+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +a=6371007.181 +b=6371007.181 +units=m +no_defs");
  Crs b = Crs::from_user("+proj=sinu +R=6371007.181 +units=m");
  EXPECT_TRUE(a.equivalent(b));
  EXPECT_FALSE(a.equivalent(Crs::from_user("+proj=sinu +R=6371000 +units=m")));
  EXPECT_TRUE(Crs() == Crs());
  EXPECT_FALSE(Crs() == Crs::from_epsg(4326));
}

TEST(Transform, LonLatToWebMercator) {
  Transform t(Crs::from_epsg(4326), Crs::from_epsg(3857));
  double x = 10, y = 50;  // lon, lat: x/y are east/north whatever the CRS axis order
  EXPECT_TRUE(t.apply(x, y));
  EXPECT_NEAR(x, 1113194.9079, 1e-4);
  EXPECT_NEAR(y, 6446275.8410, 1e-4);
  Transform back(Crs::from_epsg(3857), Crs::from_epsg(4326));
  EXPECT_TRUE(back.apply(x, y));
  EXPECT_NEAR(x, 10, 1e-9);
  EXPECT_NEAR(y, 50, 1e-9);
}

TEST(Transform, VectorsAndFailures) {
  Transform t(Crs::from_epsg(4326), Crs::from_epsg(3857));
  std::vector<double> xs{0, 10, 180, 0}, ys{0, 50, 0, 91};
  t.apply(xs, ys);
  EXPECT_NEAR(xs[0], 0, 1e-9);
  EXPECT_NEAR(ys[0], 0, 1e-9);
  EXPECT_NEAR(xs[1], 1113194.9079, 1e-4);
  EXPECT_NEAR(ys[1], 6446275.8410, 1e-4);
  EXPECT_NEAR(xs[2], 20037508.342789244, 1e-6);
  EXPECT_TRUE(std::isnan(xs[3]));
  EXPECT_TRUE(std::isnan(ys[3]));
  // An invalid latitude fails: NaN and false.
  double x = 0, y = 91;
  EXPECT_FALSE(t.apply(x, y));
  EXPECT_TRUE(std::isnan(x));
  EXPECT_TRUE(std::isnan(y));
}

TEST(Transform, IdentityAndUtm) {
  Transform id(Crs::from_epsg(4326), Crs::from_user("EPSG:4326"));
  double x = 12.5, y = -3.25;
  EXPECT_TRUE(id.apply(x, y));
  EXPECT_EQ(x, 12.5);
  EXPECT_EQ(y, -3.25);
  Transform utm(Crs::from_epsg(4326), Crs::from_epsg(32633));
  x = 15;  // central meridian of zone 33
  y = 0;
  EXPECT_TRUE(utm.apply(x, y));
  EXPECT_NEAR(x, 500000, 1e-6);
  EXPECT_NEAR(y, 0, 1e-6);
}

TEST(Transform, DensifiedExtent) {
  Transform t(Crs::from_epsg(4326), Crs::from_epsg(3857));
  Extent e = t.apply(Extent{-10, 40, 10, 60});
  EXPECT_NEAR(e.xmin, -1113194.9079, 1e-3);
  EXPECT_NEAR(e.xmax, 1113194.9079, 1e-3);
  EXPECT_NEAR(e.ymin, 4865942.2795, 1e-3);
  EXPECT_NEAR(e.ymax, 8399737.8898, 1e-3);
  // UTM -> lon/lat: the densified boundary finds the bulge of the curved edges.
  Transform u(Crs::from_epsg(32633), Crs::from_epsg(4326));
  Extent g = u.apply(Extent{300000, 5000000, 700000, 5500000});
  double cx = 500000, cy = 5500000;  // top centre: the northernmost point of the top edge
  ASSERT_TRUE(u.apply(cx, cy));
  EXPECT_NEAR(g.ymax, cy, 1e-6);
  double lx = 300000, ly = 5000000;
  ASSERT_TRUE(u.apply(lx, ly));
  EXPECT_LE(g.xmin, lx);
  EXPECT_LT(g.xmin, g.xmax);
  Transform same(Crs::from_epsg(3857), Crs::from_epsg(3857));
  EXPECT_EQ(same.apply(Extent{1, 2, 3, 4}), (Extent{1, 2, 3, 4}));
}

TEST(Transform, MovableAndThreadSafe) {
  Transform a(Crs::from_epsg(4326), Crs::from_epsg(3857));
  Transform b = std::move(a);
  double x = 10, y = 50;
  EXPECT_TRUE(b.apply(x, y));
  EXPECT_NEAR(x, 1113194.9079, 1e-4);
  // One Transform per thread.
  std::vector<double> results(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&results, i] {
      Transform t(Crs::from_epsg(4326), Crs::from_epsg(3857));
      double tx = 10, ty = 50;
      for (int k = 0; k < 200; ++k) {
        tx = 10;
        ty = 50;
        t.apply(tx, ty);
      }
      results[static_cast<std::size_t>(i)] = tx;
    });
  for (auto& th : threads) th.join();
  for (double r : results) EXPECT_NEAR(r, 1113194.9079, 1e-4);
  EXPECT_THROW(Transform(Crs(), Crs::from_epsg(4326)), JobError);
}

}  // namespace
}  // namespace trellis
