#include "serve/http_server.hpp"

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "serve/fifo_slots.hpp"
#include "serve/viewer.hpp"

namespace trellis::serve {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kMaxTileZoom = 30;  // 2^30 tiles a side: x and y fit an int

// What the logger (called by httplib after the response is written, in the same worker thread) needs
// to know of the request the handlers saw. Requests httplib refuses before routing leave it inactive.
struct RequestState {
  bool active = false;
  Clock::time_point start;
  const char* cache = "-";
  std::string fault;  // what() of an exception answered with 500, for the log only
};
thread_local RequestState t_request;

bool is_url_safe_name(std::string_view s) {
  if (s.empty() || s.front() == '.') return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Strict percent-decoding: nullopt for a '%' not followed by two hex digits (httplib would keep it).
std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Percent-encodes all but RFC 3986's unreserved characters and ',' (kept for lists: breaks=1,2,3).
std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~' || c == ',';
    if (keep) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// The decoded segments of the raw path ("/" gives none). Throws HttpError(400) for a path that is not
// "/" or "/seg/seg...", with empty, dot or undecodable segments, or segments holding '/', '\' or a
// control character once decoded: whatever could name something else than the route it looks like.
std::vector<std::string> split_path(std::string_view raw) {
  if (raw.empty() || raw.front() != '/') throw HttpError(400, "bad path");
  std::vector<std::string> segments;
  if (raw == "/") return segments;
  std::size_t begin = 1;
  while (true) {
    const std::size_t end = raw.find('/', begin);
    const std::string_view seg = raw.substr(begin, end == std::string_view::npos ? end : end - begin);
    std::optional<std::string> decoded = percent_decode(seg, false);
    if (!decoded || decoded->empty() || *decoded == "." || *decoded == "..") throw HttpError(400, "bad path");
    for (unsigned char c : *decoded) {
      if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f) throw HttpError(400, "bad path");
    }
    segments.push_back(std::move(*decoded));
    if (end == std::string_view::npos) break;
    begin = end + 1;
  }
  return segments;
}

// The query string as (key, value) pairs in order ("k" alone gives ("k", "")). Throws HttpError(400)
// for a bad percent escape.
Query parse_query(std::string_view raw) {
  Query query;
  std::size_t begin = 0;
  while (begin <= raw.size()) {
    std::size_t end = raw.find('&', begin);
    if (end == std::string_view::npos) end = raw.size();
    const std::string_view part = raw.substr(begin, end - begin);
    if (!part.empty()) {
      const std::size_t eq = part.find('=');
      auto key = percent_decode(part.substr(0, eq), true);
      auto value =
          percent_decode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1), true);
      if (!key || !value) throw HttpError(400, "bad query string");
      query.emplace_back(std::move(*key), std::move(*value));
    }
    begin = end + 1;
  }
  return query;
}

// The query re-encoded ("?k=v&..."), or "" when empty: what tile URL templates carry on.
std::string encode_query(const Query& query) {
  std::string out;
  for (const auto& [k, v] : query) {
    out += out.empty() ? '?' : '&';
    out += percent_encode(k);
    out += '=';
    out += percent_encode(v);
  }
  return out;
}

enum class CoordError { kNone, kMalformed, kOutOfRange };

// An unsigned decimal integer (digits only: no sign, no spaces, no base prefix). Values beyond 2^30
// are out of range, not malformed: no zoom nor coordinate reaches it (z <= 30, x and y < 2^z).
CoordError parse_coord(std::string_view s, int& out) {
  if (s.empty()) return CoordError::kMalformed;
  for (char c : s) {
    if (c < '0' || c > '9') return CoordError::kMalformed;
  }
  const std::size_t first = std::min(s.find_first_not_of('0'), s.size());
  if (s.size() - first > 10) return CoordError::kOutOfRange;
  long long v = 0;
  for (char c : s.substr(first)) v = v * 10 + (c - '0');
  if (v > (1LL << 30)) return CoordError::kOutOfRange;
  out = static_cast<int>(v);
  return CoordError::kNone;
}

