// trellis serve end to end: the program serves a catalog written by a job; its tiles are render_png's
// tiles of the same layer and style, pixel for pixel; /values/ gives the cells of any layer's tile; the
// catalog provider's refusals come back as 4xx; SIGTERM stops it with exit 0.
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>
#include <tuple>

#include "e2e/e2e_util.hpp"
#include "e2e/s3_server.hpp"
#include "render/png.hpp"

namespace trellis::test {
namespace {

// `trellis serve ARGS` in the background; stderr goes to a file; the port is read from its first line.
class ServeProcess {
 public:
  ServeProcess(const std::string& args, const fs::path& log) : log_(log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      std::freopen(log.c_str(), "w", stderr);
      ::execl("/bin/sh", "sh", "-c", (std::string("exec '") + TRELLIS_BINARY + "' serve " + args).c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    static const std::regex re("at http://[^:]+:([0-9]+)/");
    for (int i = 0; i < 300 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      std::smatch m;
      const std::string text = fs::exists(log) ? read_file(log) : "";
      if (std::regex_search(text, m, re)) port_ = std::stoi(m[1]);
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true, status_ = status;
        break;
      }
    }
  }
  ~ServeProcess() {
    if (!exited_) stop();
  }
  int port() const { return port_; }
  // SIGTERM, then the exit status.
  int stop() {
    if (exited_) return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, &status_, 0);
    exited_ = true;
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }
  std::string log() const { return read_file(log_); }

 private:
  fs::path log_;
  pid_t pid_ = -1;
  int port_ = 0, status_ = 0;
  bool exited_ = false;
};

const char* kJob =
    "version: 1\nsteps:\n  - op: read_geotiff\n    uri: in.tif\n  - op: tile_to_layout\n    tile_size: 256\n"
    "  - op: reproject\n    target_crs: EPSG:3857\n    scheme: zoom\n    zoom: 7\n"
    "  - id: pyramid\n    op: pyramid\n    end_zoom: 4\n"
    "  - op: write_catalog\n    input: pyramid\n    uri: cat\n    layer_name: heights\n"
    "  - op: render_png\n    input: pyramid\n    tiles: tiles\n    ramp: magma\n    breaks: [0, 20, 40, 60, "
    "80]\n"
    "    fallback: \"#ff00ff\"\n";

void make_input(const TempDir& dir) {
  const int cols = 300, rows = 200;
  std::vector<std::vector<double>> cells(1, std::vector<double>(static_cast<std::size_t>(cols) * rows));
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < cols; ++x)
      cells[0][static_cast<std::size_t>(y) * cols + x] =
          (x * 7 + y * 3) % 113 == 0 ? -1 : (x + y) * 100.0 / 500;
  write_raster(dir / "in.tif", "Float32", cols, rows, 1, {2.0, 0.03, 0, 50.0, 0, -0.03}, "EPSG:4326", -1.0,
               cells);
}

render::DecodedPng decode(const std::string& body) {
  return render::decode_png(std::as_bytes(std::span(body.data(), body.size())));
}

// Every tile of render_png's tree in `tiles`, requested with the job's style, decodes to the same pixels.
// Returns how many were compared.
int compare_with_tree(httplib::Client& client, const fs::path& tiles) {
  int compared = 0;
  for (const auto& e : fs::recursive_directory_iterator(tiles)) {
    if (e.path().extension() != ".png") continue;
    const std::string rel = fs::relative(e.path(), tiles).string();
    const auto res =
        client.Get(("/heights/" + rel + "?ramp=magma&breaks=0,20,40,60,80&fallback=ff00ff").c_str());
    if (!res) {
      ADD_FAILURE() << rel << ": no answer";
      return compared;
    }
    EXPECT_EQ(res->status, 200) << rel << ": " << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "image/png") << rel;
    if (res->status == 200) {
      EXPECT_EQ(decode(res->body).rgba, render::decode_png_file(e.path().string()).rgba) << rel;
    }
    ++compared;
  }
  return compared;
}

TEST(Serve, ServedTilesAreRenderPngTiles) {
  TempDir dir;
  make_input(dir);
  const RunResult r = run_job_text(dir, kJob, 2);
  ASSERT_EQ(r.status, 0) << r.err;
  ServeProcess server("'" + (dir / "cat").string() + "' --port 0 --log-level debug --threads 4",
                      dir / "serve.log");
  ASSERT_GT(server.port(), 0) << server.log();
  httplib::Client client("127.0.0.1", server.port());
  const int compared = compare_with_tree(client, dir / "tiles");
  EXPECT_GT(compared, 8);
  // A tile the tree skipped (nothing to draw) is served fully transparent.
  const auto res = client.Get("/heights/4/0/0.png?ramp=magma&breaks=0,20,40,60,80");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const auto empty = decode(res->body);
  for (std::size_t i = 3; i < empty.rgba.size(); i += 4) ASSERT_EQ(empty.rgba[i], 0);
  // The viewer, TileJSON and the layer list.
  const auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("leaflet"), std::string::npos);
  const auto tj = client.Get("/heights/tilejson.json");
  ASSERT_TRUE(tj);
  ASSERT_EQ(tj->status, 200);
  const auto j = nlohmann::json::parse(tj->body);
  EXPECT_EQ(j["minzoom"], 4);
  EXPECT_EQ(j["maxzoom"], 7);
  EXPECT_NEAR(j["bounds"][0].get<double>(), 2.0, 0.01);
  EXPECT_NEAR(j["bounds"][3].get<double>(), 50.0, 0.01);
  EXPECT_EQ(server.stop(), 0);
  // One line per request at debug level.
  EXPECT_NE(server.log().find("/heights/tilejson.json"), std::string::npos) << server.log();
}

