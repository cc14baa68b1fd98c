#include "render/color_relief.hpp"

#include <algorithm>
#include <array>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <system_error>

namespace trellis::render {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// GDAL's named colours (gdaldem_lib.cpp, namedColors, from GRASS 4.1's named_colr.c) as GDAL resolves
// them: static_cast<int>(255.0 * fraction), so 0.75 -> 191, 0.5 -> 127, 0.25 -> 63.
struct NamedColor {
  std::string_view name;
  int r, g, b;
};
constexpr std::array<NamedColor, 16> kNamedColors = {{
    {"white", 255, 255, 255},
    {"black", 0, 0, 0},
    {"red", 255, 0, 0},
    {"green", 0, 255, 0},
    {"blue", 0, 0, 255},
    {"yellow", 255, 255, 0},
    {"magenta", 255, 0, 255},
    {"cyan", 0, 255, 255},
    {"aqua", 0, 191, 191},
    {"grey", 191, 191, 191},
    {"gray", 191, 191, 191},
    {"orange", 255, 127, 0},
    {"brown", 191, 127, 63},
    {"purple", 127, 0, 255},
    {"violet", 127, 0, 255},
    {"indigo", 0, 127, 255},
}};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

struct Field {
  std::string_view text;
  int column;  // 1-based
};

class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(int line, int column, const std::string& why) const {
    throw std::invalid_argument(std::string(source_) + ":" + std::to_string(line) + ":" +
                                std::to_string(column) + ": " + why);
  }