// Three coordinates of a path (z/x/y or zoom/col/row): HttpError(400, `malformed`) when one is not an
// unsigned decimal, else HttpError(404, `out_of_range`) when one is above 2^30.
void parse_coords(const std::array<std::string_view, 3>& texts, const std::array<int*, 3>& out,
                  const char* malformed, const char* out_of_range) {
  CoordError errors[3];
  for (int i = 0; i < 3; ++i) errors[i] = parse_coord(texts[i], *out[i]);
  for (CoordError e : errors) {
    if (e == CoordError::kMalformed) throw HttpError(400, malformed);
  }
  for (CoordError e : errors) {
    if (e == CoordError::kOutOfRange) throw HttpError(404, out_of_range);
  }
}

bool etag_matches(const std::string& if_none_match, const std::string& etag) {
  std::size_t begin = 0;
  while (begin < if_none_match.size()) {
    std::size_t end = if_none_match.find(',', begin);
    if (end == std::string::npos) end = if_none_match.size();
    std::string_view tag(if_none_match.data() + begin, end - begin);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);  // weak comparison, as If-None-Match asks
    if (tag == "*" || tag == etag) return true;
    begin = end + 1;
  }
  return false;
}

// A Host header fit to be echoed into a URL: a name or address and an optional port, nothing else.
bool is_plain_host(std::string_view h) {
  if (h.empty() || h.size() > 255) return false;
  for (char c : h) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == '_' || c == ':' || c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

// For the log: printable ASCII as is, anything else as \xNN (no terminal escapes, no forged lines).
std::string printable(std::string_view s, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

void send_text(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body, "text/plain; charset=utf-8");
}

nlohmann::json bounds_json(const LayerInfo& l) {
  return {l.west, l.south, l.east, l.north};
}
nlohmann::json center_json(const LayerInfo& l) {
  return {(l.west + l.east) / 2, (l.south + l.north) / 2, l.min_zoom};
}

}  // namespace

class Server::Impl {
 public:
  Impl(TileProvider& provider, ServerOptions options)
      : provider_(provider),
        options_(std::move(options)),
        cache_(options_.cache_bytes),
        render_slots_(std::max(options_.threads, 1)) {
    if (options_.threads < 1) throw std::invalid_argument("serve: threads must be >= 1");
    if (options_.connections < 1) throw std::invalid_argument("serve: connections must be >= 1");
    if (options_.port < 0 || options_.port > 65535)
      throw std::invalid_argument("serve: port must be 0..65535");
    if (options_.tile_max_age_seconds < 0) throw std::invalid_argument("serve: tile max-age must be >= 0");
    configure();
  }

  int start() {
    std::lock_guard lock(mu_);
    return start_locked();
  }

