// Avro binary encoding and a schema-driven decoder (avro.hpp).
#include "io/catalog/avro.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <map>

#include "core/error.hpp"

namespace trellis::io::avro {

void Writer::write_long(std::int64_t v) {
  std::uint64_t z = (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
  while (z >= 0x80) {
    buf_.push_back(static_cast<std::byte>((z & 0x7f) | 0x80));
    z >>= 7;
  }
  buf_.push_back(static_cast<std::byte>(z));
}

void Writer::write_float(float v) {
  const std::uint32_t u = std::isnan(v) ? 0x7fc00000u : std::bit_cast<std::uint32_t>(v);
  for (int i = 0; i < 4; ++i) buf_.push_back(static_cast<std::byte>(u >> (8 * i)));
}

void Writer::write_double(double v) {
  const std::uint64_t u = std::isnan(v) ? 0x7ff8000000000000ull : std::bit_cast<std::uint64_t>(v);
  for (int i = 0; i < 8; ++i) buf_.push_back(static_cast<std::byte>(u >> (8 * i)));
}

namespace {

template <class T, class U>
void write_ieee(std::vector<std::byte>& buf, const T* v, std::size_t n, U canonical_nan) {
  const std::size_t at = buf.size();
  buf.resize(at + n * sizeof(T));
  std::byte* out = buf.data() + at;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(out, v, n * sizeof(T));
    for (std::size_t i = 0; i < n; ++i)
      if (std::isnan(v[i])) std::memcpy(out + i * sizeof(T), &canonical_nan, sizeof(T));
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      const U u = std::isnan(v[i]) ? canonical_nan : std::bit_cast<U>(v[i]);
      for (std::size_t k = 0; k < sizeof(T); ++k)
        out[i * sizeof(T) + k] = static_cast<std::byte>(u >> (8 * k));
    }
  }
}

}  // namespace

void Writer::write_floats(const float* v, std::size_t n) {
  write_ieee(buf_, v, n, std::uint32_t{0x7fc00000u});
}

void Writer::write_doubles(const double* v, std::size_t n) {
  write_ieee(buf_, v, n, std::uint64_t{0x7ff8000000000000ull});
}

void Writer::write_bytes(std::span<const std::byte> b) {
  write_long(static_cast<std::int64_t>(b.size()));
  write_raw(b);
}

const Value& Value::field(const std::string& n) const {
  for (std::size_t i = 0; i < field_names.size(); ++i)
    if (field_names[i] == n) return items[i];
  throw IoError("Avro record " + name + " has no field '" + n + "'");
}

bool Value::has_field(const std::string& n) const {
  for (const auto& f : field_names)
    if (f == n) return true;
  return false;
}

