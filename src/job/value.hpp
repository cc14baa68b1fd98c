#pragma once
// What a step gives: a layer (untiled or tiled), a pyramid, or a result (numbers, tables).
#include <nlohmann/json.hpp>
#include <string>
#include <variant>

#include "layer/layer.hpp"

namespace trellis::job {

enum class ValueKind { None, RasterLayer, TiledLayer, Pyramid, Result };
const char* value_kind_name(ValueKind k);

// A result: JSON rows/numbers; written to `output` (JSON, or CSV when the name ends in .csv) and logged.
struct Result {
  nlohmann::json data;
};

struct Nothing {};

using StepValue = std::variant<Nothing, RasterLayer, TiledLayer, Pyramid, Result>;
ValueKind kind_of(const StepValue& v);

}  // namespace trellis::job
