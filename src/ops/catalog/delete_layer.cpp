// delete_layer: removes a layer (one zoom, or every zoom) from a GeoTrellis file or S3 catalog. Rank 0
// removes the metadata attribute first, so the layer stops existing before its files go.
#include "io/catalog/catalog.hpp"
#include "job/op.hpp"
#include "mpi/runtime.hpp"
#include "ops/registry.hpp"

namespace trellis::ops {

namespace {

namespace cat = io::catalog;

struct DeleteLayerArgs {
  job::CatalogOutput uri;
  std::string layer_name;
  std::optional<std::int64_t> layer_zoom;
};

void declare(job::Schema<DeleteLayerArgs>& s) {
  using A = DeleteLayerArgs;
  s.add("uri", &A::uri, "the catalog: file:///path or a path (a folder), or s3://bucket/prefix").required();
  s.add("layer_name", &A::layer_name, "the layer to remove").required().alias("name");
  s.add("layer_zoom", &A::layer_zoom, "the zoom to remove (default: every zoom of the layer)")
      .range(0, 64)
      .alias("zoom");
}

// The zooms the step removes; refuses a layer the catalog does not have. Not collective.
std::vector<cat::LayerId> targets(const DeleteLayerArgs& a, const job::ArgsAccess& ctx) {
  const cat::CatalogUri uri = cat::parse_catalog_uri(a.uri.uri);
  if (uri.scheme == cat::CatalogUri::Scheme::Hdf5)
    throw ctx.param_error(&DeleteLayerArgs::uri,
                          "delete_layer removes layers of file and S3 catalogs; an HDF5 catalog is "
                          "one file per layer: remove the file");
  const cat::Catalog catalog(uri);
  std::vector<cat::LayerId> ids;
  for (const auto& id : catalog.layers())
    if (id.name == a.layer_name && (!a.layer_zoom || id.zoom == *a.layer_zoom)) ids.push_back(id);
  if (ids.empty())
    throw ctx.param_error(&DeleteLayerArgs::layer_name,
                          "catalog '" + catalog.root() + "' has no layer '" + a.layer_name + "'" +
                              (a.layer_zoom ? " at zoom " + std::to_string(*a.layer_zoom) : std::string()));
  return ids;
}

job::Shape plan(job::PlanContext& ctx, const DeleteLayerArgs& a) {
  (void)targets(a, ctx);
  return {};
}

job::StepValue run(job::StepContext& ctx, const DeleteLayerArgs& a) {
  const std::vector<cat::LayerId> ids = targets(a, ctx);
  if (mpi::Runtime::rank() == 0) {
    const cat::Catalog catalog(cat::parse_catalog_uri(a.uri.uri));
    for (const auto& id : ids) {
      catalog.delete_layer(id);
      ctx.log.info("deleted layer '" + id.name + "' zoom " + std::to_string(id.zoom) + " from " +
                   catalog.root());
    }
  }
  return job::Nothing{};
}

const OpRegistration kDeleteLayer{job::make_op<DeleteLayerArgs>(
    {.name = "delete_layer",
     .group = "io",
     .help = "remove a layer (one zoom or all) from a GeoTrellis file or S3 catalog",
     .doc = R"md(## Semantics

GeoTrellis' `LayerDeleter.delete(id)` on a file or S3 catalog: the layer's metadata attribute goes
first (from then on no reader sees the layer), then its other attributes (`<name>__.__<zoom>__.__*.json`;
on S3 `_attributes/*__<name>__<zoom>.json`) and its tile folder (on S3 its objects, one by one). Without `layer_zoom`, every zoom of the layer is removed.

A layer the catalog does not have is refused when the job is validated (exit 2). The tile folder is
removed only when it lies inside the catalog (on S3: under its bucket and prefix).

## Example

```yaml
- op: delete_layer
  uri: out/catalog
  layer_name: ndvi
```
)md",
     .inputs = job::Inputs::None,
     .produces = job::ValueKind::None},
    declare, run, plan)};

}  // namespace

}  // namespace trellis::ops