  // A finite number, the whole field (an optional leading '+' as strtod allows).
  double number(const Field& f, int line, std::string_view text) const {
    std::string_view s = text;
    const bool plus = !s.empty() && s.front() == '+';
    if (plus) s.remove_prefix(1);
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || (plus && s.front() == '-') || ec != std::errc() || end != s.data() + s.size() ||
        !std::isfinite(v))
      fail(line, f.column, "'" + std::string(f.text) + "' is not a finite number");
    return v;
  }

  // A colour component: an integer 0-255, the whole field.
  int component(const Field& f, int line) const {
    std::string_view s = f.text;
    if (s.size() > 1 && s.front() == '+' && s[1] != '-') s.remove_prefix(1);
    int v = -1;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 0 || v > 255)
      fail(line, f.column, "'" + std::string(f.text) + "' is not a colour component (an integer 0-255)");
    return v;
  }

  void add(ColorRelief& r, ReliefEntry e, int column) {
    if (e.kind == ReliefEntry::Kind::NoData) {
      if (no_data_line_)
        fail(e.line, column,
             "a second NoData entry (the first is on line " + std::to_string(no_data_line_) + ")");
      no_data_line_ = e.line;
    }
    r.entries.push_back(e);
  }

  // One line of gdaldem's own format (at least 2 fields).
  void plain_line(ColorRelief& r, const std::vector<Field>& f, int line) {
    ReliefEntry e;
    e.line = line;
    const std::string_view v = f[0].text;
    if (iequals(v, "nv")) {
      e.kind = ReliefEntry::Kind::NoData;
    } else if (v.size() > 1 && v.back() == '%') {
      e.kind = ReliefEntry::Kind::Percent;
      e.value = number(f[0], line, v.substr(0, v.size() - 1));
      // GDAL's own test, on the fraction.
      const double pct = e.value / 100.0;
      if (pct < 0.0 || pct > 1.0)
        fail(line, f[0].column, "percentage " + std::string(v) + " is outside 0-100%");
    } else {
      e.value = number(f[0], line, v);
    }
    if (f.size() >= 4) {
      const int a = f.size() >= 5 ? component(f[4], line) : 255;
      e.color = rgba(component(f[1], line), component(f[2], line), component(f[3], line), a);
    } else {
      const auto it = std::find_if(kNamedColors.begin(), kNamedColors.end(),
                                   [&](const NamedColor& c) { return iequals(c.name, f[1].text); });
      if (it == kNamedColors.end()) {
        std::string names;
        for (const NamedColor& c : kNamedColors) names += (names.empty() ? "" : ", ") + std::string(c.name);
        fail(line, f[1].column,
             "unknown colour '" + std::string(f[1].text) +
                 "' (an entry is 'value R G B [A]' or 'value name [A]'"
                 " with a name among " +
                 names + ")");
      }
      e.color = rgba(it->r, it->g, it->b, f.size() >= 3 ? component(f[2], line) : 255);
    }
    add(r, e, f[0].column);
  }

  // One line of GMT's CPT format.
  void cpt_line(ColorRelief& r, const std::vector<Field>& f, int line) {
    if (f.size() == 8) {
      for (int k = 0; k < 2; ++k) {
        ReliefEntry e;
        e.line = line;
        e.value = number(f[4 * k], line, f[4 * k].text);
        e.color = rgba(component(f[4 * k + 1], line), component(f[4 * k + 2], line),
                       component(f[4 * k + 3], line), 255);
        add(r, e, f[4 * k].column);
      }
      return;
    }
    if (f.size() == 4 && (iequals(f[0].text, "B") || iequals(f[0].text, "F"))) return;  // GDAL skips them
    if (f.size() == 4 && iequals(f[0].text, "N")) {
      ReliefEntry e;
      e.kind = ReliefEntry::Kind::NoData;
      e.line = line;
      e.color = rgba(component(f[1], line), component(f[2], line), component(f[3], line), 255);
      add(r, e, f[0].column);
      return;
    }
    fail(line, f[0].column,
         "a GMT CPT line is 'v0 R0 G0 B0 v1 R1 G1 B1' or 'B|F|N R G B' (" + std::to_string(f.size()) +
             " fields)");
  }

  ColorRelief parse(std::string_view text) {
    ColorRelief r;
    r.source_name = std::string(source_);
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte order mark
    bool cpt = false;
    int line = 0;
    std::size_t pos = 0;
    std::vector<Field> fields;
    while (pos < text.size()) {
      ++line;
      std::size_t end = text.find_first_of("\r\n", pos);
      if (end == std::string_view::npos) end = text.size();
      const std::string_view l = text.substr(pos, end - pos);
      pos = end;
      if (pos < text.size())
        pos += (text[pos] == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ? 2 : 1;

      if (l.starts_with('#') && l.find("COLOR_MODEL") != std::string_view::npos) {
        if (l.find("COLOR_MODEL = RGB") == std::string_view::npos)
          fail(line, 1, "only 'COLOR_MODEL = RGB' is supported (as by GDAL)");
        cpt = true;
      }
      fields.clear();
      for (std::size_t i = 0; i < l.size();) {
        const std::size_t b = l.find_first_not_of(" \t,:", i);
        if (b == std::string_view::npos) break;
        std::size_t e = l.find_first_of(" \t,:", b);
        if (e == std::string_view::npos) e = l.size();
        fields.push_back({l.substr(b, e - b), static_cast<int>(b) + 1});
        i = e;
      }
      if (fields.empty() || fields[0].text.front() == '#' || fields[0].text.front() == '/') continue;
      if (cpt) {
        cpt_line(r, fields, line);
      } else if (fields.size() < 2) {
        fail(line, fields[0].column, "an entry is 'value R G B [A]' or 'value name [A]'");
      } else {
        plain_line(r, fields, line);
      }
    }
    if (std::none_of(r.entries.begin(), r.entries.end(),
                     [](const ReliefEntry& e) { return e.kind != ReliefEntry::Kind::NoData; }))
      fail(1, 1, "no colour entries (besides nv)");
    return r;
  }

 private:
  std::string_view source_;
  int no_data_line_ = 0;
};

struct Association {
  double value;
  Rgba color;
};

// gdaldem's GDALColorReliefProcessColors (GDAL >= 3.9.2): sorts the entries stably (NaN first), adds the
// NoData value's neighbours (not in Exact mode) and spreads runs of equal entries.
void process_colors(std::vector<Association>& a, bool has_no_data, double no_data, bool exact) {
  auto less = [](const Association& x, const Association& y) {
    return (std::isnan(x.value) && !std::isnan(y.value)) || x.value < y.value;
  };
  std::stable_sort(a.begin(), a.end(), less);
  std::size_t repeated = 0;  // index of the second entry of a run of equal entries, 0 outside a run
  const std::size_t initial = a.size();
  for (std::size_t i = 1; i < initial; ++i) {
    const Association prev = a[i - 1], cur = a[i];  // copies: push_back may move the entries
    if (!exact && has_no_data && cur.value == no_data) {
      // An entry just below the NoData value with its predecessor's colour (NaN never compares equal).
      const double below = std::nextafter(cur.value, -kInf);
      if (below > prev.value) a.push_back({below, prev.color});
    } else if (!exact && has_no_data && prev.value == no_data) {
      const double above = std::nextafter(prev.value, kInf);
      if (above < cur.value) a.push_back({above, cur.color});
    } else if (repeated == 0 && cur.value == prev.value) {
      repeated = i;
    } else if (repeated != 0 && cur.value != prev.value) {
      // The run a[repeated - 1 .. i - 1] is spread around its value, weighted by the room on either side.
      double total = 0.0, left = 0.0;
      if (repeated >= 2) {
        const double lower = a[repeated - 2].value;
        total = cur.value - lower;
        left = prev.value - lower;
      } else {
        total = cur.value - prev.value;
      }
      const std::size_t count = i - repeated + 1;
      if (total > std::abs(prev.value) * static_cast<double>(count) * DBL_EPSILON) {
        double multiplier = 0.5 - static_cast<double>(count) * left / total;
        for (std::size_t j = repeated - 1; j < i; ++j) {
          a[j].value += (std::abs(prev.value) * multiplier) * DBL_EPSILON;
          multiplier += 1.0;
        }
      }
      repeated = 0;
    }
  }
  if (a.size() != initial) std::stable_sort(a.begin(), a.end(), less);
}

}  // namespace

