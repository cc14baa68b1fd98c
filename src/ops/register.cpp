#include "ops/register.hpp"

#include "ops/families.hpp"

namespace trellis::ops {

const job::Registry& registry() {
  static const job::Registry reg = [] {
    job::Registry r;
    register_read_ops(r);
    register_tiling_ops(r);
    register_stats_ops(r);
    register_write_ops(r);
    register_pyramid_ops(r);
    register_reproject_ops(r);
    register_zonal_ops(r);
    return r;
  }();
  return reg;
}

}  // namespace trellis::ops
