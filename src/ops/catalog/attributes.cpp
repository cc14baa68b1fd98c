// write_attribute and read_attribute: a catalog layer's attributes as JSON, GeoPySpark's
// AttributeStore (`store.layer(name, zoom).write(attr, value)` / `.read(attr)`), on file and S3
// catalogs. Rank 0 does the I/O (an attribute is one small file); read_attribute gives every rank the
// same value.
#include <fstream>
#include <sstream>

#include "io/catalog/catalog.hpp"
#include "job/op.hpp"
#include "job/types/json_value.hpp"
#include "mpi/collectives.hpp"
#include "mpi/failure.hpp"
#include "mpi/runtime.hpp"
#include "ops/common/output.hpp"
#include "ops/registry.hpp"

namespace trellis::ops {

namespace {

namespace cat = io::catalog;

// The attributes GeoTrellis itself keeps for a layer (the metadata attribute holds them all since
// GeoTrellis 1.2); user attributes may not take their names.
bool reserved(const std::string& name) {
  return name == "metadata" || name == "header" || name == "keyIndex" || name == "schema";
}

// [A-Za-z0-9-_.]+ without "__" (GeoTrellis' S3 attribute names split on it).
bool valid_attribute_name(const std::string& name) {
  return !name.empty() && name.find("__") == std::string::npos &&
         std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; });
}

// The catalog at `uri`: file or S3 (an HDF5 store keeps no attributes of its own). Not collective.
template <class A, class M>
cat::Catalog catalog_of(const std::string& uri, M A::*member, const job::ArgsAccess& ctx) {
  const cat::CatalogUri u = cat::parse_catalog_uri(uri);
  if (u.scheme == cat::CatalogUri::Scheme::Hdf5)
    throw ctx.param_error(member,
                          "attributes are kept by file and S3 catalogs; an HDF5 store holds only its "
                          "layers' metadata");
  return cat::Catalog(u);
}

// ---------------------------------------------------------------------------------------------------
// write_attribute

struct WriteAttributeArgs {
  job::CatalogInput uri;
  std::string layer_name;
  std::int64_t layer_zoom = 0;
  std::string attribute;
  std::optional<job::JsonValue> value;
  std::optional<job::InputPaths> value_file;
};

void declare_write(job::Schema<WriteAttributeArgs>& s) {
  using A = WriteAttributeArgs;
  s.add("uri", &A::uri, "the catalog: file:///path or a path (a folder), or s3://bucket/prefix").required();
  s.add("layer_name", &A::layer_name, "the layer the attribute belongs to").required().alias("name");
  s.add("layer_zoom", &A::layer_zoom, "its zoom (0 for floating layouts)").range(0, 64).alias("zoom");
  s.add("attribute", &A::attribute, "the attribute's name (letters, digits, '-', '_', '.')").required();
  s.add("value", &A::value, "the value: any YAML (a map, a list, a number, a string)");
  s.add("value_file", &A::value_file, "a JSON file holding the value (e.g. an earlier step's `output`)");
  s.check([](const A& a, const job::Checker<A>& c) {
    if (a.value.has_value() == a.value_file.has_value())
      c.fail(&A::attribute, "give exactly one of `value` and `value_file`");
    if (a.value_file && a.value_file->paths.size() != 1)
      c.fail(&A::value_file, "one JSON file, not a list or a pattern");
    if (!valid_attribute_name(a.attribute))
      c.fail(&A::attribute, "'" + a.attribute +
                                "' is not an attribute name: use letters, digits, '-', '_' "
                                "and '.', without '__'");
    if (reserved(a.attribute))
      c.fail(&A::attribute,
             "'" + a.attribute + "' is GeoTrellis' own attribute of the layer; choose another name");
  });
}

// The value to write, read from value_file when given. Throws JobError when the file is not JSON.
nlohmann::json value_of(const WriteAttributeArgs& a) {
  if (a.value) return a.value->value;
  const std::string& path = a.value_file->paths.front();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw JobError("'" + path + "' is not JSON: " + e.what());
  }
}

job::Shape plan_write(job::PlanContext& ctx, const WriteAttributeArgs& a) {
  const cat::Catalog catalog = catalog_of(a.uri.uri, &WriteAttributeArgs::uri, ctx);
  if (!cat::valid_layer_name(a.layer_name,
                             catalog.s3() ? cat::CatalogUri::Scheme::S3 : cat::CatalogUri::Scheme::File))
    throw ctx.param_error(&WriteAttributeArgs::layer_name,
                          "'" + a.layer_name + "' is not a layer name GeoTrellis can list");
  return {};
}

job::StepValue run_write(job::StepContext& ctx, const WriteAttributeArgs& a) {
  const cat::Catalog catalog = catalog_of(a.uri.uri, &WriteAttributeArgs::uri, ctx);
  const cat::LayerId id{a.layer_name, static_cast<int>(a.layer_zoom)};
  if (mpi::Runtime::rank() == 0) {
    catalog.write_attribute(id, a.attribute, cat::attribute_text(id.name, id.zoom, value_of(a)));
    ctx.log.info("wrote attribute '" + a.attribute + "' of layer '" + id.name + "' zoom " +
                 std::to_string(id.zoom) + " to " + catalog.root());
  }
  mpi::check_in();  // rank 0's failure reaches every rank
  return job::Nothing{};
}

