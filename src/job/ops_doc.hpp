#pragma once
// What `trellis ops [OP]` prints, and the docs/ops/<name>.md pages: all from the op registry.
#include <string>

#include "job/registry.hpp"

namespace trellis::job {

// One line per op (sorted by name): name, aliases, one-line help.
std::string format_ops_list(const Registry& reg);
// One op in full: help, aliases, inputs accepted, value produced, and each parameter with its type,
// default, choices or range, whether it is required, and its help.
std::string format_op(const OpSpec& op);
// The Markdown reference page of one op (docs/ops/<name>.md).
std::string ops_markdown(const OpSpec& op);
// A Markdown index of every op (docs/ops/README.md), linking to <name>.md.
std::string ops_markdown_index(const Registry& reg);

// The op named (or aliased) `name`; else nullptr, with `message` set to
// "unknown op 'x' (did you mean 'y'?)" or "unknown op 'x'; 'trellis ops' lists the ops".
const OpSpec* find_op_or_suggest(const Registry& reg, const std::string& name, std::string& message);

}  // namespace trellis::job
