// The HTTP tile server against a fake provider: routes, refusals, the cache, a load test and the viewer
// drawn by a headless browser.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <png.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "serve/http_server.hpp"
#include "serve/viewer.hpp"

namespace trellis::serve {
namespace {

// ---- PNG helpers (libpng's simplified API) ----

struct Rgba {
  std::uint8_t r, g, b, a;
};

std::string encode_png(int width, int height, const std::vector<std::uint8_t>& rgba) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = PNG_FORMAT_RGBA;
  png_alloc_size_t size = 0;
  if (!png_image_write_get_memory_size(image, size, 0, rgba.data(), 0, nullptr)) {
    throw std::runtime_error(std::string("png size: ") + image.message);
  }
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&image, out.data(), &size, 0, rgba.data(), 0, nullptr)) {
    throw std::runtime_error(std::string("png write: ") + image.message);
  }
  out.resize(size);
  return out;
}

std::string solid_png(Rgba c) {
  std::vector<std::uint8_t> px(256 * 256 * 4);
  for (std::size_t i = 0; i < px.size(); i += 4) {
    px[i] = c.r;
    px[i + 1] = c.g;
    px[i + 2] = c.b;
    px[i + 3] = c.a;
  }
  return encode_png(256, 256, px);
}

struct Image {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgba;
};

Image decode_png(const std::string& bytes) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) {
    throw std::runtime_error(std::string("png read: ") + image.message);
  }
  image.format = PNG_FORMAT_RGBA;
  Image out{static_cast<int>(image.width), static_cast<int>(image.height), {}};
  out.rgba.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.rgba.data(), 0, nullptr)) {
    throw std::runtime_error(std::string("png read: ") + image.message);
  }
  return out;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// ---- The fake provider ----

LayerInfo make_layer(std::string name, int min_zoom, int max_zoom, double west = -180,
                     double south = -85.0511, double east = 180, double north = 85.0511) {
  LayerInfo l;
  l.name = std::move(name);
  l.min_zoom = min_zoom;
  l.max_zoom = max_zoom;
  l.west = west;
  l.south = south;
  l.east = east;
  l.north = north;
  return l;
}

// Layers "red" (zooms 0..12, over Europe) and "blue" (2..5, the world): solid 256x256 tiles of one
// colour per layer; ramp=green makes them green. Style parameters: ramp, breaks, fail (fail=400, 404
// throw HttpError; fail=throw a std::runtime_error; fail=int an int).
class FakeProvider : public TileProvider {
 public:
  static constexpr Rgba kRed{200, 30, 40, 255};
  static constexpr Rgba kBlue{30, 60, 200, 255};
  static constexpr Rgba kGreen{20, 170, 60, 255};

  FakeProvider() : red_(solid_png(kRed)), blue_(solid_png(kBlue)), green_(solid_png(kGreen)) {}

  std::vector<LayerInfo> layers() const override {
    LayerInfo red{"red", 0, 12, -10, 35, 30, 60, "uint8, 1 band <&>"};
    LayerInfo blue{"blue", 2, 5, -180, -85.0511, 180, 85.0511, "float32, 1 band"};
    return {red, blue};
  }

  std::string tile(const std::string& layer, int z, int x, int y, const Query& query) override {
    calls++;
    {
      std::lock_guard lock(mu_);
      last_query_ = query;
      last_tile_ = {z, x, y};
    }
    for (const auto& [k, v] : query) {
      if (k == "fail" && v == "400") throw HttpError(400, "bad fail value");
      if (k == "fail" && v == "404") throw HttpError(404, "no such tile here");
      if (k == "fail" && v == "throw") throw std::runtime_error("disk on fire /secret/path");
      if (k == "fail" && v == "int") throw 42;
      if (k == "ramp" && v == "green") return green_;
    }
    return layer == "red" ? red_ : blue_;
  }

  std::string style_key(const std::string&, const Query& query) const override {
    std::map<std::string, std::string> style;
    for (const auto& [k, v] : query) {
      if (k != "ramp" && k != "breaks" && k != "fail") throw HttpError(400, "unknown parameter " + k);
      style[k] = v;
    }
    std::string key;
    for (const auto& [k, v] : style) key += k + "=" + v + ";";
    return key;
  }