const OpRegistration kWriteAttribute{job::make_op<WriteAttributeArgs>(
    {.name = "write_attribute",
     .group = "io",
     .help = "write a JSON attribute of a catalog layer (GeoPySpark's AttributeStore.write)",
     .doc = R"md(## Semantics

GeoPySpark's `AttributeStore(uri).layer(name, zoom).write(attribute, value)`: the value is stored as
GeoTrellis stores attributes, so that GeoTrellis' and GeoPySpark's attribute stores read it back:
`[{"name": <layer>, "zoom": <zoom>}, <value>]` in `attributes/<layer>__.__<zoom>__.__<attribute>.json`
(file catalogs) or `_attributes/<attribute>__<layer>__<zoom>.json` (S3 catalogs), written atomically
(a rename, or one upload). An existing attribute of that name is replaced.

- `value` is any YAML value, as JSON; `value_file` a JSON file instead (for example the `output` of
  an earlier step such as `get_histogram`, which the job then writes first).
- The catalog must exist (or be written by an earlier step); the layer need not, as in GeoTrellis.
- GeoTrellis' own attribute names (`metadata`, `header`, `keyIndex`, `schema`) are refused, as are
  names with `__`. `delete_layer` removes a layer's attributes with it.

## Example

```yaml
- op: write_attribute
  uri: out/catalog
  layer_name: ndvi
  layer_zoom: 4
  attribute: provenance
  value: {source: MODIS, month: 2017-02}
```
)md",
     .inputs = job::Inputs::None,
     .produces = job::ValueKind::None},
    declare_write, run_write, plan_write)};

// ---------------------------------------------------------------------------------------------------
// read_attribute

struct ReadAttributeArgs {
  job::CatalogInput uri;
  std::string layer_name;
  std::int64_t layer_zoom = 0;
  std::optional<std::string> attribute;
  std::optional<job::OutputPath> output;
};

void declare_read(job::Schema<ReadAttributeArgs>& s) {
  using A = ReadAttributeArgs;
  s.add("uri", &A::uri, "the catalog: file:///path or a path (a folder), or s3://bucket/prefix").required();
  s.add("layer_name", &A::layer_name, "the layer").required().alias("name");
  s.add("layer_zoom", &A::layer_zoom, "its zoom (0 for floating layouts)").range(0, 64).alias("zoom");
  s.add("attribute", &A::attribute, "the attribute to read (default: every attribute of the layer)");
  declare_output(s, &A::output);
}

// The result: the attribute's value, or {name: value} for every attribute. Rank 0 reads; every rank
// gets it. Collective. Throws JobError (at `attribute`) when there is no such attribute.
nlohmann::json read_values(const ReadAttributeArgs& a, const job::ArgsAccess& ctx) {
  const cat::Catalog catalog = catalog_of(a.uri.uri, &ReadAttributeArgs::uri, ctx);
  const cat::LayerId id{a.layer_name, static_cast<int>(a.layer_zoom)};
  std::string text;
  if (mpi::Runtime::rank() == 0) {
    const std::vector<std::string> names = catalog.attribute_names(id);
    nlohmann::json out = nlohmann::json::object();
    for (const std::string& n : names) {
      if (a.attribute && n != *a.attribute) continue;
      const auto t = catalog.read_attribute(id, n);
      if (!t) continue;  // deleted meanwhile
      out[n] = cat::attribute_value(*t);
    }
    if (a.attribute && !out.contains(*a.attribute)) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      throw ctx.param_error(&ReadAttributeArgs::attribute,
                            "layer '" + id.name + "' zoom " + std::to_string(id.zoom) + " of catalog '" +
                                catalog.root() + "' has no attribute '" + *a.attribute +
                                "' (it has: " + (known.empty() ? "none" : known) + ")");
    }
    if (!a.attribute && out.empty())
      throw ctx.param_error(&ReadAttributeArgs::layer_name, "layer '" + id.name + "' zoom " +
                                                                std::to_string(id.zoom) + " of catalog '" +
                                                                catalog.root() + "' has no attribute");
    text = (a.attribute ? out[*a.attribute] : out).dump();
  }
  mpi::broadcast_string(text, 0);  // checks in first: rank 0's refusal reaches every rank
  return nlohmann::json::parse(text);
}

job::Shape plan_read(job::PlanContext& ctx, const ReadAttributeArgs& a) {
  (void)catalog_of(a.uri.uri, &ReadAttributeArgs::uri, ctx);
  job::Shape s;
  s.kind = job::ValueKind::Result;
  return s;
}

job::StepValue run_read(job::StepContext& ctx, const ReadAttributeArgs& a) {
  job::Result r;
  r.data = read_values(a, ctx);
  return r;
}

const OpRegistration kReadAttribute{job::make_op<ReadAttributeArgs>(
    {.name = "read_attribute",
     .group = "io",
     .help = "read a catalog layer's JSON attribute(s) (GeoPySpark's AttributeStore.read)",
     .doc = R"md(## Semantics

GeoPySpark's `AttributeStore(uri).layer(name, zoom).read(attribute)`: the value of one attribute of a
layer (the second member of GeoTrellis' `[{"name", "zoom"}, value]` envelope), from a file or S3
catalog, whoever wrote it (trellis, GeoTrellis, GeoPySpark). Without `attribute`, every attribute of
the layer as `{name: value}`, `metadata` (header, layer metadata, key index and schema) included.

The result is logged and written to `output` when given. A missing attribute is refused with status 2
at `attribute`, naming the attributes the layer has.

## Example

```yaml
- op: read_attribute
  uri: out/catalog
  layer_name: ndvi
  layer_zoom: 4
  attribute: provenance
  output: out/provenance.json
```
)md",
     .inputs = job::Inputs::None,
     .produces = job::ValueKind::Result},
    declare_read, run_read, plan_read)};

}  // namespace

}  // namespace trellis::ops
