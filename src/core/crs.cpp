#include "core/crs.hpp"

#include <proj.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/error.hpp"
#include "core/text.hpp"

namespace trellis {

namespace {

// A PROJ context owned by one object (PROJ contexts must not be shared between threads).
struct Ctx {
  PJ_CONTEXT* ctx;
  Ctx() : ctx(proj_context_create()) { proj_log_level(ctx, PJ_LOG_NONE); }
  ~Ctx() { proj_context_destroy(ctx); }
  Ctx(const Ctx&) = delete;
  Ctx& operator=(const Ctx&) = delete;
};

struct PjPtr {
  PJ* p = nullptr;
  PjPtr() = default;
  explicit PjPtr(PJ* q) : p(q) {}
  ~PjPtr() {
    if (p) proj_destroy(p);
  }
  PjPtr(const PjPtr&) = delete;
  PjPtr& operator=(const PjPtr&) = delete;
  PjPtr(PjPtr&& o) noexcept : p(o.p) { o.p = nullptr; }
  PjPtr& operator=(PjPtr&& o) noexcept {
    std::swap(p, o.p);
    return *this;
  }
  explicit operator bool() const { return p != nullptr; }
};

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 9 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_proj_string(const std::string& s) {
  return !s.empty() && s[0] == '+';
}

// proj strings without +type=crs are operations for PROJ, not CRSs.
std::string proj_input(const std::string& def) {
  if (is_proj_string(def) && def.find("+type=crs") == std::string::npos) return def + " +type=crs";
  return def;
}

PjPtr create_crs(PJ_CONTEXT* ctx, const std::string& def) {
  PjPtr p(proj_create(ctx, proj_input(def).c_str()));
  if (!p) return p;
  if (!proj_is_crs(p.p)) return PjPtr();
  return p;
}

// The proj4 strings GeoTrellis records (proj4j's bundled EPSG file) for the CRSs trellis meets most.
struct KnownProj4 {
  int code;
  const char* proj4;  // without the trailing space
};
constexpr KnownProj4 kKnownProj4[] = {
    {4326, "+proj=longlat +datum=WGS84 +no_defs"},
    {3857,
     "+proj=merc +a=6378137 +b=6378137 +lat_ts=0.0 +lon_0=0.0 +x_0=0.0 +y_0=0 +k=1.0 +units=m "
     "+nadgrids=@null "
     "+wktext +no_defs"},
    {4324, "+proj=longlat +ellps=WGS72 +towgs84=0,0,1.9,0,0,0.814,-0.38 +no_defs"},
};

// Collapses runs of blanks and drops +type=crs, for comparing proj strings.
std::string normalize_proj(const std::string& s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::size_t b = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > b) {
      std::string tok = s.substr(b, i - b);
      if (tok == "+type=crs") continue;
      if (!out.empty()) out += ' ';
      out += tok;
    }
  }
  return out;
}

std::optional<int> identify_epsg(PJ_CONTEXT* ctx, PJ* crs) {
  const char* auth = proj_get_id_auth_name(crs, 0);
  const char* code = proj_get_id_code(crs, 0);
  if (auth && code && std::strcmp(auth, "EPSG") == 0 && all_digits(code)) return std::stoi(code);
  int* conf = nullptr;
  PJ_OBJ_LIST* list = proj_identify(ctx, crs, "EPSG", nullptr, &conf);
  std::optional<int> result;
  if (list) {
    int n = proj_list_get_count(list);
    // Accept the best match when it is confident (>= 70: equivalent but for axis order or naming) and
    // no other candidate is as confident.
    if (n > 0 && conf[0] >= 70 && (n == 1 || conf[1] < conf[0])) {
      PjPtr best(proj_list_get(ctx, list, 0));
      const char* c = best ? proj_get_id_code(best.p, 0) : nullptr;
      if (c && all_digits(c)) result = std::stoi(c);
    }
    proj_list_destroy(list);
  }
  if (conf) proj_int_list_destroy(conf);
  return result;
}

bool pj_is_geographic(PJ_CONTEXT* ctx, PJ* crs) {
  PJ_TYPE t = proj_get_type(crs);
  if (t == PJ_TYPE_BOUND_CRS) {
    PjPtr base(proj_get_source_crs(ctx, crs));
    if (base) return pj_is_geographic(ctx, base.p);
  }
  return t == PJ_TYPE_GEOGRAPHIC_2D_CRS || t == PJ_TYPE_GEOGRAPHIC_3D_CRS || t == PJ_TYPE_GEOGRAPHIC_CRS;
}

[[noreturn]] void unknown(const std::string& text) {
  throw JobError("unknown CRS '" + text + "'");
}