  Query last_query() {
    std::lock_guard lock(mu_);
    return last_query_;
  }

  std::atomic<int> calls{0};
  const std::string red_, blue_, green_;

 private:
  std::mutex mu_;
  Query last_query_;
  std::vector<int> last_tile_;
};

// A started server on a free port, with its log.
struct Running {
  explicit Running(TileProvider& p, ServerOptions o = {}) {
    o.debug_log = [this](const std::string& line) {
      std::lock_guard lock(mu);
      log.push_back(line);
    };
    server = std::make_unique<Server>(p, std::move(o));
    port = server->start();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(30, 0);
    return c;
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mu);
    return log;
  }
  // The log is declared first so that it outlives the server, whose threads write to it until it stops.
  std::mutex mu;
  std::vector<std::string> log;
  std::unique_ptr<Server> server;
  int port = 0;
};

// Sends `request` as is on a new connection and returns (status, body): no client-side normalization
// of the request target.
std::pair<int, std::string> raw_request(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    throw std::runtime_error("connect");
  }
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (414) and close before reading it all
    sent += static_cast<std::size_t>(n);
  }
  // Reads the head, then Content-Length bytes of body (the server may keep the connection open).
  std::string response;
  char buf[4096];
  std::size_t head_end = std::string::npos, want = std::string::npos;
  while (want == std::string::npos || response.size() < want) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    response.append(buf, static_cast<std::size_t>(n));
    if (head_end == std::string::npos && (head_end = response.find("\r\n\r\n")) != std::string::npos) {
      std::string head = response.substr(0, head_end);
      for (char& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      const std::size_t cl = head.find("\r\ncontent-length:");
      want = head_end + 4 + (cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 18)));
    }
  }
  close(fd);
  int status = 0;
  if (response.rfind("HTTP/1.1 ", 0) == 0) status = std::atoi(response.c_str() + 9);
  return {status, head_end == std::string::npos ? "" : response.substr(head_end + 4)};
}

