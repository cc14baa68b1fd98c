#pragma once
// The tiles `trellis serve` serves: the Web Mercator layers of a catalog (trellis' or GeoTrellis'), each
// zoom a level of XYZ tiles, rendered on request with a style from the request's query parameters or
// from a style file. Not collective: one process serves, with many threads.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/histogram.hpp"
#include "ops/catalog/layer_reader.hpp"
#include "render/tile_render.hpp"
#include "serve/http_server.hpp"

namespace trellis::ops::catalog {

class CatalogTiles : public serve::TileProvider {
 public:
  // Opens every spatial layer of the catalog at `uri`: all serve their cells (values()), and those whose
  // levels are on Web Mercator's zoomed layout of 256-cell tiles serve PNG tiles too (layers()); `styles`
  // maps a layer name to its default style, as query parameters. skipped() names what is not served as
  // PNG tiles, and why. Throws IoError when the catalog cannot be read and JobError when it has no
  // spatial layer, or a style is wrong.
  CatalogTiles(const std::string& uri, std::map<std::string, serve::Query> styles = {});

  std::vector<serve::LayerInfo> layers() const override;
  // Thread-safe. HttpError 404 for an unknown layer or a zoom it lacks, 400 for a bad style.
  std::string tile(const std::string& layer, int z, int x, int y, const serve::Query& query) override;
  std::string style_key(const std::string& layer, const serve::Query& query) const override;
  // Thread-safe. HttpError 404 for an unknown layer or zoom, a key outside the layer or without a tile.
  std::string values(const std::string& layer, int zoom, int col, int row) override;

  // How many layers serve their cells at /values/ (every spatial layer of the catalog).
  std::size_t value_layers() const { return readers_.size(); }
  // "name (why)" of each layer not served, or not served as PNG tiles.
  const std::vector<std::string>& skipped() const { return skipped_; }

  // The style parameters a request may give (the keys of a style file's entries too).
  static const std::vector<std::string>& style_parameters();

 private:
  struct Layer {
    serve::LayerInfo info;
    std::map<int, const LayerReader*> zooms;      // into readers_
    std::map<std::string, std::string> defaults;  // the style file's parameters
  };
  struct Parsed;
  const Layer& layer_of(const std::string& name) const;
  Parsed parse(const Layer& l, const serve::Query& q) const;
  std::shared_ptr<const render::Style> style_of(const Layer& l, const Parsed& p);
  const StreamingHistogram& histogram_of(const Layer& l, int band);
  // The tiles at `keys` (one read at a time for an HDF5 store). Thread-safe.
  std::vector<std::optional<Tile>> read(const LayerReader& reader, const std::vector<SpaceTimeKey>& keys);

  std::map<std::string, std::map<int, LayerReader>> readers_;  // every spatial layer, by name and zoom
  std::map<std::string, Layer> layers_;                        // those served as PNG tiles
  std::vector<std::string> skipped_;
  std::string empty_png_;
  bool hdf5_ = false;
  std::mutex read_mutex_;  // HDF5 is built without thread safety: one read at a time
  std::mutex cache_mutex_;
  std::map<std::string, std::shared_ptr<const render::Style>> styles_;  // by layer + style key
  std::map<std::pair<std::string, int>, StreamingHistogram> histograms_;
};

}  // namespace trellis::ops::catalog
