#pragma once
// The choice of single precision for a compiled local program (LocalProgram::single_precision).
#include <span>
#include <vector>

#include "ops/local/program.hpp"

namespace trellis::ops {

// Whether `code` computes the same cells in float as in double: a float32 result, every value before the
// last operation a whole number within 2^24 (interval arithmetic from the inputs' cell types, in program
// order: each instruction writes a new register), and a last operation IEEE rounds correctly. Conservative:
// an instruction it does not know to be exact makes the answer no. Deterministic, not collective.
bool single_precision_is_exact(std::span<const LocalProgram::Instr> code,
                               const std::vector<LocalProgram::Num>& regs,
                               const std::vector<ProgramInput>& inputs, int result, const CellType& out_ct);

}  // namespace trellis::ops
