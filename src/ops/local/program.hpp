#pragma once
// A map-algebra expression (core/expression.hpp) compiled once per step into a program over blocks of
// cells: each instruction runs a tight loop over a block (SIMD-friendly), never a tree walk per cell.
//
// Typing follows GeoTrellis (../shared/conformance/semantics.md, "Local map algebra"):
// - a layer of an integer cell type computes in Int (Scala Int: wrapping, division truncating toward
//   zero, x / 0 is NoData); a float layer in double (x / 0 is NaN);
// - layer (op) layer: double if either is float, else Int; the result's cell type is their union;
// - layer (op) whole-number literal: the layer's arithmetic; an Int layer (op) a decimal literal is
//   computed in double and truncated toward zero back to Int (54 - 5.7 = 48); the layer's cell type
//   is kept;
// - NoData in any operand gives NoData, except for isnodata/isdata, which never give NoData;
// - comparisons and and/or/xor/not give 1 or 0 (int8); if(c, a, b) is NoData where c is;
// - sqrt, exp, log, log10 and pow of Int values are computed in double and truncated back.
// A `cell_type` that is a float makes every value double from the start (as converting the inputs
// first would); an integer `cell_type` converts the result as GeoTrellis' convert does.
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/cell_type.hpp"
#include "core/expression.hpp"
#include "core/tile.hpp"

namespace trellis::ops {

class ProgramJit;

// What the program needs to know of an input layer.
struct ProgramInput {
  CellType cell_type;
  int bands = 1;
};

class LocalProgram {
 public:
  // Compiles `e` over `inputs` (by name; every name the expression uses must be there). Throws
  // ExpressionError at the offending node: a band that does not exist, inputs whose band counts cannot
  // be broadcast together, an expression that uses no layer. Deterministic, not collective.
  static LocalProgram compile(const Expression& e, const std::map<std::string, ProgramInput>& inputs,
                              const std::optional<CellType>& cell_type);

  // The result's cell type and band count.
  const CellType& cell_type() const { return out_ct_; }
  int bands() const { return out_bands_; }
  // The inputs the program reads, in the order evaluate() takes their tiles.
  const std::vector<std::string>& input_names() const { return names_; }
  // Whether evaluate() computes the double values in single precision, which it does only where that
  // gives the same cells (see program_precision.hpp): a float32 result, every value
  // before the last operation a whole number float holds exactly (inputs of at most 16 bits, whole
  // constants, sums and products within 2^24), and a last operation IEEE rounds correctly (+ - * /,
  // sqrt), whose double result rounded to float32 is the float32 result (double rounding is innocuous
  // for these when 53 >= 2 x 24 + 2). Half the bytes per register and twice the lanes per instruction.
  bool single_precision() const { return single_; }

  // Whether evaluate() runs the program as machine code (AVX-512 or AVX2, program_jit.hpp) where it can,
  // which gives the interpreter's cells; the interpreter runs it otherwise.
  bool machine_code() const { return jit_ != nullptr; }
  // The instruction set of that code: "avx512" or "avx2" ("" when interpreted).
  const char* machine_code_isa() const;
  // This program without its machine code: evaluate() interprets it (to compare the two).
  LocalProgram interpreted() const {
    LocalProgram p = *this;
    p.jit_.reset();
    return p;
  }

  // The result tile from one tile per input (input_names() order; null: a missing tile, all NoData),
  // each of cols x rows cells. Thread-safe (const), deterministic.
  Tile evaluate(std::span<const Tile* const> tiles, int cols, int rows) const;

  enum class Num { Int, Double };
  // The operation of a Unary or Binary instruction. AddZ adds with NoData counting as 0 (mean's sum).
  enum class Fn {
    None,
    // unary
    Neg,
    Abs,
    Sqrt,
    Exp,
    Log,
    Log10,
    Floor,
    Ceil,
    Round,
    IsNoData,
    IsData,
    // arithmetic
    Add,
    AddZ,
    Sub,
    Mul,
    Div,
    Pow,
    Min,
    Max,
    // comparisons and logic: 0 or 1
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Xor,
    Not
  };
  // Whether f gives 1 or 0 (or NoData): the comparisons and the logic operations.
  static constexpr bool gives_flag(Fn f) {
    return f == Fn::Eq || f == Fn::Ne || f == Fn::Lt || f == Fn::Le || f == Fn::Gt || f == Fn::Ge ||
           f == Fn::And || f == Fn::Or || f == Fn::Xor || f == Fn::Not;
  }
  struct Instr {
    enum class Op {
      Load,      // dst <- band `band` of input `input`
      Const,     // dst <- value
      ToDouble,  // dst <- a (Int -> double, NoData -> NaN)
      ToInt,     // dst <- a (double -> Int, truncated toward zero; NaN -> NoData)
      Unary,     // dst <- fn(a)
      Binary,    // dst <- a (fn) b
      Select,    // dst <- a ? b : c (a NoData -> NoData)
    };
    Op op = Op::Const;
    Num num = Num::Double;  // the kind of dst (and of the operands of Unary/Binary arithmetic)
    Fn fn = Fn::None;       // Unary, Binary: the operation
    Num cond = Num::Int;    // Select: the kind of the condition a
    int dst = 0, a = -1, b = -1, c = -1;
    int input = -1, band = -1;  // Load: band -1 follows the output band (1-band inputs broadcast)
    double value = 0;           // Const
  };

 private:
  std::vector<std::string> names_;
  std::vector<ProgramInput> inputs_;
  std::vector<Instr> code_;
  std::vector<Num> regs_;  // each register's kind
  int result_ = 0;
  CellType out_ct_;
  int out_bands_ = 1;
  bool single_ = false;
  bool result_in_place_ = false;           // evaluate() computes the result register in the output tile
  std::shared_ptr<const ProgramJit> jit_;  // null: interpreted only
  friend class ProgramBuilder;
};

}  // namespace trellis::ops
