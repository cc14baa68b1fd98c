#pragma once
// The HTTP tile server behind `trellis serve`: XYZ PNG tiles of a catalog's layers, their TileJSON, and
// a Leaflet viewer page, for a browser or a GIS client (QGIS "XYZ Tiles", TileJSON readers).
//
// Routes (GET and HEAD; any other method: 405):
//   /                               the viewer page (serve/viewer.hpp); /?ramp=magma styles its tiles
//   /leaflet/...                    Leaflet, embedded at build time
//   /layers.json                    {"layers": [{name, description, minzoom, maxzoom, bounds, center,
//                                   tiles, tilejson[, style_error]}]}; tiles/tilejson are path templates
//                                   carrying the request's query string; style_error is the provider's
//                                   message when it refuses that style for the layer
//   /{layer}/tilejson.json          TileJSON 2.2.0, tiles as an absolute URL built from the Host header
//                                   (the query string, i.e. the style, is carried on)
//   /{layer}/{z}/{x}/{y}.png        a tile (XYZ: y counted down from the north), styled by the query
//                                   string; ETag and If-None-Match (304); cached (serve/tile_cache.hpp)
//   /values/{layer}/{zoom}/{col}/{row}.json
//                                   the cells of one tile of any catalog layer, by its key (GeoTrellis'
//                                   ValueReader; read_value's JSON): TileProvider::values(); not cached
//
// Refusals (a plain-text body, never a crash):
//   400  a malformed request: a path that is not "/" followed by non-empty segments, dot segments
//        ("." or "..", also percent-encoded), an encoded '/' or '\' or a control character in a segment,
//        a bad percent escape in the path or the query, tile coordinates that are not unsigned decimal
//        integers ("-1", "1.5", "0x1", ""), a style the provider refuses (its HttpError(400)); and what
//        the HTTP library refuses before routing (an unknown method, a malformed request line).
//   404  unknown path or embedded file; unknown layer ("unknown layer"); tile coordinates out of range
//        (z > 30, x or y >= 2^z, however many digits); z outside the layer's zooms; a tile the provider
//        has not (its HttpError(404)).
//   405  methods other than GET and HEAD (with "Allow: GET, HEAD").
//   414  a request target longer than kMaxTargetLength bytes (longer than 8 KiB: the HTTP library's
//        own 414, before routing).
//   4xx  any other HttpError status the provider throws; 500 for any other exception from the
//        provider (the message is logged, not sent), and the server goes on.
//
// httplib also answers Range requests (206) and compresses text responses (HTML, CSS, JSON; not the
// PNGs, nor leaflet.js) with brotli or gzip when the client accepts them.
//
// Threads: httplib's thread pool of ServerOptions::connections workers, one per open connection (a
// keep-alive connection holds its worker until it is closed, after kKeepAliveMaxRequests requests or
// kKeepAliveTimeout idle; connections beyond wait to be served). Of these, at most
// ServerOptions::threads render tiles at once (the others wait for a slot, or answer from the cache):
// browsers keep ~6 connections open each, so the pool is larger than the CPU parallelism wanted.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "serve/tile_cache.hpp"

