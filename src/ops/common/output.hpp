#pragma once
// The `output` parameter of the ops that give a result (the executor writes the result there).
#include <optional>

#include "job/schema.hpp"

namespace trellis::ops {

template <class Args>
void declare_output(job::Schema<Args>& s, std::optional<job::OutputPath> Args::*member) {
  s.add("output", member,
        "file the result is written to: JSON, or CSV when the name ends in .csv (optional; always logged)");
}

}  // namespace trellis::ops