// Rasters are placed on a horizontal plane: a geographic or projected CRS (a compound CRS's horizontal
// part; a bound CRS's base). Vertical, geocentric and temporal CRSs have no such plane.
void require_horizontal(PJ_CONTEXT* ctx, PJ* crs, const std::string& text) {
  PJ_TYPE t = proj_get_type(crs);
  PjPtr base;
  if (t == PJ_TYPE_BOUND_CRS) {
    base.p = proj_get_source_crs(ctx, crs);
    if (base.p) t = proj_get_type(base.p);
  }
  const char* what = nullptr;
  switch (t) {
    case PJ_TYPE_VERTICAL_CRS:
      what = "a vertical CRS (heights)";
      break;
    case PJ_TYPE_GEOCENTRIC_CRS:
      what = "a geocentric CRS (X, Y, Z from the Earth's centre)";
      break;
    case PJ_TYPE_TEMPORAL_CRS:
      what = "a temporal CRS";
      break;
    default:
      return;
  }
  std::string shown = text.size() > 60 ? text.substr(0, 57) + "..." : text;
  throw JobError("CRS '" + shown + "' is " + what +
                 ", not a horizontal one: rasters need a geographic or projected CRS");
}

}  // namespace

// Builds a Crs from a definition PROJ accepts (the Crs class keeps only the definition text and the code).
struct CrsBuilder {
  static Crs make(std::string def, std::optional<int> epsg) {
    Crs c;
    c.definition_ = std::move(def);
    c.epsg_ = epsg;
    return c;
  }
};

namespace {

Crs build(const std::string& text, const std::string& def, std::optional<int> code_hint) {
  Ctx ctx;
  PjPtr crs = create_crs(ctx.ctx, def);
  if (!crs) unknown(text);
  require_horizontal(ctx.ctx, crs.p, text);
  if (code_hint) return CrsBuilder::make("EPSG:" + std::to_string(*code_hint), code_hint);
  std::optional<int> code;
  if (!code && is_proj_string(def)) {
    std::string n = normalize_proj(def);
    for (const auto& k : kKnownProj4)
      if (n == k.proj4) code = k.code;
  }
  if (!code) code = identify_epsg(ctx.ctx, crs.p);
  if (code) {
    // Check that PROJ knows the code (identification may report one of a deprecated entry).
    PjPtr byc = create_crs(ctx.ctx, "EPSG:" + std::to_string(*code));
    if (byc) return CrsBuilder::make("EPSG:" + std::to_string(*code), code);
  }
  return CrsBuilder::make(def, std::nullopt);
}

}  // namespace

Crs Crs::from_user(const std::string& text) {
  std::string t(trim(text));
  if (t.empty()) unknown(text);
  if (all_digits(t)) return from_epsg(std::stoi(t));
  if (t.size() > 5) {
    std::string head = t.substr(0, 5);
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
    if (head == "epsg:") {
      std::string num(trim(t.substr(5)));
      if (!all_digits(num)) unknown(text);
      int code = std::stoi(num);
      if (code <= 0) unknown(text);
      return build(text, "EPSG:" + std::to_string(code), code);
    }
  }
  return build(text, t, std::nullopt);
}

Crs Crs::from_epsg(int code) {
  if (code <= 0) unknown(std::to_string(code));
  return build("EPSG:" + std::to_string(code), "EPSG:" + std::to_string(code), code);
}

Crs Crs::from_wkt(const std::string& wkt) {
  return build(wkt, std::string(trim(wkt)), std::nullopt);
}

std::string Crs::wkt() const {
  if (!valid()) return {};
  Ctx ctx;
  PjPtr crs = create_crs(ctx.ctx, definition_);
  if (!crs) return {};
  const char* w = proj_as_wkt(ctx.ctx, crs.p, PJ_WKT2_2019, nullptr);
  return w ? std::string(w) : std::string();
}

std::string Crs::proj4() const {
  if (!valid()) return {};
  if (epsg_) {
    for (const auto& k : kKnownProj4)
      if (k.code == *epsg_) return std::string(k.proj4) + " ";
  }
  Ctx ctx;
  PjPtr crs = create_crs(ctx.ctx, definition_);
  if (!crs) return {};
  const char* s = proj_as_proj_string(ctx.ctx, crs.p, PJ_PROJ_4, nullptr);
  if (!s) {
    // No proj string for this CRS: the user's own proj string, if that is what we hold.
    if (is_proj_string(definition_)) return normalize_proj(definition_) + " ";
    return {};
  }
  return normalize_proj(s) + " ";
}

std::string Crs::label() const {
  if (!valid()) return "(no CRS)";
  if (epsg_) return "EPSG:" + std::to_string(*epsg_);
  Ctx ctx;
  PjPtr crs = create_crs(ctx.ctx, definition_);
  if (crs) {
    const char* name = proj_get_name(crs.p);
    if (name && *name && std::string(name) != "unknown" && std::string(name) != "unnamed") return name;
  }
  std::string d(trim(definition_));
  for (auto& c : d)
    if (c == '\n' || c == '\r') c = ' ';
  return d.size() > 60 ? d.substr(0, 57) + "..." : d;
}

bool Crs::is_geographic() const {
  if (!valid()) return false;
  if (epsg_ == 4326) return true;
  Ctx ctx;
  PjPtr crs = create_crs(ctx.ctx, definition_);
  return crs && pj_is_geographic(ctx.ctx, crs.p);
}