std::pair<int, std::string> raw_get(int port, const std::string& method, const std::string& target) {
  return raw_request(port,
                     method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
}

// ---- Routes ----

TEST(Server, ServesTheViewerPage) {
  FakeProvider p;
  Running s(p);
  auto c = s.client();
  auto r = c.Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(r->body.find("<script src=\"/leaflet/leaflet.js\">"), std::string::npos);
  EXPECT_NE(r->body.find("href=\"/leaflet/leaflet.css\""), std::string::npos);
  EXPECT_NE(r->body.find("L.control.layers("), std::string::npos);
  EXPECT_NE(r->body.find("fetch(\"/layers.json\" + window.location.search)"), std::string::npos);
  EXPECT_NE(r->body.find("fitBounds"), std::string::npos);
  // No tile layer from elsewhere: no network at run time.
  EXPECT_EQ(r->body.find("openstreetmap"), std::string::npos);
  EXPECT_EQ(r->body.find("https://"), std::string::npos);
}

TEST(Server, ServesLeafletFromMemory) {
  FakeProvider p;
  Running s(p);
  auto c = s.client();
  EXPECT_STREQ(kLeafletVersion, "1.9.4");
  const EmbeddedAsset* js = find_asset("/leaflet/leaflet.js");
  ASSERT_NE(js, nullptr);
  EXPECT_EQ(js->bytes.size(), 147552u);  // leaflet 1.9.4's dist/leaflet.js
  auto r = c.Get("/leaflet/leaflet.js");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), js->bytes.size());
  EXPECT_EQ(r->body, js->bytes);
  EXPECT_NE(r->body.find("Leaflet 1.9.4"), std::string::npos);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/javascript; charset=utf-8");
  auto css = c.Get("/leaflet/leaflet.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->status, 200);
  EXPECT_EQ(css->body.size(), find_asset("/leaflet/leaflet.css")->bytes.size());
  EXPECT_NE(css->body.find(".leaflet-container"), std::string::npos);
  auto icon = c.Get("/leaflet/images/layers.png");
  ASSERT_TRUE(icon);
  EXPECT_EQ(icon->status, 200);
  EXPECT_EQ(icon->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(decode_png(icon->body).width, 26);
  auto license = c.Get("/leaflet/LICENSE");
  ASSERT_TRUE(license);
  EXPECT_NE(license->body.find("Agafonkin"), std::string::npos);
}

TEST(Server, ListsTheLayers) {
  FakeProvider p;
  Running s(p);
  auto c = s.client();
  auto r = c.Get("/layers.json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  const auto j = nlohmann::json::parse(r->body);
  ASSERT_EQ(j["layers"].size(), 2u);
  const auto& red = j["layers"][0];
  EXPECT_EQ(red["name"], "red");
  EXPECT_EQ(red["description"], "uint8, 1 band <&>");
  EXPECT_EQ(red["minzoom"], 0);
  EXPECT_EQ(red["maxzoom"], 12);
  EXPECT_EQ(red["bounds"], nlohmann::json({-10, 35, 30, 60}));
  EXPECT_EQ(red["tiles"], "/red/{z}/{x}/{y}.png");
  EXPECT_EQ(red["tilejson"], "/red/tilejson.json");
  EXPECT_EQ(j["layers"][1]["name"], "blue");
  EXPECT_EQ(j["layers"][1]["minzoom"], 2);

  // The style of the request goes on to the tile URLs (re-encoded, in order).
  auto styled = c.Get("/layers.json?ramp=magma&breaks=1,2,3&x=a%20b");
  ASSERT_TRUE(styled);
  const auto k = nlohmann::json::parse(styled->body);
  EXPECT_EQ(k["layers"][0]["tiles"], "/red/{z}/{x}/{y}.png?ramp=magma&breaks=1,2,3&x=a%20b");
  // x is no style parameter of the fake provider: the list says so for each layer (the viewer shows it).
  EXPECT_EQ(k["layers"][0]["style_error"], "unknown parameter x");
  EXPECT_FALSE(j["layers"][0].contains("style_error"));
}

TEST(Server, ServesTileJson) {
  FakeProvider p;
  Running s(p);
  auto c = s.client();
  auto r = c.Get("/red/tilejson.json?ramp=magma");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["tilejson"], "2.2.0");
  EXPECT_EQ(j["name"], "red");
  EXPECT_EQ(j["scheme"], "xyz");
  ASSERT_EQ(j["tiles"].size(), 1u);
  EXPECT_EQ(j["tiles"][0], "http://127.0.0.1:" + std::to_string(s.port) + "/red/{z}/{x}/{y}.png?ramp=magma");
  EXPECT_EQ(j["minzoom"], 0);
  EXPECT_EQ(j["maxzoom"], 12);
  EXPECT_EQ(j["bounds"], nlohmann::json({-10, 35, 30, 60}));
  EXPECT_EQ(j["center"], nlohmann::json({10.0, 47.5, 0}));

  // The Host header names the server as the client reached it (a proxy, a DNS name).
  auto proxied = c.Get("/blue/tilejson.json", {{"Host", "tiles.example.org:8080"}});
  ASSERT_TRUE(proxied);
  EXPECT_EQ(nlohmann::json::parse(proxied->body)["tiles"][0],
            "http://tiles.example.org:8080/blue/{z}/{x}/{y}.png");
  // A Host header that is not a plain host[:port] is not echoed.
  auto odd =
      raw_request(s.port, "GET /blue/tilejson.json HTTP/1.1\r\nHost: a\"b<c>/d\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(odd.first, 200);
  EXPECT_EQ(nlohmann::json::parse(odd.second)["tiles"][0],
            "http://127.0.0.1:" + std::to_string(s.port) + "/blue/{z}/{x}/{y}.png");
}

TEST(Server, ServesTilesWithETags) {
  FakeProvider p;
  Running s(p);
  auto c = s.client();
  auto r = c.Get("/red/3/4/2.png");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(r->body, p.red_);
  EXPECT_EQ(r->get_header_value("Cache-Control"), "public, max-age=3600");
  const std::string etag = r->get_header_value("ETag");
  EXPECT_EQ(etag, etag_of(p.red_));
  const Image img = decode_png(r->body);
  EXPECT_EQ(img.width, 256);
  EXPECT_EQ(img.rgba[0], FakeProvider::kRed.r);

  auto again = c.Get("/red/3/4/2.png", {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  EXPECT_EQ(again->get_header_value("ETag"), etag);
  auto weak = c.Get("/red/3/4/2.png", {{"If-None-Match", "\"other\", W/" + etag}});
  ASSERT_TRUE(weak);
  EXPECT_EQ(weak->status, 304);
  auto changed = c.Get("/red/3/4/2.png", {{"If-None-Match", "\"0000000000000000\""}});
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->status, 200);
  EXPECT_EQ(changed->body, p.red_);

  auto head = c.Head("/red/3/4/2.png");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  EXPECT_EQ(head->get_header_value("Content-Length"), std::to_string(p.red_.size()));

  // Query parameters reach the provider in request order, decoded.
  auto styled = c.Get("/red/3/4/2.png?ramp=green&breaks=1,2%2C3");
  ASSERT_TRUE(styled);
  EXPECT_EQ(styled->body, p.green_);
  EXPECT_EQ(p.last_query(), (Query{{"ramp", "green"}, {"breaks", "1,2,3"}}));
  EXPECT_EQ(p.calls, 2);  // one rendering per style, the rest from the cache
  const auto stats = s.server->cache_stats();
  EXPECT_EQ(stats.misses, 2u);
  EXPECT_EQ(stats.hits, 4u);
}

TEST(Server, LogsOneLinePerRequest) {
  FakeProvider p;
  Running s(p);
  auto c = s.client();
  c.set_keep_alive(true);  // one connection, one worker: the lines come in request order
  c.Get("/red/1/0/0.png");
  c.Get("/red/1/0/0.png");
  c.Get("/nowhere");
  s.server->stop();  // the log of the last response is written after its bytes
  const auto lines = s.lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("GET /red/1/0/0.png 200 " + std::to_string(p.red_.size()) + "B ", 0), 0u)
      << lines[0];
  EXPECT_TRUE(lines[0].ends_with("ms miss")) << lines[0];
  EXPECT_TRUE(lines[1].ends_with("ms hit")) << lines[1];
  EXPECT_EQ(lines[2].rfind("GET /nowhere 404 9B ", 0), 0u) << lines[2];
}

// ---- Refusals ----

struct Refusal {
  std::string method, target;
  int status;
  std::string body = "";  // expected body when not empty
};

TEST(Server, RefusesBadRequests) {
  FakeProvider p;
  Running s(p);
  const std::string overlong_query = "/red/1/0/0.png?ramp=" + std::string(3000, 'a');
  const std::string overlong_path = "/" + std::string(10000, 'a');
  const std::vector<Refusal> refusals = {
      // Path traversal and paths that are not plain segments: 400.
      {"GET", "/../etc/passwd", 400, "bad path"},
      {"GET", "/red/../../etc/passwd", 400},
      {"GET", "/leaflet/../leaflet/leaflet.js", 400},
      {"GET", "/./layers.json", 400},
      {"GET", "/%2e%2e/%2e%2e/etc/passwd", 400},
      {"GET", "/%2E%2E%2Fetc%2Fpasswd", 400},
      {"GET", "/leaflet/%2e%2e/layers.json", 400},
      {"GET", "/red%2F3%2F4%2F2.png", 400},  // encoded slashes
      {"GET", "/red/3/4%2F2.png", 400},
      {"GET", "/..%5c..%5cetc%5cpasswd", 400},  // encoded backslashes
      {"GET", "/red/1/0/0.png%00", 400},
      {"GET", "//etc/passwd", 400},
      {"GET", "/red//0/0.png", 400},
      {"GET", "/%zz", 400},
      {"GET", "/%", 400},
      {"GET", "http://127.0.0.1/red/1/0/0.png", 400},  // absolute-form target
      {"GET", "*", 400},
      {"GET", "/etc/passwd", 404},
      // Unknown layer.
      {"GET", "/nosuch/1/0/0.png", 404, "unknown layer"},
      {"GET", "/nosuch/tilejson.json", 404, "unknown layer"},
      {"GET", "/.hidden/1/0/0.png", 404, "unknown layer"},
      // Malformed tile coordinates: 400.
      {"GET", "/red/a/0/0.png", 400, "malformed tile coordinates"},
      {"GET", "/red/1/-1/0.png", 400},
      {"GET", "/red/-1/0/0.png", 400},
      {"GET", "/red/1/0/1.5.png", 400},
      {"GET", "/red/1/0x1/0.png", 400},
      {"GET", "/red/+1/0/0.png", 400},
      {"GET", "/red/1/%201/0.png", 400},
      {"GET", "/red/1/0/.png", 400},
      {"GET", "/red/1/0/1e2.png", 400},
      // Out of range: 404.
      {"GET", "/red/1/2/0.png", 404, "tile out of range"},
      {"GET", "/red/1/0/2.png", 404},
      {"GET", "/red/31/0/0.png", 404},
      {"GET", "/red/99999999999999999999999/0/0.png", 404},
      {"GET", "/red/3/4294967296/0.png", 404},
      {"GET", "/red/3/0/2147483648.png", 404},
      {"GET", "/red/30/1073741824/0.png", 404},
      // z outside the layer's zooms: 404.
      {"GET", "/red/13/0/0.png", 404, "zoom 13 outside the layer's zooms 0..12"},
      {"GET", "/blue/1/0/0.png", 404},
      {"GET", "/blue/6/0/0.png", 404},
      // Methods: 405 (an unknown method is refused by the HTTP library: 400).
      {"POST", "/red/1/0/0.png", 405, "method not allowed"},
      {"PUT", "/red/1/0/0.png", 405},
      {"DELETE", "/red/1/0/0.png", 405},
      {"PATCH", "/layers.json", 405},
      {"OPTIONS", "/", 405},
      {"TRACE", "/", 405},
      {"FOO", "/", 400},
      // Unknown paths: 404.
      {"GET", "/index.php", 404, "not found"},
      {"GET", "/red/1/0", 404},
      {"GET", "/red/1/0/0.jpg", 404},
      {"GET", "/red/1/0/0/0.png", 404},
      {"GET", "/leaflet/nothing.js", 404},
      {"GET", "/leaflet/images", 404},
      {"GET", "/layers.json/x", 404},
      // Overlong URLs: 414 (ours past 2 KiB; the HTTP library's past 8 KiB).
      {"GET", overlong_query, 414},
      {"GET", overlong_path, 414},
      // Bad style or query: 400, from the provider's style_key or tile, or the query's decoding.
      {"GET", "/red/1/0/0.png?bogus=1", 400, "unknown parameter bogus"},
      {"GET", "/red/tilejson.json?bogus=1", 400, "unknown parameter bogus"},
      {"GET", "/red/1/0/0.png?ramp=%zz", 400, "bad query string"},
      {"GET", "/red/1/0/0.png?fail=400", 400, "bad fail value"},
      {"GET", "/red/1/0/0.png?fail=404", 404, "no such tile here"},
  };
  for (const Refusal& r : refusals) {
    const auto [status, body] = raw_get(s.port, r.method, r.target);
    EXPECT_EQ(status, r.status) << r.method << " " << r.target.substr(0, 80);
    if (!r.body.empty()) {
      EXPECT_EQ(body, r.body) << r.method << " " << r.target.substr(0, 80);
    }
  }
  // A POST with a body gets its 405 and the connection stays usable (the body was read).
  httplib::Client c = s.client();
  auto post = c.Post("/red/1/0/0.png", std::string(1000, 'x'), "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD");
  auto after = c.Get("/red/1/0/0.png");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
  EXPECT_EQ(s.server->request_stats().server_errors, 0u);
}

// Answers /values/ with the key it was asked for, or fails as the layer name says.
class ValuesProvider : public FakeProvider {
 public:
  std::string values(const std::string& layer, int zoom, int col, int row) override {
    if (layer == "missing") throw HttpError(404, "no tile there");
    if (layer == "broken") throw std::runtime_error("disk on fire");
    return "{\"layer\":\"" + layer + "\",\"key\":[" + std::to_string(zoom) + "," + std::to_string(col) + "," +
           std::to_string(row) + "]}";
  }
};

TEST(Server, ServesValuesByKeyFromAnyLayer) {
  ValuesProvider provider;
  Running r(provider);
  auto c = r.client();
  // Any layer name goes to the provider, not only those of layers(); leading zeros are decimal.
  auto res = c.Get("/values/flat%20one/0/0012/7.json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->body, R"({"layer":"flat one","key":[0,12,7]})");
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(res->get_header_value("Access-Control-Allow-Origin"), "*");
  res = c.Get("/values/x/3/1073741824/0.json");  // 2^30: the largest key routed
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, R"({"layer":"x","key":[3,1073741824,0]})");
  // Each refusal for its own reason: the body says which.
  const std::tuple<const char*, int, const char*> answers[] = {
      {"/values/x/3/1073741825/0.json", 404, "key out of range"},
      {"/values/x/3/1/0.5.json", 400, "malformed key"},
      {"/values/x/3/1/-2.json", 400, "malformed key"},
      {"/values/x/3/1/.json", 400, "malformed key"},
      {"/values/x/3/1/2.tif", 404, "not found"},
      {"/values/x/3/1.json", 404, "not found"},
      {"/values/missing/0/0/0.json", 404, "no tile there"},
      {"/values/broken/0/0/0.json", 500, "internal server error"}};
  for (const auto& [path, status, why] : answers) {
    res = c.Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, status) << path << ": " << res->body;
    EXPECT_NE(res->body.find(why), std::string::npos) << path << ": " << res->body;
  }
  EXPECT_EQ(provider.calls.load(), 0);  // no tile was rendered
  // A provider that serves no values answers 404.
  FakeProvider plain;
  Running p(plain);
  res = p.client().Get("/values/red/0/0/0.json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_NE(res->body.find("serves no values"), std::string::npos) << res->body;
}

TEST(Server, AnswersProviderFaultsWith500AndGoesOn) {
  FakeProvider p;
  Running s(p);
  auto c = s.client();
  auto r = c.Get("/red/2/1/1.png?fail=throw");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body, "internal server error");  // the message stays in the log
  auto odd = c.Get("/red/2/1/1.png?fail=int");  // not even a std::exception
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->status, 500);
  auto next = c.Get("/red/2/1/1.png");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, p.red_);
  // After stop(), which joins the threads: a request is counted once its answer is sent, which the
  // client may see first.
  s.server->stop();
  EXPECT_EQ(s.server->request_stats().server_errors, 2u);
  EXPECT_EQ(s.server->cache_stats().failures, 2u);
  const auto lines = s.lines();
  ASSERT_EQ(lines.size(), 3u);
  // A request's line is written after its response is sent: the next request's line may come first.
  const auto fault = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("fault: disk on fire /secret/path") != std::string::npos;
  });
  ASSERT_NE(fault, lines.end()) << lines[0] << "\n" << lines[1] << "\n" << lines[2];
  EXPECT_NE(fault->find(" 500 "), std::string::npos) << *fault;
}

