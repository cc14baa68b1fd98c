#pragma once
#include "job/registry.hpp"

namespace trellis::ops {
// The registry with every op of trellis (each ops/<family>.cpp contributes its register_* function).
const job::Registry& registry();
}  // namespace trellis::ops