  void run() {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      if (!started_) start_locked();
    }
    // The listener also ends because stop() stops it: only an end that no stop() began is a failure.
    std::unique_lock lock(done_mu_);
    done_cv_.wait(lock, [&] { return stop_complete_ || (listener_done_ && !stopping_); });
    if (!stop_complete_) throw std::runtime_error("serve: the listener stopped unexpectedly");
  }

  void stop() noexcept {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    {
      std::lock_guard done(done_mu_);
      stopping_ = true;
    }
    if (started_) {
      // httplib's stop() closes the listening socket; listen_after_bind() then joins the workers, which
      // end their connections after the request in progress.
      svr_.stop();
      if (listener_.joinable()) listener_.join();
    }
    {
      std::lock_guard done(done_mu_);
      stop_complete_ = true;
    }
    done_cv_.notify_all();
  }

  int port() const { return port_.load(); }
  TileCache::Stats cache_stats() const { return cache_.stats(); }
  RequestStats request_stats() const {
    return {responses_.load(), client_errors_.load(), server_errors_.load()};
  }

 private:
  void configure() {
    const auto connections = static_cast<std::size_t>(options_.connections);
    svr_.new_task_queue = [connections] { return new httplib::ThreadPool(connections); };
    svr_.set_keep_alive_max_count(kKeepAliveMaxRequests);
    svr_.set_keep_alive_timeout(kKeepAliveTimeout.count());
    svr_.set_read_timeout(kReadTimeout.count(), 0);
    svr_.set_write_timeout(kWriteTimeout.count(), 0);
    svr_.set_payload_max_length(kMaxPayload);
    // Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and the client's
    // delayed ACK hold the body back ~40 ms on a keep-alive connection.
    svr_.set_tcp_nodelay(true);
    // SO_REUSEADDR only: httplib's default, SO_REUSEPORT, would let a second server bind a port in use
    // and share its connections, where start() should fail.
    svr_.set_socket_options([this](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      listen_socket_ = sock;  // httplib calls this for its listening socket only
    });
    svr_.set_default_headers({{"X-Content-Type-Options", "nosniff"}});

    svr_.set_pre_routing_handler(
        [this](const httplib::Request& req, httplib::Response& res) { return pre_route(req, res); });
    // Methods whose body httplib reads before routing reach these (pre_route lets them through so that
    // the body is consumed and the connection stays usable).
    const auto not_allowed = [](const httplib::Request&, httplib::Response& res) { method_not_allowed(res); };
    svr_.Post(".*", not_allowed);
    svr_.Put(".*", not_allowed);
    svr_.Patch(".*", not_allowed);
    svr_.Delete(".*", not_allowed);
    svr_.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      send_text(res, 500, "internal server error");
    });
    svr_.set_logger([this](const httplib::Request& req, const httplib::Response& res) { log(req, res); });
  }

  int start_locked() {
    if (started_ || stopped_) throw std::logic_error("serve: Server::start called twice or after stop");
    load_layers();
    int port = -1;
    if (options_.port == 0) {
      port = svr_.bind_to_any_port(options_.bind);
    } else if (svr_.bind_to_port(options_.bind, options_.port)) {
      port = options_.port;
    }
    if (port <= 0) {
      throw std::runtime_error("serve: cannot listen on " + options_.bind + ":" +
                               std::to_string(options_.port) +
                               " (address in use, not local, or not permitted)");
    }
    port_ = port;
    // Debian's httplib listens with a backlog of 5: a burst of new connections (32 clients at once, or
    // keep-alive connections closed after kKeepAliveMaxRequests and opened again) overflowed it, and the
    // kernel dropped SYNs that the clients sent again a second later. Listening again on the same socket
    // sets the kernel's largest backlog.
    if (listen_socket_ >= 0) ::listen(listen_socket_, SOMAXCONN);
    listener_ = std::thread([this] {
      svr_.listen_after_bind();
      {
        std::lock_guard done(done_mu_);
        listener_done_ = true;
      }
      done_cv_.notify_all();
    });
    // stop() before httplib marks itself running would do nothing: wait for it.
    while (!svr_.is_running()) {
      {
        std::lock_guard done(done_mu_);
        if (listener_done_) break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    started_ = true;
    return port;
  }

  void load_layers() {
    std::vector<LayerInfo> layers = provider_.layers();
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const LayerInfo& l = layers[i];
      const std::string what = "serve: layer \"" + printable(l.name, 100) + "\": ";
      if (!is_url_safe_name(l.name)) {
        throw std::invalid_argument(what + "a name must be [A-Za-z0-9_.-]+, not starting with '.'");
      }
      if (l.min_zoom < 0 || l.max_zoom > kMaxTileZoom || l.min_zoom > l.max_zoom) {
        throw std::invalid_argument(what + "zooms must satisfy 0 <= min <= max <= 30");
      }
      const bool finite =
          std::isfinite(l.west) && std::isfinite(l.south) && std::isfinite(l.east) && std::isfinite(l.north);
      if (!finite || l.west < -180 || l.east > 180 || l.west >= l.east || l.south < -90 || l.north > 90 ||
          l.south >= l.north) {
        throw std::invalid_argument(what +
                                    "bounds must be -180 <= west < east <= 180, -90 <= south < north <= 90");
      }
      if (!index_.emplace(l.name, i).second) throw std::invalid_argument(what + "duplicate name");
    }
    layers_ = std::move(layers);
  }

  const LayerInfo& find_layer(const std::string& name) const {
    auto it = index_.find(name);
    if (it == index_.end()) throw HttpError(404, "unknown layer");
    return layers_[it->second];
  }

  static void method_not_allowed(httplib::Response& res) {
    send_text(res, 405, "method not allowed");
    res.set_header("Allow", "GET, HEAD");
  }

  httplib::Server::HandlerResponse pre_route(const httplib::Request& req, httplib::Response& res) {
    t_request = RequestState{true, Clock::now(), "-", {}};
    if (req.method != "GET" && req.method != "HEAD") {
      // A body must be read (httplib does it, within kMaxPayload, for these methods) for the connection
      // to stay usable; the handlers registered for them answer 405 then.
      const bool reads_body =
          req.method == "POST" || req.method == "PUT" || req.method == "PATCH" || req.method == "DELETE";
      const bool has_body =
          req.has_header("Transfer-Encoding") ||
          (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0");
      if (reads_body && has_body) return httplib::Server::HandlerResponse::Unhandled;
      method_not_allowed(res);
      return httplib::Server::HandlerResponse::Handled;
    }
    try {
      dispatch(req, res);
    } catch (const HttpError& e) {
      if (e.status >= 400 && e.status <= 499) {
        send_text(res, e.status, e.what());
      } else {
        t_request.fault = e.what();
        send_text(res, 500, "internal server error");
      }
    } catch (const std::exception& e) {
      t_request.fault = e.what();
      send_text(res, 500, "internal server error");
    } catch (...) {
      t_request.fault = "unknown exception";
      send_text(res, 500, "internal server error");
    }
    return httplib::Server::HandlerResponse::Handled;
  }

  void dispatch(const httplib::Request& req, httplib::Response& res) {
    const std::string_view target = req.target;
    if (target.size() > kMaxTargetLength) throw HttpError(414, "request target too long");
    const std::size_t q = target.find('?');
    const std::vector<std::string> segments = split_path(target.substr(0, q));
    const std::string_view raw_query =
        q == std::string_view::npos ? std::string_view() : target.substr(q + 1);

    if (segments.empty()) {
      res.set_header("Cache-Control", "no-cache");
      res.set_header(
          "Content-Security-Policy",
          "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
          "img-src 'self' data:");
      res.set_content(std::string(viewer_html()), "text/html; charset=utf-8");
      return;
    }
    if (segments.size() == 1 && segments[0] == "layers.json") return layers_json(parse_query(raw_query), res);
    if (segments[0] == "leaflet") {
      std::string path;
      for (const std::string& s : segments) path += "/" + s;
      if (const EmbeddedAsset* asset = find_asset(path)) {
        res.set_header("Cache-Control", "public, max-age=86400");
        res.set_content(std::string(asset->bytes), std::string(asset->content_type));
        return;
      }
    }
    if (segments.size() == 2 && segments[1] == "tilejson.json") {
      return tilejson(find_layer(segments[0]), parse_query(raw_query), req, res);
    }
    if (segments.size() == 4 && segments[3].ends_with(".png")) {
      const LayerInfo& layer = find_layer(segments[0]);
      int z = 0, x = 0, y = 0;
      parse_coords(
          {segments[1], segments[2], std::string_view(segments[3]).substr(0, segments[3].size() - 4)},
          {&z, &x, &y}, "malformed tile coordinates", "tile out of range");
      if (z > kMaxTileZoom || x >= (1 << z) || y >= (1 << z)) throw HttpError(404, "tile out of range");
      if (z < layer.min_zoom || z > layer.max_zoom) {
        throw HttpError(404, "zoom " + std::to_string(z) + " outside the layer's zooms " +
                                 std::to_string(layer.min_zoom) + ".." + std::to_string(layer.max_zoom));
      }
      return tile(layer, z, x, y, parse_query(raw_query), req, res);
    }
    if (segments.size() == 5 && segments[0] == "values" && segments[4].ends_with(".json")) {
      int zoom = 0, col = 0, row = 0;
      parse_coords(
          {segments[2], segments[3], std::string_view(segments[4]).substr(0, segments[4].size() - 5)},
          {&zoom, &col, &row}, "malformed key", "key out of range");
      return values(segments[1], zoom, col, row, res);
    }
    throw HttpError(404, "not found");
  }

  // Not cached: a tile's cells are read and encoded on each request, as the tiles' PNGs are on a miss.
  void values(const std::string& layer, int zoom, int col, int row, httplib::Response& res) {
    const SlotGuard slot(render_slots_);
    std::string body = provider_.values(layer, zoom, col, row);
    res.set_header("Cache-Control", "public, max-age=" + std::to_string(options_.tile_max_age_seconds));
    res.set_header("Access-Control-Allow-Origin", "*");
    res.set_content(std::move(body), "application/json");
  }

  void layers_json(const Query& query, httplib::Response& res) {
    const std::string q = encode_query(query);
    nlohmann::json list = nlohmann::json::array();
    for (const LayerInfo& l : layers_) {
      // A style the provider refuses for a layer is reported with it (the viewer shows it) rather than
      // refusing the list: another layer may take it.
      std::string style_error;
      if (!query.empty()) {
        try {
          provider_.style_key(l.name, query);
        } catch (const HttpError& e) {
          if (e.status < 400 || e.status > 499) throw;
          style_error = e.what();
        }
      }
      list.push_back({{"name", l.name},
                      {"description", l.description},
                      {"minzoom", l.min_zoom},
                      {"maxzoom", l.max_zoom},
                      {"bounds", bounds_json(l)},
                      {"center", center_json(l)},
                      {"tiles", "/" + l.name + "/{z}/{x}/{y}.png" + q},
                      {"tilejson", "/" + l.name + "/tilejson.json" + q}});
      if (!style_error.empty()) list.back()["style_error"] = style_error;
    }
    send_json(nlohmann::json{{"layers", std::move(list)}}, res);
  }

  void tilejson(const LayerInfo& layer, const Query& query, const httplib::Request& req,
                httplib::Response& res) {
    provider_.style_key(layer.name, query);  // refuses a bad style here rather than on every tile
    std::string host = req.get_header_value("Host");
    if (!is_plain_host(host)) {
      const bool v6 = req.local_addr.find(':') != std::string::npos;
      host = (v6 ? "[" + req.local_addr + "]" : req.local_addr) + ":" + std::to_string(req.local_port);
    }
    nlohmann::json j = {
        {"tilejson", "2.2.0"},
        {"name", layer.name},
        {"description", layer.description},
        {"scheme", "xyz"},
        {"tiles", {"http://" + host + "/" + layer.name + "/{z}/{x}/{y}.png" + encode_query(query)}},
        {"minzoom", layer.min_zoom},
        {"maxzoom", layer.max_zoom},
        {"bounds", bounds_json(layer)},
        {"center", center_json(layer)}};
    send_json(j, res);
  }

  static void send_json(const nlohmann::json& j, httplib::Response& res) {
    res.set_header("Cache-Control", "no-cache");
    res.set_header("Access-Control-Allow-Origin", "*");
    // Descriptions come from catalogs: invalid UTF-8 is replaced rather than thrown on.
    res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
  }

  void tile(const LayerInfo& layer, int z, int x, int y, const Query& query, const httplib::Request& req,
            httplib::Response& res) {
    const std::string key = layer.name + "/" + std::to_string(z) + "/" + std::to_string(x) + "/" +
                            std::to_string(y) + "?" + provider_.style_key(layer.name, query);
    TileCache::Result r = cache_.get_or_render(key, [&] {
      const SlotGuard slot(render_slots_);
      std::string png = provider_.tile(layer.name, z, x, y, query);
      std::string etag = etag_of(png);
      return EncodedTile{std::move(png), std::move(etag)};
    });
    t_request.cache = r.outcome == TileCache::Outcome::kHit    ? "hit"
                      : r.outcome == TileCache::Outcome::kMiss ? "miss"
                                                               : "wait";
    res.set_header("ETag", r.tile->etag);
    res.set_header("Cache-Control", "public, max-age=" + std::to_string(options_.tile_max_age_seconds));
    res.set_header("Access-Control-Allow-Origin", "*");
    if (req.has_header("If-None-Match") &&
        etag_matches(req.get_header_value("If-None-Match"), r.tile->etag)) {
      res.status = 304;
      return;
    }
    res.set_content(r.tile->bytes, "image/png");
  }

  void log(const httplib::Request& req, const httplib::Response& res) {
    responses_.fetch_add(1, std::memory_order_relaxed);
    if (res.status >= 500) {
      server_errors_.fetch_add(1, std::memory_order_relaxed);
    } else if (res.status >= 400) {
      client_errors_.fetch_add(1, std::memory_order_relaxed);
    }
    RequestState& state = t_request;
    if (options_.debug_log) {
      char timing[48] = "-";
      if (state.active) {
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - state.start).count();
        std::snprintf(timing, sizeof timing, "%.2fms", ms);
      }
      const std::size_t bytes = req.method == "HEAD" ? 0 : res.body.size();
      std::string line = printable(req.method.empty() ? "-" : req.method, 16) + " " +
                         printable(req.target.empty() ? "-" : req.target, 512) + " " +
                         std::to_string(res.status) + " " + std::to_string(bytes) + "B " + timing + " " +
                         (state.active ? state.cache : "-");
      if (state.active && !state.fault.empty()) line += " fault: " + printable(state.fault, 512);
      try {
        std::lock_guard lock(log_mu_);
        options_.debug_log(line);
      } catch (...) {  // a failing log must not fail the server
      }
    }
    state = RequestState{};
  }

  TileProvider& provider_;
  const ServerOptions options_;
  TileCache cache_;
  FifoSlots render_slots_;  // options_.threads renderings at once
  httplib::Server svr_;
  std::vector<LayerInfo> layers_;                       // set by start(), then read only
  std::unordered_map<std::string, std::size_t> index_;  // name -> layers_ index

  std::mutex mu_;  // start/stop
  bool started_ = false, stopped_ = false;
  std::thread listener_;
  std::atomic<int> port_{0};
  socket_t listen_socket_ = -1;  // set while binding (configure()'s socket options)

  std::mutex done_mu_;  // run() waits on it
  std::condition_variable done_cv_;
  bool stopping_ = false, stop_complete_ = false, listener_done_ = false;

  std::mutex log_mu_;
  std::atomic<std::uint64_t> responses_{0}, client_errors_{0}, server_errors_{0};
};

std::string TileProvider::values(const std::string&, int, int, int) {
  throw HttpError(404, "this server serves no values");
}

Server::Server(TileProvider& provider, ServerOptions options)
    : impl_(std::make_unique<Impl>(provider, std::move(options))) {}
Server::~Server() {
  stop();
}
int Server::start() {
  return impl_->start();
}
void Server::run() {
  impl_->run();
}
void Server::stop() noexcept {
  impl_->stop();
}
int Server::port() const {
  return impl_->port();
}
TileCache::Stats Server::cache_stats() const {
  return impl_->cache_stats();
}
Server::RequestStats Server::request_stats() const {
  return impl_->request_stats();
}

}  // namespace trellis::serve
