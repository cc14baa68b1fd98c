#pragma once
// Local programs compiled to machine code (with xbyak), one fused loop per program: each cell's
// whole expression is computed in vector registers, and only the result is stored. The block
// interpreter (program_eval.cpp) stores every intermediate value, one pass per instruction, which makes
// it limited by stores: the NDVI step ran at 18 % of the memory bandwidth with it.
//
// The machine code computes exactly the interpreter's cells: the same IEEE operations (+ - * /, sqrt,
// min, max, floor, ceil, conversions), each correctly rounded in any instruction set, in the same
// order and at the same precision (float where LocalProgram::single_precision() says so, else double),
// and the same NoData rules. tests/ops/local_program_jit_test.cpp compares the two bit for bit.
//
// Compiled where every value is floating point (registers of kind Double), or an Int flag
// (comparisons, and/or/xor/not, isnodata/isdata: 0, 1 or NoData, held as 0.0, 1.0 or NaN) or an Int
// constant that only flags, if() and conversions use; the result is stored with NaN as NoData (computed
// in place, or double stored as float32), or is a flag stored as float or as int8 with NoData -128, and
// every operation is one of those above, Neg, Abs or Select. Also compiled: Int programs
// (jit::int_program: + - * / min max, unary - and abs, comparisons, logic, isnodata, isdata and if of
// integer layers, in int32 lanes with NoData INT_MIN, as the interpreter's Int registers, stored as an
// integer type). Everything else (other Int results, mean, exp, log, pow, round) is left to the
// interpreter.
//
// The code is AVX-512 (F, DQ, VL, and BMI2) where the CPU has it, else AVX2 (program_jit_avx2.cpp: the
// same operations in ymm registers, vector masks for k registers); TRELLIS_JIT=avx2 asks for AVX2 code
// on a CPU with AVX-512 too, TRELLIS_JIT=0 for none. Other CPUs interpret.
#include <memory>
#include <span>
#include <vector>

#include "core/cell_type.hpp"
#include "core/tile.hpp"
#include "ops/local/program.hpp"

namespace trellis::ops {

class ProgramJit {
 public:
  // What compile() reads of a LocalProgram.
  struct Source {
    std::span<const LocalProgram::Instr> code;
    std::span<const LocalProgram::Num> regs;
    std::span<const ProgramInput> inputs;
    int result = 0;
    CellType out_ct;
    bool single = false;           // registers hold float (else double)
    bool result_in_place = false;  // the result register is stored as it is (see program.cpp)
  };

  // The program as machine code, or null where it is not compiled (see above). Deterministic for a
  // given CPU and environment; never throws (an error of the assembler gives null).
  static std::shared_ptr<const ProgramJit> compile(const Source& s);

  // Computes every band of `out` (cols x rows of the program's result type) from one tile per input,
  // as LocalProgram::evaluate does. Returns false, having written nothing, when a tile is missing or its
  // cell type is not the one the code was compiled for: the caller interprets then. Thread-safe (const),
  // deterministic; does not throw.
  bool run(std::span<const Tile* const> tiles, Tile& out) const;

  // The instruction set of the code: "avx512" or "avx2".
  const char* isa() const;

  ProgramJit(const ProgramJit&) = delete;
  ProgramJit& operator=(const ProgramJit&) = delete;
  ~ProgramJit();

 private:
  struct Machine;  // the generated code
  // Each Load instruction of the program, in program order: where run() finds the band it reads.
  struct LoadSlot {
    int input = 0;
    int band = -1;  // -1: follows the output band (or band 0 of a one-band input)
    CellType cell_type;
  };
  ProgramJit() = default;
  std::unique_ptr<Machine> machine_;
  std::vector<LoadSlot> loads_;
  std::vector<int> input_bands_;
  int whole_vectors_ = 0;  // AVX2: the kernel takes whole vectors of this many cells (run() the rest)
};

}  // namespace trellis::ops