// The HDF5 store is served as well: the same tiles as render_png's.
TEST(Serve, ServesAnHdf5Store) {
  TempDir dir;
  make_input(dir);
  std::string job = kJob;
  job.replace(job.find("uri: cat\n"), 9, "uri: hdf5://cat.h5\n");
  const RunResult r = run_job_text(dir, job, 2);
  ASSERT_EQ(r.status, 0) << r.err;
  ServeProcess server("hdf5://'" + (dir / "cat.h5").string() + "' --port 0 --threads 4", dir / "serve.log");
  ASSERT_GT(server.port(), 0) << server.log();
  httplib::Client client("127.0.0.1", server.port());
  const int compared = compare_with_tree(client, dir / "tiles");
  EXPECT_GT(compared, 8);
  EXPECT_EQ(server.stop(), 0);
}

// An S3 catalog is served as well (s3rver on loopback): the same tiles as render_png's.
TEST(Serve, ServesAnS3Catalog) {
  TRELLIS_REQUIRE_S3(s3);
  TempDir dir;
  make_input(dir);
  std::string job = kJob;
  job.replace(job.find("uri: cat\n"), 9, std::string("uri: s3://") + S3Server::kBucket + "/served\n");
  const RunResult r = run_job_text(dir, job, 2);
  ASSERT_EQ(r.status, 0) << r.err;
  ServeProcess server(std::string("s3://") + S3Server::kBucket + "/served --port 0 --threads 4",
                      dir / "serve.log");
  ASSERT_GT(server.port(), 0) << server.log();
  httplib::Client client("127.0.0.1", server.port());
  const int compared = compare_with_tree(client, dir / "tiles");
  EXPECT_GT(compared, 8);
  EXPECT_EQ(server.stop(), 0);
}

TEST(Serve, TheCatalogsRefusalsAre4xx) {
  TempDir dir;
  make_input(dir);
  const RunResult r = run_job_text(dir, kJob, 1);
  ASSERT_EQ(r.status, 0) << r.err;
  ServeProcess server("'" + (dir / "cat").string() + "' --port 0", dir / "serve.log");
  ASSERT_GT(server.port(), 0) << server.log();
  httplib::Client client("127.0.0.1", server.port());
  const std::pair<const char*, int> cases[] = {
      {"/nope/5/16/10.png", 404},                         // unknown layer
      {"/heights/9/16/10.png", 404},                      // a zoom the layer lacks
      {"/heights/5/99/10.png", 404},                      // outside the world at zoom 5
      {"/heights/5/16/10.png?ramp=nope", 400},            // unknown ramp
      {"/heights/5/16/10.png?colour=red", 400},           // unknown parameter
      {"/heights/5/16/10.png?breaks=3,2", 400},           // breaks not increasing
      {"/heights/5/16/10.png?band=3", 400},               // a band the layer lacks
      {"/heights/5/16/10.png?quantiles=0", 400},          // out of range
      {"/heights/5/16/10.png?fallback=notacolour", 400},  // bad colour
      {"/heights/5/16/10.png?rgb=0,1,2", 400},
      {"/heights/5/16/10.png?interpolation=linear&fallback=ff0000",
       400},                         // no effect            // rgb of a one-band layer
      {"/../../etc/passwd", 400},    // traversal
      {"/heights/5/x/10.png", 400},  // malformed
  };
  for (const auto& [path, status] : cases) {
    const auto res = client.Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, status) << path << ": " << res->body;
  }
  // Still serving after all that.
  const auto ok = client.Get("/heights/5/16/10.png?quantiles=5");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  // A second server on the same port: exit 3, one line.
  const RunResult twice =
      run_trellis("serve '" + (dir / "cat").string() + "' --port " + std::to_string(server.port()));
  EXPECT_EQ(twice.status, 3) << twice.err;
  EXPECT_NE(twice.err.find("cannot listen on 127.0.0.1:" + std::to_string(server.port())), std::string::npos)
      << twice.err;
  EXPECT_EQ(server.stop(), 0);
}

