#pragma once
// GDAL colour-relief text files, as `gdaldem color-relief` reads them (GDAL apps/gdaldem_lib.cpp,
// GDALColorReliefParseColorFile), and the colour map that colours a layer as gdaldem would
// (GDALColorReliefProcessColors + GDALColorReliefGetRGBA). Pure code (no MPI, no I/O).
//
// The format, one entry per line:
//   value R G B [A]      components are integers 0-255; A defaults to 255
//   value name [A]       one of GDAL's 16 colour names (case-insensitive): white, black, red, green, blue,
//                        yellow, magenta, cyan, aqua, grey, gray, orange, brown, purple, violet, indigo
//                        (GDAL's table holds fractions: 0.75 -> 191, 0.5 -> 127, 0.25 -> 63)
// where value is a number, NN% (a percentage of the layer's [min, max] range, 0-100) or nv (any case: the
// NoData colour). Fields are separated by runs of spaces, tabs, commas and colons; lines end with LF, CRLF
// or CR. Blank lines, and lines whose first field starts with '#' or '/', are comments. Fields after the
// fifth are ignored, as by GDAL (QGIS writes labels there). Entries need not be sorted; equal values make
// a step (the first colour applies on the value, the last beyond it).
// A line starting with '#' that contains COLOR_MODEL switches to GMT's CPT format (GDAL accepts only
// "COLOR_MODEL = RGB"): lines "v0 R0 G0 B0 v1 R1 G1 B1" (two entries, opaque) and "N R G B" (NoData);
// "B ..." and "F ..." lines are skipped.
//
// Where GDAL reads leniently (atof/atoi of a field's prefix, lines of one field or of unknown shape
// silently skipped, a trailing "# comment" read as alpha 0, components outside 0-255 wrapped), trellis
// refuses the file with the line and column of the fault.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "render/color_map.hpp"

namespace trellis::render {

struct ReliefEntry {
  enum class Kind : std::uint8_t { Value, Percent, NoData };
  Kind kind = Kind::Value;
  double value = 0;  // Value: the value; Percent: the percentage, 0-100; NoData: 0
  Rgba color = 0;
  int line = 0;  // 1-based line of the file (a GMT CPT line gives two entries)
  bool operator==(const ReliefEntry&) const = default;
};

struct ColorRelief {
  std::string source_name;
  std::vector<ReliefEntry> entries;  // in file order; at most one NoData entry, at least one other
  // True when an entry is a percentage: the layer's minimum and maximum are needed. Never throws.
  bool has_percentages() const;
  bool operator==(const ColorRelief&) const = default;
};

// Parses the text of a colour-relief file. Deterministic. Throws std::invalid_argument with the message
// "<source_name>:<line>:<column>: <why>" (1-based; the column of the offending field, in bytes) for a
// malformed number, component or colour name, a percentage outside 0-100, a line of neither shape, a
// second NoData entry, an unsupported COLOR_MODEL, or a file without any value entry (reported at 1:1).
ColorRelief parse_color_relief(std::string_view text, std::string_view source_name);

// gdaldem's colour selection: the default (interpolation), -exact_color_entry, -nearest_color_entry.
enum class ReliefMode : std::uint8_t { Interpolate, Exact, Nearest };
// The names a job gives the modes (render_png's relief_mode).
inline constexpr EnumName<ReliefMode> kReliefModeNames[] = {
    {ReliefMode::Interpolate, "interpolate"}, {ReliefMode::Exact, "exact"}, {ReliefMode::Nearest, "nearest"}};
inline std::span<const EnumName<ReliefMode>> enum_names(ReliefMode) {
  return kReliefModeNames;
}

// What gdaldem knows of the source band besides the file.
struct ReliefOptions {
  // The band's NoData value as gdaldem reads it (GDALGetRasterNoDataValue); NaN for a NaN NoData value
  // (trellis' float types); nullopt for a band without one, where gdaldem ignores nv entries.
  std::optional<double> source_no_data = std::numeric_limits<double>::quiet_NaN();
  // The offset gdaldem adds before truncating an interpolated channel: 0.45 in GDAL 3.6 to 3.10 (checked
  // against gdaldem 3.6.2), 0.5 in the newest GDAL sources.
  double round_offset = 0.45;
  // gdaldem reads bands other than 8 and 16-bit integers as Float32 (ColorMapOptions::float32_values).
  bool float32_values = true;
};

// The colour map that gives every value the colour `gdaldem color-relief -alpha` gives it, and NoData
// cells (NaN, or is_data 0 in map_row) the colour gdaldem gives the band's NoData value. As gdaldem:
//   - a percentage p becomes min + (p / 100) (max - min), from min_max (the layer's data range);
//   - an nv entry is an entry at source_no_data (none when it is nullopt; with NaN it colours NaN only);
//   - entries are sorted stably; a finite NoData value's entry gets neighbours one ulp away with its
//     neighbouring entries' colours (not in Exact mode), so the nv colour does not bleed into data values
//     (data values beyond a NoData value that is outside the entries still take the nv colour);
//   - a run of equal entries is spread by multiples of |value| DBL_EPSILON when the gap to its neighbours
//     allows (so a value exactly on it blends the run's colours), else kept as a step;
//   - Interpolate: Interpolation::Linear with linear_round_offset = round_offset, end colours beyond the
//     ends; Nearest: Interpolation::Nearest; Exact: ClassBoundary::Exact with a transparent black
//     (0, 0, 0, 0) fallback (of equal entries the first);
//   - without an nv entry, NoData cells get what gdaldem gives the NoData value: with NaN (or no NoData
//     value) the last entry's colour, or transparent black in Exact mode.
// This is the semantics of GDAL >= 3.9.2. Older gdaldem (3.6.2 here) differs in Exact mode, where only a
// value equal to the smallest entry matched (every other value came out transparent black: fixed by GDAL
// PR 10596), and places the NoData neighbours at value (1 -+ DBL_EPSILON) (none for 0) instead of one
// ulp away, which no float32 value can tell apart.
// Deterministic. Throws std::invalid_argument when the relief has percentages and min_max is absent, or
// min_max is not finite with min <= max, and what ColorMap's constructor throws (an invalid
// round_offset).
ColorMap to_color_map(const ColorRelief& relief, ReliefMode mode,
                      std::optional<std::pair<double, double>> min_max, const ReliefOptions& options = {});

}  // namespace trellis::render