// ---- Life cycle ----

TEST(Server, RefusesAPortInUseAndBadLayers) {
  FakeProvider p;
  Running s(p);
  ServerOptions o;
  o.port = s.port;
  Server second(p, o);
  EXPECT_THROW(second.start(), std::runtime_error);
  EXPECT_THROW(s.server->start(), std::logic_error);

  ServerOptions bad_threads;
  bad_threads.threads = 0;
  EXPECT_THROW(Server(p, bad_threads), std::invalid_argument);

  struct BadLayers : FakeProvider {
    explicit BadLayers(LayerInfo l) : layer(std::move(l)) {}
    std::vector<LayerInfo> layers() const override { return {layer}; }
    LayerInfo layer;
  };
  for (const LayerInfo& l : {make_layer("a/b", 0, 1), make_layer(".x", 0, 1), make_layer("", 0, 1),
                             make_layer("x", 3, 2), make_layer("x", 0, 31),
                             make_layer("x", 0, 1, 10, 0, 5, 10), make_layer("x", 0, 1, -180, 0, 180, 91)}) {
    BadLayers bad(l);
    Server server(bad, {});
    EXPECT_THROW(server.start(), std::invalid_argument) << l.name;
  }
}

TEST(Server, RunBlocksUntilStop) {
  FakeProvider p;
  Server server(p, {});
  std::thread stopper([&] {
    while (server.port() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    httplib::Client c("127.0.0.1", server.port());
    auto r = c.Get("/layers.json");
    EXPECT_TRUE(r && r->status == 200);
    server.stop();
    server.stop();  // idempotent
  });
  server.run();
  stopper.join();
  httplib::Client c("127.0.0.1", server.port());
  c.set_connection_timeout(1, 0);
  EXPECT_FALSE(c.Get("/"));  // no longer listening
}

// ---- The cache through the server ----

TEST(Server, CacheStaysWithinItsBound) {
  FakeProvider p;
  const std::size_t per_tile = TileCache::charge("red/5/10/10?", EncodedTile{p.red_, etag_of(p.red_)});
  ServerOptions o;
  o.cache_bytes = per_tile * 10;  // about 10 tiles
  Running s(p, o);
  auto c = s.client();
  for (int x = 0; x < 32; ++x) {
    auto r = c.Get("/red/5/" + std::to_string(x) + "/10.png");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    const auto stats = s.server->cache_stats();
    ASSERT_LE(stats.bytes, o.cache_bytes);
  }
  auto stats = s.server->cache_stats();
  EXPECT_EQ(stats.misses, 32u);
  EXPECT_GE(stats.evictions, 20u);
  EXPECT_LE(stats.entries, 10u);
  // The most recent tiles are still there; the first ones are not.
  c.Get("/red/5/31/10.png");
  c.Get("/red/5/0/10.png");
  stats = s.server->cache_stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 33u);
}