// /values/ answers the cells of any layer's tile, here a floating layout that is not served as PNG tiles:
// every cell equals make_input's formula (NoData, and the padding of edge tiles, as null).
TEST(Serve, ServesTheCellsOfAnyLayerByKey) {
  TempDir dir;
  make_input(dir);
  const RunResult w = run_job_text(dir,
                                   "version: 1\nsteps:\n  - op: read_geotiff\n    uri: in.tif\n"
                                   "  - op: tile_to_layout\n    tile_size: 64\n"
                                   "  - op: write_catalog\n    uri: cat\n    layer_name: flat\n",
                                   1);
  ASSERT_EQ(w.status, 0) << w.err;
  ServeProcess server("'" + (dir / "cat").string() + "' --port 0", dir / "serve.log");
  ASSERT_GT(server.port(), 0) << server.log();
  EXPECT_NE(server.log().find("not served: flat zoom 0 as PNG tiles"), std::string::npos) << server.log();
  httplib::Client client("127.0.0.1", server.port());
  const auto list = client.Get("/layers.json");
  ASSERT_TRUE(list);
  EXPECT_EQ(nlohmann::json::parse(list->body)["layers"].size(), 0u);
  int cells = 0;
  for (int r = 0; r < 4; ++r) {  // 300 x 200 cells in 64-cell tiles: 5 x 4 keys
    for (int c = 0; c < 5; ++c) {
      const std::string path = "/values/flat/0/" + std::to_string(c) + "/" + std::to_string(r) + ".json";
      const auto res = client.Get(path.c_str());
      ASSERT_TRUE(res) << path;
      ASSERT_EQ(res->status, 200) << path << ": " << res->body;
      EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
      const nlohmann::json j = nlohmann::json::parse(res->body);
      EXPECT_EQ(j["col"], c);
      EXPECT_EQ(j["row"], r);
      EXPECT_EQ(j["cell_type"], "float32ud-1.0");
      ASSERT_EQ(j["bands"].size(), 1u);
      ASSERT_EQ(j["bands"][0].size(), 64u);
      for (int y = 0; y < 64; ++y) {
        for (int x = 0; x < 64; ++x) {
          const int gx = c * 64 + x, gy = r * 64 + y;
          const nlohmann::json& v = j["bands"][0][y][x];
          if (gx >= 300 || gy >= 200 || (gx * 7 + gy * 3) % 113 == 0) {
            EXPECT_TRUE(v.is_null()) << path << " " << x << "," << y << ": " << v;
          } else {
            ASSERT_TRUE(v.is_number()) << path << " " << x << "," << y;
            EXPECT_EQ(v.get<double>(), static_cast<double>(static_cast<float>((gx + gy) * 100.0 / 500)));
            ++cells;
          }
        }
      }
    }
  }
  EXPECT_EQ(cells, 300 * 200 - 531);  // 531 cells of the input are NoData
  // Each refusal for its own reason: the body says which.
  const std::tuple<const char*, int, const char*> refused[] = {
      {"/values/flat/0/5/0.json", 404, "key (5, 0) is outside the layer's key bounds"},
      {"/values/flat/0/0/4.json", 404, "key (0, 4) is outside the layer's key bounds"},
      {"/values/flat/1/0/0.json", 404, "zoom 1 is not in layer 'flat' (it has 0)"},
      {"/values/nope/0/0/0.json", 404, "unknown layer"},
      {"/values/flat/0/-1/0.json", 400, "malformed key"},
      {"/values/flat/0/0/x.json", 400, "malformed key"},
      {"/values/flat/0/0/0.png", 404, "not found"},
      {"/values/flat/0/99999999999/0.json", 404, "key out of range"}};
  for (const auto& [path, status, why] : refused) {
    const auto res = client.Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, status) << path << ": " << res->body;
    EXPECT_NE(res->body.find(why), std::string::npos) << path << ": " << res->body;
  }
  EXPECT_EQ(server.stop(), 0);
}

TEST(Serve, RefusesACatalogWithNothingToServe) {
  TempDir dir;
  fs::create_directories(dir / "cat" / "attributes");
  const RunResult r = run_trellis("serve '" + (dir / "cat").string() + "' --port 0");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("has no layer to serve"), std::string::npos) << r.err;
  // A style file with an unknown layer, or a bad style, is refused before serving.
  make_input(dir);
  ASSERT_EQ(run_job_text(dir, kJob, 1).status, 0);
  dir.write("style.yaml", "flat:\n  ramp: viridis\n");
  const RunResult s = run_trellis("serve '" + (dir / "cat").string() + "' --port 0 --style '" +
                                  (dir / "style.yaml").string() + "'");
  EXPECT_EQ(s.status, 2) << s.err;
  EXPECT_NE(s.err.find("names layer 'flat', which is not served"), std::string::npos) << s.err;
  dir.write("style.yaml", "heights:\n  ramp: viridis\n  breaks: [3, 1]\n");
  const RunResult b = run_trellis("serve '" + (dir / "cat").string() + "' --port 0 --style '" +
                                  (dir / "style.yaml").string() + "'");
  EXPECT_EQ(b.status, 2) << b.err;
  EXPECT_NE(b.err.find("the style of layer 'heights': breaks must increase"), std::string::npos) << b.err;
  // An empty style file is no style.
  dir.write("style.yaml", "");
  ServeProcess empty(
      "'" + (dir / "cat").string() + "' --port 0 --style '" + (dir / "style.yaml").string() + "'",
      dir / "serve.log");
  EXPECT_GT(empty.port(), 0) << empty.log();
  EXPECT_EQ(empty.stop(), 0);
}

}  // namespace
}  // namespace trellis::test
