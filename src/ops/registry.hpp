#pragma once
// The registry of every op of trellis. Each op file registers its ops itself, at static
// initialisation, with one OpRegistration per op (docs/adding-an-op.md):
//
//   const OpRegistration kNormalize{job::make_op<NormalizeArgs>({.name = "normalize", ...}, declare, run)};
//
// (The ops module is linked as object files, so no registration is dropped by the linker.)
#include "job/registry.hpp"

namespace trellis::ops {

// Every op. Not collective; the same on every rank.
const job::Registry& registry();

// Adds `spec` to the registry. Throws std::logic_error (at start-up) for a name already taken.
struct OpRegistration {
  explicit OpRegistration(job::OpSpec spec);
};

}  // namespace trellis::ops