// ---- Load ----

// A provider that encodes a distinct PNG per tile (a colour from z/x/y and a grid), as a renderer would.
class EncodingProvider : public TileProvider {
 public:
  std::vector<LayerInfo> layers() const override { return {make_layer("load", 0, 8)}; }
  std::string tile(const std::string&, int z, int x, int y, const Query&) override {
    std::vector<std::uint8_t> px(256 * 256 * 4);
    const std::uint32_t h = static_cast<std::uint32_t>((z * 131 + x) * 8191 + y) * 2654435761u;
    for (int r = 0; r < 256; ++r) {
      for (int col = 0; col < 256; ++col) {
        std::uint8_t* q = &px[(r * 256 + col) * 4];
        const bool grid = r % 32 == 0 || col % 32 == 0;
        q[0] = grid ? 0 : static_cast<std::uint8_t>(h >> 8);
        q[1] = grid ? 0 : static_cast<std::uint8_t>((h >> 16) + r);
        q[2] = grid ? 0 : static_cast<std::uint8_t>((h >> 24) + col);
        q[3] = 255;
      }
    }
    return encode_png(256, 256, px);
  }
  std::string style_key(const std::string&, const Query&) const override { return ""; }
};

long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

struct LoadResult {
  int errors = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
};

LoadResult run_load(int port, int connections, int requests, std::uint32_t seed) {
  LoadResult result;
  std::vector<std::vector<double>> latencies(connections);
  std::atomic<int> errors{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < connections; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", port);
      c.set_keep_alive(true);
      c.set_tcp_nodelay(true);
      c.set_read_timeout(60, 0);
      std::uint32_t state = seed + static_cast<std::uint32_t>(t) * 7919u;
      for (int i = t; i < requests; i += connections) {
        state = state * 1664525u + 1013904223u;
        const int tile = static_cast<int>(state >> 20) % 4096;  // z 6: 64 x 64 tiles
        const std::string path =
            "/load/6/" + std::to_string(tile % 64) + "/" + std::to_string(tile / 64) + ".png";
        const auto t0 = std::chrono::steady_clock::now();
        auto r = c.Get(path);
        latencies[t].push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        if (!r || r->status != 200 || r->body.size() < 100) errors++;
      }
    });
  }
  for (auto& th : threads) th.join();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.errors = errors;
  for (auto& l : latencies) result.latencies_ms.insert(result.latencies_ms.end(), l.begin(), l.end());
  std::sort(result.latencies_ms.begin(), result.latencies_ms.end());
  return result;
}

