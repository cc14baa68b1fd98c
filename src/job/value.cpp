#include "job/value.hpp"

namespace trellis::job {

const char* value_kind_name(ValueKind k) {
  switch (k) {
    case ValueKind::None:
      return "nothing";
    case ValueKind::RasterLayer:
      return "raster layer";
    case ValueKind::TiledLayer:
      return "tiled layer";
    case ValueKind::Pyramid:
      return "pyramid";
    case ValueKind::Result:
      return "result";
  }
  return "?";
}

ValueKind kind_of(const StepValue& v) {
  struct Visitor {
    ValueKind operator()(const Nothing&) const { return ValueKind::None; }
    ValueKind operator()(const RasterLayer&) const { return ValueKind::RasterLayer; }
    ValueKind operator()(const TiledLayer&) const { return ValueKind::TiledLayer; }
    ValueKind operator()(const Pyramid&) const { return ValueKind::Pyramid; }
    ValueKind operator()(const Result&) const { return ValueKind::Result; }
  };
  return std::visit(Visitor{}, v);
}

}  // namespace trellis::job