bool Crs::equivalent(const Crs& o) const {
  if (!valid() || !o.valid()) return valid() == o.valid();
  if (epsg_ && o.epsg_) return *epsg_ == *o.epsg_;
  if (definition_ == o.definition_) return true;
  Ctx ctx;
  PjPtr a = create_crs(ctx.ctx, definition_);
  PjPtr b = create_crs(ctx.ctx, o.definition_);
  if (!a || !b) return false;
  if (proj_is_equivalent_to_with_ctx(ctx.ctx, a.p, b.p, PJ_COMP_EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS))
    return true;
  // Same proj4 parameters: the same CRS for GeoTrellis (e.g. an EPSG CRS and its own proj4 string, which
  // loses the datum name).
  std::string pa = proj4(), pb = o.proj4();
  return !pa.empty() && pa == pb;
}

// ---------------------------------------------------------------------------------------------------
// Transform

struct Transform::Impl {
  PJ_CONTEXT* ctx = nullptr;
  PJ* pj = nullptr;
  bool identity = false;
  ~Impl() {
    if (pj) proj_destroy(pj);
    if (ctx) proj_context_destroy(ctx);
  }
};

Transform::Transform(const Crs& from, const Crs& to) : impl_(std::make_unique<Impl>()) {
  if (!from.valid() || !to.valid()) throw JobError("cannot transform between undefined CRSs");
  impl_->ctx = proj_context_create();
  proj_log_level(impl_->ctx, PJ_LOG_NONE);
  if (from.epsg() && to.epsg() && *from.epsg() == *to.epsg()) {
    impl_->identity = true;
    return;
  }
  PjPtr a = create_crs(impl_->ctx, from.definition());
  PjPtr b = create_crs(impl_->ctx, to.definition());
  if (!a) unknown(from.definition());
  if (!b) unknown(to.definition());
  PjPtr op(proj_create_crs_to_crs_from_pj(impl_->ctx, a.p, b.p, nullptr, nullptr));
  if (!op) throw JobError("no transformation from '" + from.definition() + "' to '" + to.definition() + "'");
  impl_->pj = proj_normalize_for_visualization(impl_->ctx, op.p);
  if (!impl_->pj)
    throw JobError("no transformation from '" + from.definition() + "' to '" + to.definition() + "'");
}

Transform::~Transform() = default;
Transform::Transform(Transform&&) noexcept = default;
Transform& Transform::operator=(Transform&&) noexcept = default;

bool Transform::apply(double& x, double& y) const {
  if (impl_->identity) return std::isfinite(x) && std::isfinite(y);
  PJ_COORD c = proj_coord(x, y, 0, 0);
  PJ_COORD r = proj_trans(impl_->pj, PJ_FWD, c);
  if (!std::isfinite(r.xy.x) || !std::isfinite(r.xy.y) || r.xy.x == HUGE_VAL || r.xy.y == HUGE_VAL) {
    x = y = std::numeric_limits<double>::quiet_NaN();
    return false;
  }
  x = r.xy.x;
  y = r.xy.y;
  return true;
}

void Transform::apply(std::vector<double>& xs, std::vector<double>& ys) const {
  std::size_t n = std::min(xs.size(), ys.size());
  if (impl_->identity || n == 0) return;
  proj_trans_generic(impl_->pj, PJ_FWD, xs.data(), sizeof(double), n, ys.data(), sizeof(double), n, nullptr,
                     0, 0, nullptr, 0, 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) {
      xs[i] = ys[i] = std::numeric_limits<double>::quiet_NaN();
    }
  }
}

Extent Transform::apply(const Extent& e, int densify) const {
  if (impl_->identity) return e;
  if (densify < 0) densify = 0;
  double xmin = 0, ymin = 0, xmax = 0, ymax = 0;
  int ok = proj_trans_bounds(impl_->ctx, impl_->pj, PJ_FWD, e.xmin, e.ymin, e.xmax, e.ymax, &xmin, &ymin,
                             &xmax, &ymax, densify);
  if (ok && std::isfinite(xmin) && std::isfinite(ymin) && std::isfinite(xmax) && std::isfinite(ymax) &&
      xmin <= xmax && ymin <= ymax)
    return {xmin, ymin, xmax, ymax};
  // Fallback: envelope of the transformed densified boundary, ignoring points that fail.
  std::vector<double> xs, ys;
  int steps = densify + 1;
  for (int i = 0; i <= steps; ++i) {
    double t = static_cast<double>(i) / steps;
    double x = e.xmin + t * e.width(), y = e.ymin + t * e.height();
    xs.insert(xs.end(), {x, x, e.xmin, e.xmax});
    ys.insert(ys.end(), {e.ymin, e.ymax, y, y});
  }
  apply(xs, ys);
  double inf = std::numeric_limits<double>::infinity();
  Extent r{inf, inf, -inf, -inf};
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (std::isnan(xs[i]) || std::isnan(ys[i])) continue;
    r.xmin = std::min(r.xmin, xs[i]);
    r.xmax = std::max(r.xmax, xs[i]);
    r.ymin = std::min(r.ymin, ys[i]);
    r.ymax = std::max(r.ymax, ys[i]);
  }
  if (!(r.xmin <= r.xmax)) {
    double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan, nan, nan};
  }
  return r;
}

}  // namespace trellis