TEST(Server, LoadTest) {
  EncodingProvider p;
  ServerOptions o;
  o.cache_bytes = 4 << 20;  // about half of the 4096 tiles (~2 KiB each): hits and misses
  Server server(p, o);
  const int port = server.start();

  const LoadResult warm = run_load(port, 32, 2000, 1);
  ASSERT_EQ(warm.errors, 0);
  const long rss_warm = resident_bytes();

  const LoadResult r = run_load(port, 32, 20000, 2);
  const long rss_after = resident_bytes();
  const auto stats = server.cache_stats();
  const auto pct = [&](double q) {
    return r.latencies_ms[static_cast<std::size_t>(q * (r.latencies_ms.size() - 1))];
  };
  std::cout << "load: 20000 tiles over 32 connections in " << r.seconds << " s: " << 20000 / r.seconds
            << " tiles/s; latency p50 " << pct(0.5) << " ms, p99 " << pct(0.99) << " ms, max "
            << r.latencies_ms.back() << " ms; cache " << stats.hits << " hits, " << stats.misses
            << " misses, " << stats.waits << " waits, " << stats.entries << " entries in " << stats.bytes
            << " bytes; RSS " << rss_warm / 1048576.0 << " -> " << rss_after / 1048576.0 << " MiB"
            << std::endl;
  EXPECT_EQ(r.errors, 0);
  EXPECT_EQ(r.latencies_ms.size(), 20000u);
  EXPECT_GT(stats.hits, 0u);
  EXPECT_GT(stats.misses, 4096u);  // the cache does not hold every tile
  EXPECT_LE(stats.bytes, o.cache_bytes);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // The sanitizers keep freed memory in quarantine: the resident size tells nothing then.
  std::cout << "load: resident size not checked under a sanitizer" << std::endl;
#else
  EXPECT_LT(rss_after - rss_warm, 32L << 20);
#endif
  EXPECT_EQ(server.request_stats().server_errors, 0u);
}

