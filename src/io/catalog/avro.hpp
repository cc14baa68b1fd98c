#pragma once
// Avro binary encoding (the Avro specification's "binary encoding": zigzag varints, little-endian
// floats, blocked arrays, unions as a branch index) for GeoTrellis tile files (catalog spec 3.4), and a
// decoder driven by a writer schema, so that files written with any GeoTrellis version's schema
// (8, 16 or 17 tile branches, spatial or spacetime keys) decode by record and field names.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

namespace trellis::io::avro {

// Appends Avro binary values to a byte buffer. Not thread-safe; deterministic.
class Writer {
 public:
  void write_long(std::int64_t v);  // int and long share the zigzag varint encoding
  void write_int(std::int32_t v) { write_long(v); }
  void write_bool(bool v) { buf_.push_back(std::byte{v ? std::uint8_t{1} : std::uint8_t{0}}); }
  void write_float(float v);    // NaN written as the JVM's canonical NaN (0x7fc00000)
  void write_double(double v);  // NaN written as 0x7ff8000000000000
  void write_bytes(std::span<const std::byte> b);
  // n floats or doubles as write_float / write_double would write them one by one (little-endian IEEE,
  // canonical NaN), copied in one go on a little-endian host.
  void write_floats(const float* v, std::size_t n);
  void write_doubles(const double* v, std::size_t n);
  void write_raw(std::span<const std::byte> b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
  void reserve(std::size_t n) { buf_.reserve(buf_.size() + n); }
  std::vector<std::byte>& bytes() { return buf_; }

 private:
  std::vector<std::byte> buf_;
};

// A decoded Avro value. Arrays of int, long, float or double are kept as typed vectors (a tile's cells
// decode without one value per cell); other arrays as `items`.
struct Value {
  enum class Kind {
    Null,
    Bool,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Record,
    Array,
    IntArray,
    FloatArray,
    DoubleArray
  };
  Kind kind = Kind::Null;
  bool b = false;
  std::int64_t l = 0;  // int and long
  double d = 0;        // float and double
  std::string name;    // a record's full name ("geotrellis.raster.IntArrayTile")
  std::vector<std::byte> bytes;
  std::vector<std::string> field_names;  // a record's fields, in schema order
  std::vector<Value> items;              // a record's field values, or an array's items
  std::vector<std::int64_t> ints;        // IntArray (int and long items)
  std::vector<float> floats;             // FloatArray
  std::vector<double> doubles;           // DoubleArray

  // A record's field by name (throws IoError when absent).
  const Value& field(const std::string& n) const;
  bool has_field(const std::string& n) const;
  // The simple name of a record ("IntArrayTile").
  std::string simple_name() const;
};

// A parsed writer schema. Parsing throws IoError for a schema it cannot read (not JSON, unknown types,
// unresolved names). Decoding is const and thread-safe.
class Schema {
 public:
  explicit Schema(const nlohmann::ordered_json& schema);
  ~Schema();
  Schema(Schema&&) noexcept;
  Schema& operator=(Schema&&) noexcept;

  // Decodes one datum that fills `bytes` exactly. Throws IoError on truncated or trailing bytes, a
  // union branch out of range, or negative lengths.
  Value decode(std::span<const std::byte> bytes) const;

  struct Node;

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
  const Node* root_ = nullptr;
};

}  // namespace trellis::io::avro
