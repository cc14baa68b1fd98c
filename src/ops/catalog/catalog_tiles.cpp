// The tiles of `trellis serve` (catalog_tiles.hpp).
#include "ops/catalog/catalog_tiles.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "core/text.hpp"
#include "job/log.hpp"
#include "job/yaml_convert.hpp"
#include "ops/catalog/tile_json.hpp"
#include "render/color_ramp.hpp"
#include "render/color_spec.hpp"
#include "render/png.hpp"

namespace trellis::ops::catalog {

namespace cat = io::catalog;
using serve::HttpError;

namespace {

constexpr int kDefaultQuantiles = 10;

[[noreturn]] void bad(const std::string& why) {
  throw HttpError(400, why);
}

double number(const std::string& key, const std::string& text) {
  const auto d = job::parse_double(trim(text), false);
  if (!d || !std::isfinite(*d)) bad(key + ": '" + text + "' is not a number");
  return *d;
}

std::vector<double> numbers(const std::string& key, const std::string& text) {
  std::vector<double> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    out.push_back(number(key, text.substr(pos, comma - pos)));
    pos = comma + 1;
  }
  return out;
}

int integer(const std::string& key, const std::string& text, int lo, int hi) {
  const double d = number(key, text);
  if (d != std::floor(d) || d < lo || d > hi)
    bad(key + ": '" + text + "' is not an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
  return static_cast<int>(d);
}

// "ff0000", "#ff0000", "ff000080", "0xff000080".
render::Rgba colour(const std::string& key, std::string text) {
  if (!text.empty() && text[0] == '#') text.erase(0, 1);
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.erase(0, 2);
  if ((text.size() != 6 && text.size() != 8) ||
      text.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    bad(key + ": '" + text + "' is not a colour (RRGGBB or RRGGBBAA, hexadecimal)");
  const auto v = static_cast<render::Rgba>(std::stoul(text, nullptr, 16));
  return text.size() == 6 ? (v << 8) | 0xFF : v;
}

template <class E>
E choice(const std::string& key, const std::string& text,
         std::initializer_list<std::pair<const char*, E>> names) {
  std::string known;
  for (const auto& [n, e] : names) {
    if (lower(text) == n) return e;
    known += (known.empty() ? "" : ", ") + std::string(n);
  }
  bad(key + ": '" + text + "' is not one of " + known);
}

// Web Mercator metres to degrees.
double lon_of(double x) {
  return x / kEarthRadius * 180 / std::numbers::pi;
}
double lat_of(double y) {
  return std::atan(std::sinh(y / kEarthRadius)) * 180 / std::numbers::pi;
}

}  // namespace

enum class StretchKind { None, MinMax, Percentiles };

struct CatalogTiles::Parsed {
  std::string key;  // canonical: equal for equal styles
  bool rgb = false;
  int band = 0;
  render::ColorSpec spec;
  std::vector<int> rgb_bands;
  StretchKind stretch = StretchKind::MinMax;
  double p_lo = 2, p_hi = 98;
};

const std::vector<std::string>& CatalogTiles::style_parameters() {
  static const std::vector<std::string> names = {"band",     "ramp",          "breaks",        "quantiles",
                                                 "boundary", "interpolation", "no_data_color", "fallback",
                                                 "strict",   "rgb",           "stretch",       "percentiles"};
  return names;
}

CatalogTiles::CatalogTiles(const std::string& uri, std::map<std::string, serve::Query> styles) {
  hdf5_ = cat::parse_catalog_uri(uri).scheme == cat::CatalogUri::Scheme::Hdf5;
  for (const cat::LayerId& id : LayerReader::layers(uri)) {
    auto opened = LayerReader::open(uri, id);
    if (!opened) continue;
    const std::string what = id.name + " zoom " + std::to_string(id.zoom);
    if (opened->attributes().md.temporal) {
      skipped_.push_back(what + " (a spacetime layer: not served yet)");
      continue;
    }
    const LayerReader& reader = readers_[id.name].emplace(id.zoom, std::move(*opened)).first->second;
    const LayerMetadata& md = reader.attributes().md;
    const bool xyz = md.zoom && *md.zoom == id.zoom && md.crs.is_webmercator() &&
                     md.layout == ZoomedLayoutScheme(md.crs, 256).level_for_zoom(id.zoom).layout;
    if (!xyz) {
      skipped_.push_back(what + " as PNG tiles (not on Web Mercator's zoomed layout of 256-cell tiles; " +
                         "its cells are served at /values/)");
      continue;
    }
    if (!cat::valid_layer_name(id.name) || id.name.front() == '.') {
      skipped_.push_back(id.name + " as PNG tiles (a name that is not URL-safe; its cells are served at " +
                         "/values/)");
      continue;
    }
    layers_[id.name].zooms.emplace(id.zoom, &reader);
  }
  for (auto& [name, l] : layers_) {
    const auto& [zmax, top] = *l.zooms.rbegin();
    const LayerMetadata& md = top->attributes().md;
    l.info.name = name;
    l.info.min_zoom = l.zooms.begin()->first, l.info.max_zoom = zmax;
    l.info.west = lon_of(md.extent.xmin), l.info.east = lon_of(md.extent.xmax);
    l.info.south = lat_of(md.extent.ymin), l.info.north = lat_of(md.extent.ymax);
    l.info.description = md.cell_type.name() + ", " + std::to_string(md.bands) + " band(s)";
    if (auto s = styles.find(name); s != styles.end()) {
      for (const auto& [k, v] : s->second) {
        if (std::find(style_parameters().begin(), style_parameters().end(), k) == style_parameters().end())
          throw JobError("the style of layer '" + name + "': unknown parameter '" + k + "' (" +
                         join(style_parameters()) + ")");
        l.defaults[k] = v;
      }
      try {
        (void)parse(l, {});
      } catch (const HttpError& e) {
        throw JobError("the style of layer '" + name + "': " + e.what());
      }
    }
  }
  for (const auto& [name, q] : styles)
    if (!layers_.count(name))
      throw JobError("the style file names layer '" + name + "', which is not served");
  if (readers_.empty()) throw JobError("catalog '" + uri + "' has no layer to serve");
  const std::vector<std::uint8_t> clear(256 * 256 * 4, 0);
  empty_png_ = render::encode_png_rgba(clear, 256, 256);
}

std::vector<serve::LayerInfo> CatalogTiles::layers() const {
  std::vector<serve::LayerInfo> out;
  for (const auto& [name, l] : layers_) out.push_back(l.info);
  return out;
}

const CatalogTiles::Layer& CatalogTiles::layer_of(const std::string& name) const {
  const auto it = layers_.find(name);
  if (it == layers_.end()) throw HttpError(404, "unknown layer");
  return it->second;
}

// The style of a request: its own parameters over the layer's defaults.
CatalogTiles::Parsed CatalogTiles::parse(const Layer& l, const serve::Query& query) const {
  std::map<std::string, std::string> q = l.defaults;
  std::map<std::string, std::string> given;
  for (const auto& [k, v] : query) {
    if (std::find(style_parameters().begin(), style_parameters().end(), k) == style_parameters().end())
      bad("unknown parameter '" + k + "' (" + join(style_parameters()) + ")");
    if (!given.emplace(k, v).second) bad("parameter '" + k + "' is given twice");
  }
  // A request that names its own colours replaces the default colours as a whole.
  if (given.count("ramp") || given.count("rgb"))
    q.erase("ramp"), q.erase("rgb"), q.erase("breaks"), q.erase("quantiles");
  for (const auto& [k, v] : given) q[k] = v;

  const LayerMetadata& md = l.zooms.rbegin()->second->attributes().md;
  Parsed p;
  if (!q.count("ramp") && !q.count("rgb")) {
    if (md.bands >= 3)
      q["rgb"] = "0,1,2";
    else
      q["ramp"] = "viridis";
  }
  if (q.count("ramp") && q.count("rgb")) bad("ramp and rgb exclude each other");
  if (q.count("breaks") && q.count("quantiles")) bad("breaks and quantiles exclude each other");
  auto band_ok = [&](int b) {
    if (b >= md.bands)
      bad("band " + std::to_string(b) + " does not exist (the layer has " + std::to_string(md.bands) + ")");
    return b;
  };
  if (q.count("rgb")) {
    p.rgb = true;
    for (double b : numbers("rgb", q["rgb"])) {
      if (b != std::floor(b) || b < 0) bad("rgb: band numbers are integers from 0");
      p.rgb_bands.push_back(band_ok(static_cast<int>(b)));
    }
    if (p.rgb_bands.size() != 3 && p.rgb_bands.size() != 4) bad("rgb: three or four bands");
    if (q.count("stretch"))
      p.stretch = choice<StretchKind>("stretch", q["stretch"],
                                      {{"none", StretchKind::None},
                                       {"min_max", StretchKind::MinMax},
                                       {"percentiles", StretchKind::Percentiles}});
    if (q.count("percentiles")) {
      const auto v = numbers("percentiles", q["percentiles"]);
      if (v.size() != 2 || !(v[0] >= 0 && v[0] < v[1] && v[1] <= 100))
        bad("percentiles: low,high with 0 <= low < high <= 100");
      p.p_lo = v[0], p.p_hi = v[1];
    }
    for (const char* k : {"band", "ramp", "breaks", "quantiles", "boundary", "interpolation", "no_data_color",
                          "fallback", "strict"})
      if (q.count(k)) bad(std::string(k) + " applies to a ramp, not to rgb");
  } else {
    if (q.count("stretch") || q.count("percentiles")) bad("stretch and percentiles apply to rgb");
    p.band = q.count("band") ? band_ok(integer("band", q["band"], 0, 65535)) : 0;
    p.spec.ramp = q["ramp"];
    if (!render::ramp_colors(p.spec.ramp)) bad("unknown ramp '" + p.spec.ramp + "'");
    if (q.count("breaks")) {
      p.spec.breaks = numbers("breaks", q["breaks"]);
      for (std::size_t i = 1; i < p.spec.breaks.size(); ++i)
        if (!(p.spec.breaks[i] > p.spec.breaks[i - 1])) bad("breaks must increase");
    } else {
      p.spec.quantiles =
          q.count("quantiles") ? integer("quantiles", q["quantiles"], 1, 1000) : kDefaultQuantiles;
    }
    auto& o = p.spec.options;
    if (q.count("boundary"))
      o.boundary = choice<render::ClassBoundary>(
          "boundary", q["boundary"],
          {{"less_than", render::ClassBoundary::LessThan},
           {"less_than_or_equal_to", render::ClassBoundary::LessThanOrEqualTo},
           {"exact", render::ClassBoundary::Exact},
           {"greater_than_or_equal_to", render::ClassBoundary::GreaterThanOrEqualTo},
           {"greater_than", render::ClassBoundary::GreaterThan}});
    if (q.count("interpolation"))
      o.interpolation = choice<render::Interpolation>(
          "interpolation", q["interpolation"],
          {{"discrete", render::Interpolation::Discrete}, {"linear", render::Interpolation::Linear}});
    if (q.count("no_data_color")) o.no_data = colour("no_data_color", q["no_data_color"]);
    if (q.count("fallback")) o.fallback = colour("fallback", q["fallback"]);
    if (q.count("strict")) o.strict = choice<bool>("strict", q["strict"], {{"true", true}, {"false", false}});
    if (o.interpolation == render::Interpolation::Linear && (q.count("boundary") || q.count("fallback")))
      bad("boundary and fallback have no effect with interpolation=linear");
  }
  // Canonical: the parsed values, not their spelling.
  std::string key;
  char buf[64];
  auto add = [&](const std::string& s) { key += s + ";"; };
  if (p.rgb) {
    add("rgb");
    for (int b : p.rgb_bands) add(std::to_string(b));
    add(std::to_string(static_cast<int>(p.stretch)));
    std::snprintf(buf, sizeof buf, "%.17g,%.17g", p.p_lo, p.p_hi);
    add(buf);
  } else {
    add("band" + std::to_string(p.band));
    add(lower(p.spec.ramp));
    for (double b : p.spec.breaks) std::snprintf(buf, sizeof buf, "%.17g", b), add(buf);
    add("q" + std::to_string(p.spec.quantiles));
    const auto& o = p.spec.options;
    add(std::to_string(static_cast<int>(o.boundary)) + "," +
        std::to_string(static_cast<int>(o.interpolation)) + "," + std::to_string(o.no_data) + "," +
        std::to_string(o.fallback) + "," + std::to_string(o.strict));
  }
  p.key = key;
  return p;
}

std::string CatalogTiles::style_key(const std::string& layer, const serve::Query& query) const {
  return parse(layer_of(layer), query).key;
}

std::vector<std::optional<Tile>> CatalogTiles::read(const LayerReader& reader,
                                                    const std::vector<SpaceTimeKey>& keys) {
  // A request is one thread's work: the request threads do not each start a team of OpenMP threads to
  // read (this sets the calling thread's own OpenMP setting).
  static thread_local const bool one_thread = [] {
    omp_set_num_threads(1);
    return true;
  }();
  (void)one_thread;
  job::Logger quiet(job::LogLevel::Warn, 1);  // a request logs nothing of its own
  job::Progress progress(quiet, "tiles");
  std::size_t stored = 0;
  std::unique_lock lock(read_mutex_, std::defer_lock);
  if (hdf5_) lock.lock();
  return reader.read(keys, progress, stored);
}

// The histogram of a band, from the layer's least detailed zoom: a summary of the whole layer read once
// (its most detailed zoom may be too large to read for one request). Tiles are counted in key order.
const StreamingHistogram& CatalogTiles::histogram_of(const Layer& l, int band) {
  const std::pair<std::string, int> id{l.info.name, band};
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = histograms_.find(id); it != histograms_.end()) return it->second;
  }
  const LayerReader& reader = *l.zooms.begin()->second;
  const LayerMetadata& md = reader.attributes().md;
  std::vector<SpaceTimeKey> keys;
  for (std::int32_t r = md.bounds.min.row; r <= md.bounds.max.row; ++r)
    for (std::int32_t c = md.bounds.min.col; c <= md.bounds.max.col; ++c) keys.push_back({c, r, 0});
  const std::vector<std::optional<Tile>> tiles = read(reader, keys);
  const CellWindow data = data_window(md);
  StreamingHistogram h;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!tiles[i]) continue;
    const Tile& t = *tiles[i];
    const CellWindow w = tile_data_window(md, data, keys[i]);
    for (long r = w.r0; r < w.r1; ++r)
      for (long c = w.c0; c < w.c1; ++c) {
        const double v = t.get(band, static_cast<int>(c), static_cast<int>(r));
        if (std::isfinite(v)) h.add(v);
      }
  }
  std::lock_guard lock(cache_mutex_);
  return histograms_.emplace(id, std::move(h)).first->second;
}