namespace trellis::serve {

// A request the provider refuses: answered with `status` (4xx) and `what()` as a plain-text body.
// A status outside 400..499 is answered as 500.
struct HttpError : std::runtime_error {
  int status;
  HttpError(int s, const std::string& m) : std::runtime_error(m), status(s) {}
};

struct LayerInfo {
  std::string name;                // URL-safe: [A-Za-z0-9_.-]+, not starting with '.'
  int min_zoom = 0, max_zoom = 0;  // the zooms the layer has (XYZ, Web Mercator), 0 <= min <= max <= 30
  double west = -180, south = -85.0511, east = 180, north = 85.0511;  // bounds in degrees, west < east
  std::string description;                                            // e.g. "float32, 1 band"
};

// Query parameters in request order, percent-decoded ('+' as a space).
using Query = std::vector<std::pair<std::string, std::string>>;

class TileProvider {
 public:
  virtual ~TileProvider() = default;
  // The layers served. Read once, by Server::start(). Thread-safe.
  virtual std::vector<LayerInfo> layers() const = 0;
  // PNG bytes of tile z/x/y (XYZ, y counted down from the north) of `layer`, styled by `query`
  // (e.g. ramp=viridis&breaks=1,2,3 or quantiles=10). A tile with no data is a fully transparent PNG.
  // Throws HttpError (400 bad style parameter, 404 tile outside the layer) for bad requests; any other
  // exception is a server fault (500). Thread-safe; called concurrently from the server's threads.
  // The server calls it only with a layer from layers(), z within its zooms and 0 <= x, y < 2^z.
  virtual std::string tile(const std::string& layer, int z, int x, int y, const Query& query) = 0;
  // The cells of the tile at key (col, row) of `zoom` of the catalog layer `layer`, as JSON text
  // (ops/catalog/tile_json.hpp). Any layer of the catalog, on any layout: not only those of layers().
  // Throws HttpError(404) for an unknown layer or zoom, a key outside the layer's key bounds or a key
  // without a tile; any other exception is a server fault (500). Thread-safe. The server calls it with
  // 0 <= zoom, col, row <= 2^30. This default serves no values: it throws HttpError(404).
  virtual std::string values(const std::string& layer, int zoom, int col, int row);
  // A canonical form of the style parameters of `query` for the cache key (equal for equal styles),
  // or throws HttpError(400) for an unknown parameter. Thread-safe.
  virtual std::string style_key(const std::string& layer, const Query& query) const = 0;
};

struct ServerOptions {
  std::string bind = "127.0.0.1";  // host name or address to listen on
  int port = 0;                    // 0: any free port (start() returns it)
  int threads = 8;                 // tiles rendered at once, at most (the provider's concurrency)
  // Connections served at once: httplib's thread pool, where each open connection holds a thread
  // (idle keep-alive ones too, for up to kKeepAliveTimeout). Further connections wait to be accepted.
  int connections = 64;
  std::size_t cache_bytes = std::size_t{64} << 20;  // tile cache bound (TileCache), 0: no cache
  int tile_max_age_seconds = 3600;                  // Cache-Control max-age of tiles
  // One line per request ("GET /a/1/0/0.png 200 1234B 0.52ms miss"), or empty. Never called
  // concurrently (the server serializes the calls); exceptions it throws are ignored.
  std::function<void(const std::string&)> debug_log;
};

class Server {
 public:
  // Longest request target (path and query) routed; longer ones get 414.
  static constexpr std::size_t kMaxTargetLength = 2048;
  static constexpr int kKeepAliveMaxRequests = 100;  // per connection, then the server closes it
  // Short: an idle keep-alive connection holds a worker (and stop() waits for it) until then.
  static constexpr std::chrono::seconds kKeepAliveTimeout{2};
  static constexpr std::chrono::seconds kReadTimeout{5};   // a request's headers must arrive within
  static constexpr std::chrono::seconds kWriteTimeout{5};  // a response must be taken within
  static constexpr std::size_t kMaxPayload = 8 << 10;      // request bodies (none expected) beyond: 413

  // Checks the options; the provider must outlive the server. Throws std::invalid_argument when
  // threads < 1, connections < 1, tile_max_age_seconds < 0 or port is outside 0..65535.
  Server(TileProvider& provider, ServerOptions options);
  ~Server();  // stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Reads and checks the provider's layers, binds, and serves in background threads; returns the port.
  // Throws std::invalid_argument for a layer with a bad name, duplicate name, zooms or bounds;
  // std::runtime_error when it cannot bind (address in use, not local, not permitted);
  // std::logic_error when called twice or after stop(). Thread-safe.
  int start();
  // start()s if not started, then blocks until stop() (from another thread) or the listener fails.
  // For the CLI. Throws what start() throws.
  void run();
  // Stops accepting, finishes the requests in progress and joins the threads (idle keep-alive
  // connections are closed within kKeepAliveTimeout): once it returns, the provider is not called any
  // more. Thread-safe, idempotent; not async-signal-safe (a CLI stops the
  // server from a thread that waits for the signal, e.g. with sigwait). Throws nothing.
  void stop() noexcept;

  // The port listened on (0 before start()). Thread-safe.
  int port() const;
  // Cache counters (hits, misses, bytes, ...). Thread-safe.
  TileCache::Stats cache_stats() const;
  // Responses sent, by class. Thread-safe.
  struct RequestStats {
    std::uint64_t responses = 0, client_errors = 0, server_errors = 0;
  };
  RequestStats request_stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trellis::serve
