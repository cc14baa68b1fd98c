#include "serve/viewer.hpp"

namespace trellis::serve {

const EmbeddedAsset* find_asset(std::string_view path) noexcept {
  for (const EmbeddedAsset& a : kLeafletAssets) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

namespace {

// The page. No base map (the tiles of a base map would need the network): the layers lie on the map
// container's plain background. Layer names and descriptions are inserted as text (the layer control
// takes HTML, so they are escaped first): they come from the catalog, not from this page.
constexpr char kViewerHtml[] = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>trellis</title>
<link rel="stylesheet" href="/leaflet/leaflet.css">
<script src="/leaflet/leaflet.js"></script>
<style>
  html, body { height: 100%; margin: 0; }
  #map { position: absolute; top: 0; right: 0; bottom: 0; left: 0; background: #e6e4df; }
  #message { position: absolute; z-index: 1000; top: 10px; left: 60px; display: none; padding: 6px 10px;
             background: #fff; border-radius: 4px; font: 14px sans-serif; box-shadow: 0 1px 4px #0004; }
</style>
</head>
<body>
<div id="map"></div>
<div id="message"></div>
<script>
"use strict";
(function () {
  var message = document.getElementById("message");
  function show(text) {
    message.textContent = text;
    message.style.display = "block";
  }
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
  }
  var map = L.map("map", {minZoom: 0, worldCopyJump: false});
  map.attributionControl.setPrefix('<a href="/leaflet/LICENSE">Leaflet</a>');
  // The page's query string holds the style (e.g. ?ramp=magma): layers.json carries it on to the
  // tile URLs it lists.
  fetch("/layers.json" + window.location.search)
    .then(function (r) {
      if (!r.ok) {
        return r.text().then(function (t) { throw new Error(t || r.statusText); });
      }
      return r.json();
    })
    .then(function (data) {
      var layers = data.layers || [];
      if (layers.length === 0) {
        show("This catalog has no layers.");
        map.setView([0, 0], 1);
        return;
      }
      var overlays = {};
      var maxZoom = 0;
      var first = null;
      var errors = [];
      layers.forEach(function (l, i) {
        if (l.style_error) {
          errors.push(l.name + ": " + l.style_error);
        }
        var bounds = L.latLngBounds([l.bounds[1], l.bounds[0]], [l.bounds[3], l.bounds[2]]);
        var tiles = L.tileLayer(l.tiles, {
          minZoom: l.minzoom,
          maxNativeZoom: l.maxzoom,  // deeper zooms enlarge the deepest tiles
          maxZoom: l.maxzoom + 4,
          bounds: bounds,            // no requests for tiles outside the layer
          noWrap: true
        });
        var label = "<b>" + escapeHtml(l.name) + "</b>" +
                    (l.description ? " <small>" + escapeHtml(l.description) + "</small>" : "");
        overlays[label] = tiles;
        maxZoom = Math.max(maxZoom, l.maxzoom + 4);
        if (i === 0) {
          first = {layer: tiles, bounds: bounds, minzoom: l.minzoom};
        }
      });
      if (errors.length > 0) {
        show(errors.join("; "));
      }
      map.setMaxZoom(maxZoom);
      L.control.layers(null, overlays, {collapsed: false}).addTo(map);
      first.layer.addTo(map);
      map.fitBounds(first.bounds);
      if (map.getZoom() < first.minzoom) {
        map.setView(first.bounds.getCenter(), first.minzoom);
      }
    })
    .catch(function (e) {
      show("Cannot load the layers: " + e.message);
      map.setView([0, 0], 1);
    });
})();
</script>
</body>
</html>
)html";

}  // namespace

std::string_view viewer_html() noexcept {
  return {kViewerHtml, sizeof(kViewerHtml) - 1};
}

}  // namespace trellis::serve