std::shared_ptr<const render::Style> CatalogTiles::style_of(const Layer& l, const Parsed& p) {
  const std::string id = l.info.name + "|" + p.key;
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = styles_.find(id); it != styles_.end()) return it->second;
  }
  std::shared_ptr<const render::Style> style;
  if (!p.rgb) {
    const StreamingHistogram* h = p.spec.needs_histogram() ? &histogram_of(l, p.band) : nullptr;
    try {
      style = std::make_shared<render::Style>(render::BandColors{p.band, render::build_color_map(p.spec, h)});
    } catch (const std::invalid_argument& e) {
      bad(e.what());
    }
  } else {
    render::BandStretch st;
    st.bands = p.rgb_bands;
    for (int b : st.bands) {
      double lo = 0, hi = 255;
      if (p.stretch != StretchKind::None) {
        const StreamingHistogram& h = histogram_of(l, b);
        if (h.total_count() > 0) {
          lo = p.stretch == StretchKind::MinMax ? *h.min() : h.percentile(p.p_lo / 100);
          hi = p.stretch == StretchKind::MinMax ? *h.max() : h.percentile(p.p_hi / 100);
        }
      }
      st.lo.push_back(lo), st.hi.push_back(hi);
    }
    style = std::make_shared<render::Style>(std::move(st));
  }
  std::lock_guard lock(cache_mutex_);
  if (styles_.size() >= 1024) styles_.clear();  // bounded: styles are cheap to rebuild
  return styles_.emplace(id, style).first->second;
}

