// trellis serve CATALOG: the catalog's Web Mercator layers as XYZ PNG tiles over HTTP, with a viewer, and
// the cells of any layer's tile by key.
// One process (not under mpirun with several ranks): the server's threads share its tile cache.
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "job/log.hpp"
#include "mpi/runtime.hpp"
#include "mpi/signals.hpp"
#include "ops/catalog/catalog_tiles.hpp"
#include "serve/http_server.hpp"

namespace trellis::cli {

namespace {

// A style file: layer name -> {parameter: value}; list values become comma-separated.
std::map<std::string, serve::Query> read_styles(const std::string& path) {
  std::map<std::string, serve::Query> out;
  if (path.empty()) return out;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw JobError(path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                   ": " + e.msg);
  }
  auto where = [&](const YAML::Node& n) {
    return path + ":" + std::to_string(n.Mark().line + 1) + ":" + std::to_string(n.Mark().column + 1) + ": ";
  };
  if (root.IsNull()) return out;  // an empty file: no style
  if (!root.IsMap()) throw JobError(where(root) + "a style file maps layer names to their styles");
  for (const auto& layer : root) {
    if (!layer.second.IsMap())
      throw JobError(where(layer.second) + "the style of a layer maps parameters to values (ramp: viridis)");
    serve::Query& q = out[layer.first.as<std::string>()];
    for (const auto& p : layer.second) {
      std::string value;
      if (p.second.IsSequence()) {
        for (const auto& e : p.second) value += (value.empty() ? "" : ",") + e.as<std::string>();
      } else if (p.second.IsScalar()) {
        value = p.second.as<std::string>();
      } else {
        throw JobError(where(p.second) + "a value or a list of values");
      }
      q.emplace_back(p.first.as<std::string>(), value);
    }
  }
  return out;
}

}  // namespace

int command_serve(const ServeArgs& a) {
  if (mpi::Runtime::size() > 1) throw JobError("trellis serve runs as one process, not on several ranks");
  const job::Logger log(a.log_level == "debug" ? job::LogLevel::Debug : job::LogLevel::Info, 0);
  ops::catalog::CatalogTiles tiles(a.catalog, read_styles(a.style));
  for (const auto& s : tiles.skipped()) log.warn("not served: " + s);
  serve::ServerOptions o;
  o.bind = a.bind;
  o.port = a.port;
  o.threads = a.threads;
  o.cache_bytes = static_cast<std::size_t>(a.cache_mb) << 20;
  if (log.level() == job::LogLevel::Debug) o.debug_log = [&log](const std::string& line) { log.debug(line); };
  serve::Server server(tiles, o);
  int port = 0;
  try {
    port = server.start();
  } catch (const std::runtime_error& e) {  // a port in use, an address this machine does not have
    throw IoError(e.what());
  }
  log.info("serving " + std::to_string(tiles.layers().size()) + " layer(s) as PNG tiles and the cells of " +
           std::to_string(tiles.value_layers()) + " at /values/ of " + a.catalog + " at http://" + a.bind +
           ":" + std::to_string(port) + "/ (Ctrl-C stops)");
  // SIGINT/SIGTERM (the handlers of mpi/signals.hpp) stop the server.
  mpi::install_stop_handlers();
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done && !mpi::stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.stop();
  });
  server.run();
  done = true;
  watcher.join();
  if (mpi::stop_requested()) log.info("stopped by " + mpi::signal_name(mpi::stop_signal()));
  return 0;
}

}  // namespace trellis::cli
