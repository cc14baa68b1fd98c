#pragma once
// What the ops that take "a tiled layer or a pyramid" share: the levels to work on, and the output path
// of a level.
#include <string>
#include <variant>
#include <vector>

#include "job/value.hpp"
#include "layer/layer.hpp"

namespace trellis::ops {

// A level and its zoom (a pyramid's key; a layer's own zoom, 0 for floating layouts).
struct Level {
  int zoom = 0;
  const TiledLayer* layer = nullptr;
};

// The levels of a TiledLayer (itself) or of a Pyramid (highest zoom first). Not collective; throws
// std::bad_variant_access for any other value (the op's `accepts` rules it out).
inline std::vector<Level> levels_of(const job::StepValue& v) {
  if (const auto* tl = std::get_if<TiledLayer>(&v)) return {{tl->md.zoom.value_or(0), tl}};
  std::vector<Level> out;
  for (const auto& [z, layer] : std::get<Pyramid>(v).levels) out.push_back({z, &layer});
  return out;
}

// `pattern` with every "{zoom}" replaced by `zoom`.
inline std::string zoom_path(std::string pattern, int zoom) {
  const std::string z = std::to_string(zoom);
  for (std::size_t pos = 0; (pos = pattern.find("{zoom}", pos)) != std::string::npos; pos += z.size())
    pattern.replace(pos, 6, z);
  return pattern;
}

}  // namespace trellis::ops