// ---- The viewer in a browser ----

// The share of the screenshot's pixels within 8 of `c` on each channel.
double share_of_colour(const Image& img, Rgba c) {
  std::size_t n = 0;
  for (std::size_t i = 0; i + 3 < img.rgba.size(); i += 4) {
    if (std::abs(img.rgba[i] - c.r) <= 8 && std::abs(img.rgba[i + 1] - c.g) <= 8 &&
        std::abs(img.rgba[i + 2] - c.b) <= 8) {
      ++n;
    }
  }
  return static_cast<double>(n) / (img.rgba.size() / 4);
}

// Loads `url` in headless Chromium and returns the screenshot, or an empty image.
Image screenshot(const std::string& url, const std::filesystem::path& dir) {
  const std::filesystem::path png = dir / "screenshot.png";
  std::filesystem::remove(png);
  const std::string command =
      "timeout --kill-after=5 60 /usr/bin/chromium-headless-shell --no-sandbox --headless --hide-scrollbars "
      "--disable-gpu --run-all-compositor-stages-before-draw --user-data-dir=" +
      (dir / "profile").string() + " --screenshot=" + png.string() +
      " --window-size=800,600 --virtual-time-budget=10000 '" + url + "' > " +
      (dir / "chromium.log").string() + " 2>&1";
  const int rc = std::system(command.c_str());
  if (rc != 0 || !std::filesystem::exists(png)) {
    ADD_FAILURE() << "chromium failed (" << rc << "): " << read_file(dir / "chromium.log").substr(0, 2000);
    return {};
  }
  return decode_png(read_file(png));
}

