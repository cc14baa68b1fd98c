// Catalog layers for the catalog ops (layer_reader.hpp).
#include "ops/catalog/layer_reader.hpp"

#include <filesystem>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "io/catalog/tile_codec.hpp"

namespace trellis::ops::catalog {

namespace cat = io::catalog;
namespace h5 = mpi::hdf5;

namespace {

// A tile as the layer holds it: its cell type, and the layer's tile size and bands (else IoError).
Tile fitted(Tile t, const LayerMetadata& md, const std::string& where) {
  const TileLayout& tl = md.layout.tile_layout;
  if (t.cols() != tl.tile_cols || t.rows() != tl.tile_rows || t.bands() != md.bands)
    throw IoError(where + ": a " + std::to_string(t.cols()) + "x" + std::to_string(t.rows()) + " tile of " +
                  std::to_string(t.bands()) + " band(s) in a layer of " + std::to_string(tl.tile_cols) + "x" +
                  std::to_string(tl.tile_rows) + " tiles of " + std::to_string(md.bands));
  return t.cell_type() == md.cell_type ? std::move(t) : t.convert(md.cell_type);
}

bool hdf5_has(const std::string& path, const cat::LayerId& id) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  for (const auto& [name, zoom] : h5::list_layers(path))
    if (name == id.name && zoom == id.zoom) return true;
  return false;
}

}  // namespace

std::optional<LayerReader> LayerReader::open(const std::string& uri, const cat::LayerId& id) {
  LayerReader r;
  r.uri_ = cat::parse_catalog_uri(uri);
  r.id_ = id;
  if (r.uri_.scheme == cat::CatalogUri::Scheme::Hdf5) {
    if (!hdf5_has(r.uri_.path, id)) return std::nullopt;
    r.hdf5_ = h5::read_layer_info(r.uri_.path, id.name, id.zoom);
    r.at_ = cat::parse_metadata_attribute(r.hdf5_->spec.metadata_json);
    r.at_.md.bands = r.hdf5_->spec.bands;
    r.at_.bands_known = true;
    return r;
  }
  const cat::Catalog catalog(r.uri_);
  auto at = catalog.find_layer(id);
  if (!at) return std::nullopt;
  r.at_ = std::move(*at);
  if (!r.at_.bands_known) {
    const std::string dir = catalog.tile_dir(r.at_.header);
    for (const std::string& name : catalog.store().list(dir)) {
      const auto bytes = catalog.read_tile_file(dir + "/" + name);
      if (!bytes) continue;
      const auto pairs = cat::TileDecoder(r.at_.schema).decode(*bytes);
      if (pairs.empty()) continue;
      r.at_.md.bands = pairs.front().second.bands();
      r.at_.bands_known = true;
      break;
    }
  }
  return r;
}

std::vector<cat::LayerId> LayerReader::layers(const std::string& uri) {
  const cat::CatalogUri u = cat::parse_catalog_uri(uri);
  if (u.scheme != cat::CatalogUri::Scheme::Hdf5) return cat::Catalog(u).layers();
  std::vector<cat::LayerId> out;
  std::error_code ec;
  if (std::filesystem::is_regular_file(u.path, ec))
    for (const auto& [name, zoom] : h5::list_layers(u.path)) out.push_back({name, zoom});
  return out;
}

std::string LayerReader::missing(const std::string& uri, const cat::LayerId& id) {
  std::string known;
  for (const auto& l : layers(uri))
    known += (known.empty() ? "" : ", ") + l.name + " zoom " + std::to_string(l.zoom);
  return "catalog '" + cat::parse_catalog_uri(uri).shown() + "' has no layer '" + id.name + "' at zoom " +
         std::to_string(id.zoom) + " (it has: " + (known.empty() ? "none" : known) + ")";
}

const char* LayerReader::stored_what() const {
  switch (uri_.scheme) {
    case cat::CatalogUri::Scheme::Hdf5:
      return "HDF5 chunk(s) read";
    case cat::CatalogUri::Scheme::S3:
      return "tile object(s) read";
    default:
      return "tile file(s) opened";
  }
}

std::size_t LayerReader::stored_tiles() const {
  if (hdf5_) return hdf5_->keys.size();
  const cat::Catalog catalog(uri_);
  return catalog.store().list(catalog.tile_dir(at_.header)).size();
}

std::vector<std::optional<Tile>> LayerReader::read(const std::vector<SpaceTimeKey>& keys,
                                                   job::Progress& progress, std::size_t& stored) const {
  std::vector<std::optional<Tile>> out(keys.size());
  stored = 0;
  if (hdf5_) {
    const h5::LayerInfo& info = *hdf5_;
    // In bounded batches, so that a stop request is seen.
    constexpr std::size_t kBatch = 64;
    for (std::size_t b = 0; b < keys.size() && !progress.stop_requested(); b += kBatch) {
      const std::vector<SpaceTimeKey> batch(
          keys.begin() + static_cast<long>(b),
          keys.begin() + static_cast<long>(std::min(keys.size(), b + kBatch)));
      auto tiles = h5::read_tiles(uri_.path, info, batch);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        auto it = tiles.find(batch[i]);
        if (it == tiles.end()) continue;
        out[b + i] = fitted(std::move(it->second), at_.md, uri_.path);
        ++stored;
      }
      progress.advance(batch.size());
    }
    return out;
  }
  const cat::Catalog catalog(uri_);
  const cat::TileDecoder decoder(at_.schema);
  const int width = at_.key_index.file_name_width();
  std::vector<std::uint8_t> found(keys.size(), 0);
  parallel_for(keys.size(), [&](std::size_t i) {
    if (progress.stop_requested()) return;
    const std::string path = catalog.tile_path(at_.header, at_.key_index.to_index(keys[i]), width);
    const auto bytes = catalog.read_tile_file(path);
    progress.advance(1);
    if (!bytes) return;  // a sparse layer: no tile there
    found[i] = 1;
    for (auto& [k, t] : decoder.decode(*bytes))
      if (k == keys[i]) out[i] = fitted(std::move(t), at_.md, path);  // other keys: spacetime bins
  });
  for (auto f : found) stored += f;
  return out;
}

}  // namespace trellis::ops::catalog
