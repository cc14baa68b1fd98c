// GeoTrellis layer attributes (attributes.hpp).
#include "io/catalog/attributes.hpp"

#include "core/error.hpp"

namespace trellis::io::catalog {

using ojson = nlohmann::ordered_json;

namespace {

ojson extent_json(const Extent& e) {
  return ojson{{"xmin", e.xmin}, {"ymin", e.ymin}, {"xmax", e.xmax}, {"ymax", e.ymax}};
}

ojson key_json(const SpaceTimeKey& k, bool spacetime) {
  ojson j{{"col", k.col}, {"row", k.row}};
  if (spacetime) j["instant"] = k.instant;
  return j;
}

ojson bounds_json(const KeyBounds& b, bool spacetime) {
  return ojson{{"minKey", key_json(b.min, spacetime)}, {"maxKey", key_json(b.max, spacetime)}};
}

// Readers look members up by name (spec 2.2): any order, numbers in any JSON notation.
template <class J>
const J& member(const J& j, const char* name, const std::string& where) {
  if (!j.is_object() || !j.contains(name)) throw IoError(where + " has no '" + name + "'");
  return j.at(name);
}

template <class J>
double number(const J& j, const char* name, const std::string& where) {
  const auto& v = member(j, name, where);
  if (!v.is_number()) throw IoError(where + "." + name + " is not a number");
  return v.template get<double>();
}

template <class J>
std::int64_t integer(const J& j, const char* name, const std::string& where) {
  const auto& v = member(j, name, where);
  if (!v.is_number_integer()) throw IoError(where + "." + name + " is not an integer");
  return v.template get<std::int64_t>();
}

template <class J>
Extent parse_extent(const J& j, const std::string& where) {
  return {number(j, "xmin", where), number(j, "ymin", where), number(j, "xmax", where),
          number(j, "ymax", where)};
}

template <class J>
SpaceTimeKey parse_key(const J& j, const std::string& where) {
  SpaceTimeKey k{static_cast<std::int32_t>(integer(j, "col", where)),
                 static_cast<std::int32_t>(integer(j, "row", where)), 0};
  if (j.contains("instant")) k.instant = integer(j, "instant", where);
  return k;
}

template <class J>
KeyBounds parse_bounds(const J& j, const std::string& where) {
  return {parse_key(member(j, "minKey", where), where + ".minKey"),
          parse_key(member(j, "maxKey", where), where + ".maxKey")};
}

}  // namespace

std::uint64_t KeyIndex::to_index(const SpaceTimeKey& k) const {
  switch (kind) {
    case IndexKind::ZOrder:
      return spacetime ? zorder_spacetime_index(k, temporal_resolution) : z2_index(k.col, k.row);
    case IndexKind::Hilbert:
      if (spacetime)
        return HilbertSpaceTimeIndex(bounds, x_resolution, y_resolution,
                                     static_cast<int>(temporal_resolution))
            .to_index(k);
      return HilbertSpatialIndex(bounds, x_resolution, y_resolution).to_index(k.spatial());
    case IndexKind::RowMajor:
      return rowmajor_index(bounds, k.spatial());
  }
  throw JobError("invalid key index");
}

KeyIndex KeyIndex::for_spatial(IndexKind kind, const KeyBounds& bounds) {
  KeyIndex ki;
  ki.kind = kind;
  ki.bounds = bounds;
  if (kind == IndexKind::Hilbert) {
    const HilbertSpatialIndex h(bounds);
    ki.x_resolution = h.x_resolution();
    ki.y_resolution = h.y_resolution();
  }
  return ki;
}

std::string metadata_attribute_text(const std::string& name, int zoom, const LayerAttributes& a) {
  const LayerMetadata& md = a.md;
  const bool st = a.header.spacetime();
  // The file header in the order GeoTrellis 2.x printed it (the fixture's); the S3 header in the order
  // of GeoTrellis 3's S3LayerHeader encoder.
  const ojson header = a.header.format == "s3"
                           ? ojson{{"keyClass", a.header.key_class},   {"valueClass", a.header.value_class},
                                   {"bucket", a.header.bucket},        {"key", a.header.key},
                                   {"layerType", a.header.layer_type}, {"format", a.header.format}}
                           : ojson{{"format", a.header.format},
                                   {"path", a.header.path},
                                   {"layerType", a.header.layer_type},
                                   {"keyClass", a.header.key_class},
                                   {"valueClass", a.header.value_class}};
  const TileLayout& tl = md.layout.tile_layout;
  const ojson metadata{{"cellType", md.cell_type.name()},
                       {"layoutDefinition",
                        {{"extent", extent_json(md.layout.extent)},
                         {"tileLayout",
                          {{"layoutCols", tl.layout_cols},
                           {"layoutRows", tl.layout_rows},
                           {"tileCols", tl.tile_cols},
                           {"tileRows", tl.tile_rows}}}}},
                       {"extent", extent_json(md.extent)},
                       {"crs", md.crs.proj4()},
                       {"bounds", bounds_json(md.bounds, st)}};
  const KeyIndex& ki = a.key_index;
  ojson props{{"keyBounds", bounds_json(ki.bounds, st)}};
  if (ki.kind == IndexKind::Hilbert) {
    props["xResolution"] = ki.x_resolution;
    props["yResolution"] = ki.y_resolution;
  }
  if (st) props["temporalResolution"] = ki.temporal_resolution;
  const ojson key_index{{"type", index_kind_name(ki.kind)}, {"properties", props}};
  const ojson value{
      {"header", header}, {"metadata", metadata}, {"keyIndex", key_index}, {"schema", a.schema}};
  return ojson::array({ojson{{"name", name}, {"zoom", zoom}}, value}).dump();
}

LayerAttributes parse_metadata_attribute(const std::string& text) {
  ojson j;
  try {
    j = ojson::parse(text);
  } catch (const ojson::exception& e) {
    throw IoError(std::string("the metadata attribute is not JSON: ") + e.what());
  }
  if (!j.is_array() || j.size() != 2) throw IoError("the metadata attribute is not a [LayerId, value] pair");
  const ojson& v = j[1];
  LayerAttributes a;
  try {
    const auto& h = member(v, "header", "metadata attribute");
    a.header.format = member(h, "format", "header").get<std::string>();
    a.header.key_class = member(h, "keyClass", "header").get<std::string>();
    a.header.value_class = member(h, "valueClass", "header").get<std::string>();
    if (a.header.format == "s3") {
      a.header.bucket = member(h, "bucket", "header").get<std::string>();
      a.header.key = member(h, "key", "header").get<std::string>();
    } else {
      a.header.path = member(h, "path", "header").get<std::string>();
    }
    a.header.layer_type = h.contains("layerType") ? h.at("layerType").get<std::string>() : "AvroLayerType";
    if (a.header.format != "file" && a.header.format != "s3" && a.header.format != "hdf5")
      throw IoError("the layer's header says format '" + a.header.format +
                    "': only file, s3 (and trellis' hdf5) layers are read");
    if (a.header.layer_type != "AvroLayerType")
      throw IoError("the layer is a " + a.header.layer_type + "; only Avro layers are read");

    const auto& m = member(v, "metadata", "metadata attribute");
    LayerMetadata& md = a.md;
    md.cell_type = CellType::parse(member(m, "cellType", "metadata").get<std::string>());
    const auto& ld = member(m, "layoutDefinition", "metadata");
    md.layout.extent = parse_extent(member(ld, "extent", "layoutDefinition"), "layoutDefinition.extent");
    const auto& tl = member(ld, "tileLayout", "layoutDefinition");
    md.layout.tile_layout = {integer(tl, "layoutCols", "tileLayout"), integer(tl, "layoutRows", "tileLayout"),
                             static_cast<int>(integer(tl, "tileCols", "tileLayout")),
                             static_cast<int>(integer(tl, "tileRows", "tileLayout"))};
    md.extent = parse_extent(member(m, "extent", "metadata"), "metadata.extent");
    md.crs = Crs::from_user(member(m, "crs", "metadata").get<std::string>());
    md.bounds = parse_bounds(member(m, "bounds", "metadata"), "metadata.bounds");
    md.temporal = a.header.spacetime();
    md.zoom = static_cast<int>(integer(j[0], "zoom", "LayerId"));
    md.bands = 1;
    a.bands_known = !a.header.multiband();

    const auto& ki = member(v, "keyIndex", "metadata attribute");
    const auto& props = member(ki, "properties", "keyIndex");
    a.key_index.kind = parse_index_kind(member(ki, "type", "keyIndex").get<std::string>());
    a.key_index.bounds = parse_bounds(member(props, "keyBounds", "keyIndex"), "keyIndex.keyBounds");
    a.key_index.spacetime = md.temporal;
    if (a.key_index.kind == IndexKind::Hilbert) {
      a.key_index.x_resolution = static_cast<int>(integer(props, "xResolution", "keyIndex"));
      a.key_index.y_resolution = static_cast<int>(integer(props, "yResolution", "keyIndex"));
    }
    if (md.temporal) a.key_index.temporal_resolution = integer(props, "temporalResolution", "keyIndex");
    a.schema = member(v, "schema", "metadata attribute");
  } catch (const nlohmann::json::exception& e) {
    throw IoError(std::string("the metadata attribute is malformed: ") + e.what());
  } catch (const JobError& e) {  // a cell type, CRS or index name these parsers refuse
    throw IoError(std::string("the metadata attribute is malformed: ") + e.what());
  }
  return a;
}

std::string attribute_text(const std::string& name, int zoom, const nlohmann::json& value) {
  return ojson::array({ojson{{"name", name}, {"zoom", zoom}}, ojson::parse(value.dump())}).dump();
}

nlohmann::json attribute_value(const std::string& text) {
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    if (!j.is_array() || j.size() != 2) throw IoError("an attribute is not a [LayerId, value] pair");
    return j[1];
  } catch (const nlohmann::json::exception& e) {
    throw IoError(std::string("an attribute is not JSON: ") + e.what());
  }
}

}  // namespace trellis::io::catalog