TEST(Viewer, HeadlessBrowserDrawsTheMap) {
  if (!std::filesystem::exists("/usr/bin/chromium-headless-shell")) {
    GTEST_SKIP() << "/usr/bin/chromium-headless-shell is absent (Debian package chromium-headless-shell)";
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("trellis_serve_viewer_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  FakeProvider p;
  Running s(p);
  const std::string base = "http://127.0.0.1:" + std::to_string(s.port) + "/";

  const Image red = screenshot(base, dir);
  ASSERT_EQ(red.width, 800);
  ASSERT_EQ(red.height, 600);
  const double red_share = share_of_colour(red, FakeProvider::kRed);
  std::cout << "viewer: " << red_share * 100 << "% of the screenshot is the first layer's colour"
            << std::endl;
  EXPECT_GT(red_share, 0.30);
  EXPECT_LT(share_of_colour(red, FakeProvider::kBlue), 0.01);  // the first layer only
  EXPECT_GT(p.calls, 0);

  // The page's style parameters reach the tiles.
  const Image green = screenshot(base + "?ramp=green", dir);
  ASSERT_EQ(green.width, 800);
  const double green_share = share_of_colour(green, FakeProvider::kGreen);
  EXPECT_GT(green_share, 0.30);
  EXPECT_EQ(p.last_query(), (Query{{"ramp", "green"}}));
  if (!HasFailure()) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trellis::serve