std::string Value::simple_name() const {
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

// A schema node. Named types are nodes too; references to them point at the same node.
struct Schema::Node {
  enum class Type { Null, Bool, Int, Long, Float, Double, Bytes, String, Record, Array, Union, Enum, Fixed };
  Type type = Type::Null;
  std::string name;                      // full name of records, enums and fixed
  std::vector<std::string> field_names;  // Record
  std::vector<const Node*> children;     // Record fields, Array items (one), Union branches
  std::size_t size = 0;                  // Fixed
};

namespace {

using Node = Schema::Node;
using Type = Node::Type;

std::string full_name(const std::string& name, const std::string& ns) {
  if (name.find('.') != std::string::npos || ns.empty()) return name;
  return ns + "." + name;
}

struct Parser {
  std::vector<std::unique_ptr<Node>>& nodes;
  std::map<std::string, const Node*> named;

  Node* make(Type t) {
    nodes.push_back(std::make_unique<Node>());
    nodes.back()->type = t;
    return nodes.back().get();
  }

  const Node* primitive(const std::string& s, const std::string& ns) {
    static const std::map<std::string, Type> kPrimitives = {
        {"null", Type::Null},   {"boolean", Type::Bool},  {"int", Type::Int},     {"long", Type::Long},
        {"float", Type::Float}, {"double", Type::Double}, {"bytes", Type::Bytes}, {"string", Type::String}};
    if (auto it = kPrimitives.find(s); it != kPrimitives.end()) return make(it->second);
    // A reference to a named type, by full name or by name in the enclosing namespace.
    if (auto it = named.find(full_name(s, ns)); it != named.end()) return it->second;
    if (auto it = named.find(s); it != named.end()) return it->second;
    throw IoError("Avro schema: unknown type '" + s + "'");
  }

  const Node* parse(const nlohmann::ordered_json& j, const std::string& ns) {
    if (j.is_string()) return primitive(j.get<std::string>(), ns);
    if (j.is_array()) {
      Node* u = make(Type::Union);
      for (const auto& b : j) u->children.push_back(parse(b, ns));
      return u;
    }
    if (!j.is_object() || !j.contains("type"))
      throw IoError("Avro schema: a type is neither a name, a union nor an object");
    const nlohmann::ordered_json& t = j.at("type");
    if (!t.is_string()) return parse(t, ns);
    const std::string type = t.get<std::string>();
    if (type == "record" || type == "error" || type == "enum" || type == "fixed") {
      const std::string own_ns = j.contains("namespace") ? j.at("namespace").get<std::string>() : ns;
      const std::string fname = full_name(j.at("name").get<std::string>(), own_ns);
      const std::string inner_ns =
          fname.rfind('.') == std::string::npos ? "" : fname.substr(0, fname.rfind('.'));
      Node* n = make(type == "enum" ? Type::Enum : type == "fixed" ? Type::Fixed : Type::Record);
      n->name = fname;
      named[fname] = n;  // before the fields: a record may refer to itself
      if (n->type == Type::Fixed) n->size = j.at("size").get<std::size_t>();
      if (n->type == Type::Record)
        for (const auto& f : j.at("fields")) {
          n->field_names.push_back(f.at("name").get<std::string>());
          n->children.push_back(parse(f.at("type"), inner_ns));
        }
      return n;
    }
    if (type == "array") {
      Node* a = make(Type::Array);
      a->children.push_back(parse(j.at("items"), ns));
      return a;
    }
    if (type == "map") throw IoError("Avro schema: maps are not used by GeoTrellis tiles");
    return primitive(type, ns);  // {"type": "int"}
  }
};

struct Reader {
  const std::byte* p;
  const std::byte* end;

  std::uint8_t byte() {
    if (p == end) throw IoError("Avro datum is truncated");
    return static_cast<std::uint8_t>(*p++);
  }
  std::int64_t zigzag() {
    std::uint64_t z = 0;
    for (int shift = 0;; shift += 7) {
      if (shift > 63) throw IoError("Avro varint is too long");
      const std::uint8_t b = byte();
      z |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    return static_cast<std::int64_t>(z >> 1) ^ -static_cast<std::int64_t>(z & 1);
  }
  template <class T, class U>
  T fixed() {
    if (end - p < static_cast<std::ptrdiff_t>(sizeof(U))) throw IoError("Avro datum is truncated");
    U u = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i)
      u |= static_cast<U>(static_cast<std::uint8_t>(p[i])) << (8 * i);
    p += sizeof(U);
    return std::bit_cast<T>(u);
  }
  std::size_t length() {
    const std::int64_t n = zigzag();
    if (n < 0 || n > end - p) throw IoError("Avro length is negative or beyond the datum");
    return static_cast<std::size_t>(n);
  }
  // The next block's item count (0 at the end); a negative count is followed by the block's size.
  std::size_t block() {
    std::int64_t n = zigzag();
    if (n < 0) {
      n = -n;
      (void)zigzag();
    }
    // Every item takes at least one byte (null items are not used by GeoTrellis).
    if (n > end - p) throw IoError("Avro array block is longer than the datum");
    return static_cast<std::size_t>(n);
  }

  Value read(const Node& n) {
    Value v;
    switch (n.type) {
      case Type::Null:
        break;
      case Type::Bool:
        v.kind = Value::Kind::Bool;
        v.b = byte() != 0;
        break;
      case Type::Int:
      case Type::Long:
        v.kind = Value::Kind::Long;
        v.l = zigzag();
        break;
      case Type::Float:
        v.kind = Value::Kind::Float;
        v.d = fixed<float, std::uint32_t>();
        break;
      case Type::Double:
        v.kind = Value::Kind::Double;
        v.d = fixed<double, std::uint64_t>();
        break;
      case Type::Bytes:
      case Type::String:
      case Type::Fixed: {
        const std::size_t len = n.type == Type::Fixed ? n.size : length();
        if (static_cast<std::ptrdiff_t>(len) > end - p) throw IoError("Avro datum is truncated");
        v.kind = n.type == Type::String ? Value::Kind::String : Value::Kind::Bytes;
        v.bytes.assign(p, p + len);
        p += len;
        break;
      }
      case Type::Enum:
        v.kind = Value::Kind::Long;
        v.l = zigzag();
        v.name = n.name;
        break;
      case Type::Record:
        v.kind = Value::Kind::Record;
        v.name = n.name;
        v.field_names = n.field_names;
        v.items.reserve(n.children.size());
        for (const Node* c : n.children) v.items.push_back(read(*c));
        break;
      case Type::Union: {
        const std::int64_t branch = zigzag();
        if (branch < 0 || branch >= static_cast<std::int64_t>(n.children.size()))
          throw IoError("Avro union branch " + std::to_string(branch) + " is out of range");
        return read(*n.children[static_cast<std::size_t>(branch)]);
      }
      case Type::Array:
        read_array(*n.children[0], v);
        break;
    }
    return v;
  }

  void read_array(const Node& item, Value& v) {
    const Type t = item.type;
    v.kind = (t == Type::Int || t == Type::Long) ? Value::Kind::IntArray
             : t == Type::Float                  ? Value::Kind::FloatArray
             : t == Type::Double                 ? Value::Kind::DoubleArray
                                                 : Value::Kind::Array;
    for (std::size_t n; (n = block()) != 0;) {
      switch (v.kind) {
        case Value::Kind::IntArray:
          v.ints.reserve(v.ints.size() + n);
          for (std::size_t i = 0; i < n; ++i) v.ints.push_back(zigzag());
          break;
        case Value::Kind::FloatArray:
          v.floats.reserve(v.floats.size() + n);
          for (std::size_t i = 0; i < n; ++i) v.floats.push_back(fixed<float, std::uint32_t>());
          break;
        case Value::Kind::DoubleArray:
          v.doubles.reserve(v.doubles.size() + n);
          for (std::size_t i = 0; i < n; ++i) v.doubles.push_back(fixed<double, std::uint64_t>());
          break;
        default:
          for (std::size_t i = 0; i < n; ++i) v.items.push_back(read(item));
      }
    }
  }
};

}  // namespace

Schema::Schema(const nlohmann::ordered_json& schema) {
  Parser parser{nodes_, {}};
  try {
    root_ = parser.parse(schema, "");
  } catch (const nlohmann::ordered_json::exception& e) {
    throw IoError(std::string("Avro schema: ") + e.what());
  }
}

Schema::~Schema() = default;
Schema::Schema(Schema&&) noexcept = default;
Schema& Schema::operator=(Schema&&) noexcept = default;

Value Schema::decode(std::span<const std::byte> bytes) const {
  Reader r{bytes.data(), bytes.data() + bytes.size()};
  Value v = r.read(*root_);
  if (r.p != r.end)
    throw IoError("Avro datum has " + std::to_string(r.end - r.p) + " byte(s) beyond its schema's value");
  return v;
}

}  // namespace trellis::io::avro
