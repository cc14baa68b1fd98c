#include "core/cell_type.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>
#include <system_error>

#include "core/error.hpp"

namespace trellis {

namespace {

struct KindInfo {
  CellKind kind;
  const char* base;
};

// Longer bases first so that "uint8" is not taken for "int8" and so on (prefix matching).
constexpr KindInfo kKinds[] = {
    {CellKind::UInt16, "uint16"},   {CellKind::UInt8, "uint8"}, {CellKind::Int16, "int16"},
    {CellKind::Int32, "int32"},     {CellKind::Int8, "int8"},   {CellKind::Float32, "float32"},
    {CellKind::Float64, "float64"},
};

const char* base_name(CellKind k) {
  switch (k) {
    case CellKind::Bool:
      return "bool";
    case CellKind::Int8:
      return "int8";
    case CellKind::UInt8:
      return "uint8";
    case CellKind::Int16:
      return "int16";
    case CellKind::UInt16:
      return "uint16";
    case CellKind::Int32:
      return "int32";
    case CellKind::Float32:
      return "float32";
    case CellKind::Float64:
      return "float64";
  }
  return "?";
}

[[noreturn]] void bad_name(std::string_view name) {
  throw JobError("unknown cell type '" + std::string(name) + "'");
}

// Java Integer.parseInt: optional sign, decimal digits, must fit an int.
std::optional<std::int32_t> parse_java_int(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::size_t i = 0;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return std::nullopt;
  std::int64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
    if (v > 2147483648LL) return std::nullopt;
  }
  if (neg) v = -v;
  if (v > 2147483647LL || v < -2147483648LL) return std::nullopt;
  return static_cast<std::int32_t>(v);
}

// Java Double.parseDouble (decimal forms, NaN, Infinity; optional trailing f/F/d/D; surrounding blanks).
std::optional<double> parse_java_double(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  std::string_view body = s;
  bool neg = false;
  if (body[0] == '+' || body[0] == '-') {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == "NaN") return std::nan("");
  if (body == "Infinity") return neg ? -INFINITY : INFINITY;
  if (!body.empty() && (body.back() == 'f' || body.back() == 'F' || body.back() == 'd' || body.back() == 'D'))
    body.remove_suffix(1);
  if (body.empty()) return std::nullopt;
  // Only digits, one '.', an exponent.
  bool digit = false;
  for (char c : body) {
    if (c >= '0' && c <= '9')
      digit = true;
    else if (c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-')
      return std::nullopt;
  }
  if (!digit) return std::nullopt;
  double v = 0;
  auto r = std::from_chars(body.data(), body.data() + body.size(), v, std::chars_format::general);
  if (r.ec == std::errc::result_out_of_range) {
    // Java gives +-Infinity for overflow and +-0 for underflow; from_chars leaves v untouched.
    v = std::strtod(std::string(body).c_str(), nullptr);
  } else if (r.ec != std::errc() || r.ptr != body.data() + body.size()) {
    return std::nullopt;
  }
  return neg ? -v : v;
}

// JVM d2i: truncation toward zero with saturation, NaN -> 0.
std::int32_t d2i(double v) {
  if (std::isnan(v)) return 0;
  if (v >= 2147483647.0) return 2147483647;
  if (v <= -2147483648.0) return std::numeric_limits<std::int32_t>::min();
  return static_cast<std::int32_t>(v);
}

// Casts an integer NoData value to the kind's storage range (our in-memory representation: uint8/uint16
// hold their unsigned value).
double int_to_kind(CellKind k, std::int32_t n) {
  switch (k) {
    case CellKind::Int8:
      return static_cast<std::int8_t>(static_cast<std::uint8_t>(n & 0xFF));
    case CellKind::UInt8:
      return static_cast<double>(n & 0xFF);
    case CellKind::Int16:
      return static_cast<std::int16_t>(static_cast<std::uint16_t>(n & 0xFFFF));
    case CellKind::UInt16:
      return static_cast<double>(n & 0xFFFF);
    default:
      return static_cast<double>(n);
  }
}

double constant_nodata(CellKind k) {
  switch (k) {
    case CellKind::Int8:
      return -128.0;
    case CellKind::UInt8:
      return 0.0;
    case CellKind::Int16:
      return -32768.0;
    case CellKind::UInt16:
      return 0.0;
    case CellKind::Int32:
      return static_cast<double>(kIntNoData);
    case CellKind::Float32:
    case CellKind::Float64:
      return std::nan("");
    case CellKind::Bool:
      return 0.0;
  }
  return 0.0;
}

}  // namespace

CellType CellType::parse(std::string_view name) {
  if (name == "bool" || name == "boolraw") return CellType{CellKind::Bool, NoDataMode::Raw, 0.0};
  for (const auto& ki : kKinds) {
    std::string_view base = ki.base;
    if (name.substr(0, base.size()) != base) continue;
    std::string_view rest = name.substr(base.size());
    if (rest.empty()) return CellType{ki.kind, NoDataMode::Constant, 0.0};
    if (rest == "raw") return CellType{ki.kind, NoDataMode::Raw, 0.0};
    if (rest.substr(0, 2) != "ud") bad_name(name);
    std::string_view num = rest.substr(2);
    if (ki.kind == CellKind::Float32 || ki.kind == CellKind::Float64) {
      auto v = parse_java_double(num);
      if (!v) bad_name(name);
      if (std::isnan(*v)) return CellType{ki.kind, NoDataMode::Constant, 0.0};
      double nd = ki.kind == CellKind::Float32 ? static_cast<double>(static_cast<float>(*v)) : *v;
      return CellType{ki.kind, NoDataMode::UserDefined, nd};
    }
    auto n = parse_java_int(num);
    if (!n) bad_name(name);
    return CellType{ki.kind, NoDataMode::UserDefined, int_to_kind(ki.kind, *n)};
  }
  bad_name(name);
}

CellType CellType::parse_exact(std::string_view name) {
  const CellType ct = parse(name);
  if (ct.mode != NoDataMode::UserDefined) return ct;
  const std::size_t ud = name.find("ud");
  const std::string_view num = name.substr(ud + 2);
  if (ct.is_float()) {
    const auto v = parse_java_double(num);
    if (v && std::isfinite(*v) && !std::isfinite(ct.user_nodata))
      throw JobError("cell type '" + std::string(name) + "': the NoData value " + std::string(num) +
                     " does not fit " + base_name(ct.kind) + " (it would become " +
                     (ct.user_nodata > 0 ? "+" : "-") + "infinity)");
    return ct;
  }
  const auto v = parse_java_int(num);
  if (v && static_cast<double>(*v) != ct.user_nodata)
    throw JobError("cell type '" + std::string(name) + "': the NoData value " + std::string(num) +
                   " does not fit " + base_name(ct.kind) + " (it would become " +
                   std::to_string(static_cast<std::int64_t>(ct.user_nodata)) +
                   ", and cells of that value would become NoData)");
  return ct;
}

std::string CellType::name() const {
  std::string s = base_name(kind);
  if (kind == CellKind::Bool) return s;
  switch (mode) {
    case NoDataMode::Raw:
      return s + "raw";
    case NoDataMode::Constant:
      return s;
    case NoDataMode::UserDefined:
      if (is_float()) return s + "ud" + java_double_to_string(user_nodata);
      return s + "ud" + std::to_string(static_cast<std::int64_t>(user_nodata));
  }
  return s;
}

int CellType::bits() const {
  switch (kind) {
    case CellKind::Bool:
      return 1;
    case CellKind::Int8:
    case CellKind::UInt8:
      return 8;
    case CellKind::Int16:
    case CellKind::UInt16:
      return 16;
    case CellKind::Int32:
    case CellKind::Float32:
      return 32;
    case CellKind::Float64:
      return 64;
  }
  return 0;
}

int CellType::bytes() const {
  return kind == CellKind::Bool ? 1 : bits() / 8;
}

bool CellType::has_nodata() const {
  return kind != CellKind::Bool && mode != NoDataMode::Raw;
}

double CellType::nodata() const {
  if (mode == NoDataMode::UserDefined) return user_nodata;
  return constant_nodata(kind);
}

bool CellType::is_nodata(double v) const {
  if (kind == CellKind::Bool || mode == NoDataMode::Raw) return false;
  if (std::isnan(v)) return true;
  if (mode == NoDataMode::UserDefined) return v == user_nodata;
  if (is_float()) return false;  // constant float NoData is NaN only
  return v == constant_nodata(kind);
}

CellType CellType::union_with(const CellType& other) const {
  // GeoTrellis DataType.union: more bits wins; on a tie a float beats an int, else `other`.
  if (bits() < other.bits()) return other;
  if (bits() > other.bits()) return *this;
  if (is_float() && !other.is_float()) return *this;
  return other;
}

CellType CellType::with_nodata(std::optional<double> nd) const {
  if (kind == CellKind::Bool) return CellType{CellKind::Bool, NoDataMode::Raw, 0.0};
  if (!nd) return CellType{kind, NoDataMode::Raw, 0.0};
  double v = *nd;
  if (is_float()) {
    if (std::isnan(v)) return CellType{kind, NoDataMode::Constant, 0.0};
    double c = kind == CellKind::Float32 ? static_cast<double>(static_cast<float>(v)) : v;
    return CellType{kind, NoDataMode::UserDefined, c};
  }
  // GeoTrellis: noDataValue.toByte / .toShort / .toInt; the constant value gives the constant type.
  double c = int_to_kind(kind, d2i(v));
  if (c == constant_nodata(kind)) return CellType{kind, NoDataMode::Constant, 0.0};
  return CellType{kind, NoDataMode::UserDefined, c};
}

std::string java_double_to_string(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  // Shortest round-trip digits in scientific form: "d.ddde[+-]xx".
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  auto epos = sci.find('e');
  std::string mant = sci.substr(0, epos);
  int exp = std::stoi(sci.substr(epos + 1));
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  if (digits.size() == 1) {
    // Java prints at least two significant digits (d.d) and then picks the two-digit decimal closest to
    // the value, not the shortest one padded with 0: Double.MIN_VALUE is 4.9E-324, not 5.0E-324.
    r = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific, 1);
    std::string two(buf, r.ptr);
    auto e2 = two.find('e');
    if (std::strtod(two.c_str(), nullptr) == std::fabs(v)) {
      digits = std::string{two[0], two[2]};
      exp = std::stoi(two.substr(e2 + 1));
      if (digits[1] == '0') digits.pop_back();
    }
  }

  std::string out = std::signbit(v) ? "-" : "";
  double a = std::fabs(v);
  if (a >= 1e-3 && a < 1e7) {
    if (exp >= 0) {
      std::size_t int_len = static_cast<std::size_t>(exp) + 1;
      std::string ip = digits.substr(0, std::min(int_len, digits.size()));
      while (ip.size() < int_len) ip += '0';
      std::string fp = digits.size() > int_len ? digits.substr(int_len) : "0";
      out += ip + "." + fp;
    } else {
      out += "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
    }
  } else {
    out +=
        digits.substr(0, 1) + "." + (digits.size() > 1 ? digits.substr(1) : "0") + "E" + std::to_string(exp);
  }
  return out;
}

}  // namespace trellis