std::string CatalogTiles::tile(const std::string& layer, int z, int x, int y, const serve::Query& query) {
  const Layer& l = layer_of(layer);
  const auto zi = l.zooms.find(z);
  if (zi == l.zooms.end())
    throw HttpError(404, "zoom " + std::to_string(z) + " is not in layer '" + layer + "' (" +
                             std::to_string(l.info.min_zoom) + " to " + std::to_string(l.info.max_zoom) +
                             ")");
  const long n = 1L << z;
  if (x < 0 || y < 0 || x >= n || y >= n) throw HttpError(404, "tile outside the world at this zoom");
  const Parsed p = parse(l, query);
  const auto style = style_of(l, p);
  const LayerReader& reader = *zi->second;
  const LayerMetadata& md = reader.attributes().md;
  const SpaceTimeKey key{x, y, 0};
  if (x < md.bounds.min.col || x > md.bounds.max.col || y < md.bounds.min.row || y > md.bounds.max.row)
    return empty_png_;
  const std::vector<std::optional<Tile>> tiles = read(reader, {key});
  if (!tiles.front()) return empty_png_;
  const Tile& t = *tiles.front();
  std::vector<std::uint8_t> pixels(t.cells() * 4);
  render::render_tile(t, *style, tile_data_window(md, data_window(md), key), pixels);
  if (render::fully_transparent(pixels)) return empty_png_;
  return render::encode_png_rgba(pixels, t.cols(), t.rows());
}

std::string CatalogTiles::values(const std::string& layer, int zoom, int col, int row) {
  const auto li = readers_.find(layer);
  if (li == readers_.end()) throw HttpError(404, "unknown layer");
  const auto zi = li->second.find(zoom);
  if (zi == li->second.end()) {
    std::string zooms;
    for (const auto& [z, r] : li->second) zooms += (zooms.empty() ? "" : ", ") + std::to_string(z);
    throw HttpError(
        404, "zoom " + std::to_string(zoom) + " is not in layer '" + layer + "' (it has " + zooms + ")");
  }
  const LayerReader& reader = zi->second;
  const SpaceTimeKey key{col, row, 0};
  if (!reader.attributes().md.bounds.grid().contains(col, row))
    throw HttpError(404, "key (" + std::to_string(col) + ", " + std::to_string(row) +
                             ") is outside the layer's key bounds");
  const std::vector<std::optional<Tile>> tiles = read(reader, {key});
  if (!tiles.front())
    throw HttpError(404, "layer '" + layer + "' has no tile at (" + std::to_string(col) + ", " +
                             std::to_string(row) + ")");
  return tile_json(key, *tiles.front()).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace trellis::ops::catalog
