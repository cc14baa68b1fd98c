#pragma once
// The viewer page of the tile server (GET /) and the files it loads, all held in memory so that the
// server needs no network nor any file at run time: Leaflet (embedded at build time by
// cmake/leaflet.cmake, which generates the definitions of kLeafletVersion and kLeafletAssets).
#include <span>
#include <string_view>

namespace trellis::serve {

// A file served from memory.
struct EmbeddedAsset {
  std::string_view path;          // URL path, e.g. "/leaflet/leaflet.js"
  std::string_view content_type;  // Content-Type header value
  std::string_view bytes;         // exact content
};

// Leaflet's version ("1.9.4") and files: /leaflet/leaflet.js, /leaflet/leaflet.css, /leaflet/LICENSE
// (its BSD-2-Clause licence) and /leaflet/images/*.png. Defined in the generated leaflet_assets.cpp.
extern const char kLeafletVersion[];
extern const std::span<const EmbeddedAsset> kLeafletAssets;

// The embedded file served at `path`, or nullptr. Thread-safe (constant data); throws nothing.
const EmbeddedAsset* find_asset(std::string_view path) noexcept;

// The viewer page: a full-window Leaflet map on a plain background (no base map: no network needed)
// that fetches /layers.json (with the page's query string, so /?ramp=magma styles every layer), adds
// one tile layer per layer to a layer control, shows the first one and fits the map to its bounds.
// The style parameters of the page's URL are passed on to every tile URL. Constant; throws nothing.
std::string_view viewer_html() noexcept;

}  // namespace trellis::serve
