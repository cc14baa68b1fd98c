#pragma once
// The layout parameters shared by the ops that tile (tile_to_layout, cut_tiles) and retile
// (reproject): GeoTrellis' FloatingLayoutScheme, ZoomedLayoutScheme, or an explicit extent + layout.
#include <optional>
#include <span>
#include <string>

#include "core/enum_names.hpp"
#include "core/extent.hpp"
#include "core/layout.hpp"
#include "job/schema.hpp"
#include "job/types/layout.hpp"

namespace trellis::ops {

enum class LayoutSchemeKind { Float, Zoom };
inline constexpr EnumName<LayoutSchemeKind> kLayoutSchemeNames[] = {{LayoutSchemeKind::Float, "float"},
                                                                    {LayoutSchemeKind::Zoom, "zoom"}};
inline std::span<const EnumName<LayoutSchemeKind>> enum_names(LayoutSchemeKind) {
  return kLayoutSchemeNames;
}

struct LayoutArgs {
  int tile_size = 256;
  std::optional<Extent> extent;      // with `layout`: an explicit LayoutDefinition
  std::optional<TileLayout> layout;  // with `extent`
  LayoutSchemeKind scheme = LayoutSchemeKind::Float;
  std::optional<int> zoom;  // scheme zoom: this zoom instead of the one the resolution gives
  double resolution_threshold = 0.1;

  // The explicit layout, when `extent` and `layout` are given.
  std::optional<LayoutDefinition> explicit_layout() const {
    if (!extent || !layout) return std::nullopt;
    return LayoutDefinition{*extent, *layout};
  }
};

// Declares the layout parameters of an Args deriving from LayoutArgs, in this order: tile_size, extent,
// layout, scheme, zoom, resolution_threshold, with their groups and checks. `extent_help` and
// `scheme_help` say what extent and scheme mean for the op.
template <class Args>
void declare_layout(job::Schema<Args>& s, const std::string& extent_help, const std::string& scheme_help) {
  static_assert(std::is_base_of_v<LayoutArgs, Args>);
  s.add("tile_size", static_cast<int Args::*>(&Args::tile_size), "tile width and height in cells")
      .range(1, 65536);
  s.add("extent", static_cast<std::optional<Extent> Args::*>(&Args::extent), extent_help);
  s.add("layout", static_cast<std::optional<TileLayout> Args::*>(&Args::layout),
        "TileLayout {layout_cols, layout_rows, tile_cols, tile_rows} (with `extent`): an explicit layout");
  s.add("scheme", static_cast<LayoutSchemeKind Args::*>(&Args::scheme), scheme_help);
  s.add("zoom", static_cast<std::optional<int> Args::*>(&Args::zoom),
        "zoom level for scheme: zoom (default: from the resolution)")
      .range(0, 30);
  s.add("resolution_threshold", static_cast<double Args::*>(&Args::resolution_threshold),
        "scheme: zoom picks the next zoom when the resolution is this close to it")
      .range(0, 1);
  s.together({"extent", "layout"}, "an explicit layout");
  s.check([](const Args& a, const job::Checker<Args>& c) {
    if (a.extent && a.scheme == LayoutSchemeKind::Zoom)
      c.fail(static_cast<LayoutSchemeKind Args::*>(&Args::scheme),
             "scheme 'zoom' cannot be combined with an explicit layout");
    if (a.zoom && a.extent)
      c.fail(static_cast<std::optional<int> Args::*>(&Args::zoom),
             "`zoom` cannot be combined with an explicit layout");
    if (a.zoom && a.scheme != LayoutSchemeKind::Zoom)
      c.fail(static_cast<std::optional<int> Args::*>(&Args::zoom), "`zoom` needs scheme: zoom");
  });
}

}  // namespace trellis::ops
