#include "ops/registry.hpp"

namespace trellis::ops {

namespace {

// Built on first use: registrations run during static initialisation, in any order.
job::Registry& mutable_registry() {
  static job::Registry reg;
  return reg;
}

}  // namespace

const job::Registry& registry() {
  return mutable_registry();
}

OpRegistration::OpRegistration(job::OpSpec spec) {
  mutable_registry().add(std::move(spec));
}

}  // namespace trellis::ops