bool ColorRelief::has_percentages() const {
  return std::any_of(entries.begin(), entries.end(),
                     [](const ReliefEntry& e) { return e.kind == ReliefEntry::Kind::Percent; });
}

ColorRelief parse_color_relief(std::string_view text, std::string_view source_name) {
  return Parser(source_name).parse(text);
}

ColorMap to_color_map(const ColorRelief& relief, ReliefMode mode,
                      std::optional<std::pair<double, double>> min_max, const ReliefOptions& options) {
  if (relief.has_percentages()) {
    if (!min_max)
      throw std::invalid_argument(relief.source_name +
                                  ": percentages need the layer's minimum and maximum, which are not known");
    if (!(std::isfinite(min_max->first) && std::isfinite(min_max->second) &&
          min_max->first <= min_max->second))
      throw std::invalid_argument(relief.source_name +
                                  ": the layer's minimum and maximum must be finite, min <= max");
  }
  const bool has_no_data = options.source_no_data.has_value();
  const double no_data = options.source_no_data.value_or(0.0);
  std::vector<Association> a;
  a.reserve(relief.entries.size() + 2);
  for (const ReliefEntry& e : relief.entries) {
    switch (e.kind) {
      case ReliefEntry::Kind::Value:
        a.push_back({e.value, e.color});
        break;
      case ReliefEntry::Kind::Percent: {
        // gdaldem's GDALColorReliefGetAbsoluteValFromPct, same operations.
        const double pct = e.value / 100.0;
        a.push_back({min_max->first + pct * (min_max->second - min_max->first), e.color});
        break;
      }
      case ReliefEntry::Kind::NoData:
        if (has_no_data) a.push_back({no_data, e.color});  // gdaldem warns and ignores it otherwise
        break;
    }
  }
  const bool exact = mode == ReliefMode::Exact;
  process_colors(a, has_no_data, no_data, exact);

  // A NaN entry (nv with a NaN NoData value) sorts first and colours NaN alone.
  std::optional<Rgba> nan_color;
  std::vector<double> breaks;
  std::vector<Rgba> colors;
  for (const Association& x : a) {
    if (std::isnan(x.value)) {
      if (!nan_color) nan_color = x.color;
      continue;
    }
    // Exact mode: of equal entries only the first can match.
    if (exact && !breaks.empty() && breaks.back() == x.value) continue;
    breaks.push_back(x.value);
    colors.push_back(x.color);
  }
  if (breaks.empty()) throw std::invalid_argument(relief.source_name + ": no colour entries (besides nv)");

  ColorMapOptions o;
  o.float32_values = options.float32_values;
  o.linear_round_offset = options.round_offset;
  switch (mode) {
    case ReliefMode::Interpolate:
      o.interpolation = Interpolation::Linear;
      break;
    case ReliefMode::Nearest:
      o.interpolation = Interpolation::Nearest;
      break;
    case ReliefMode::Exact:
      o.interpolation = Interpolation::Discrete;
      o.boundary = ClassBoundary::Exact;
      o.fallback = 0x00000000;
      break;
  }
  // NoData cells get what gdaldem gives the NoData value itself.
  if (has_no_data && !std::isnan(no_data)) {
    o.no_data = ColorMap(breaks, colors, o).map(no_data);
  } else if (nan_color) {
    o.no_data = *nan_color;
  } else {
    // gdaldem's search puts NaN past the last entry: the last colour, or no match in Exact mode.
    o.no_data = exact ? 0x00000000 : colors.back();
  }
  return ColorMap(std::move(breaks), std::move(colors), o);
}

}  // namespace trellis::render
