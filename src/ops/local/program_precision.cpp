// Whether a local program gives the same cells computed in float as in double
// (LocalProgram::single_precision): interval arithmetic over its registers.
#include "ops/local/program_precision.hpp"

#include <algorithm>
#include <cmath>

namespace trellis::ops {

namespace {

using Num = LocalProgram::Num;
using Instr = LocalProgram::Instr;
using Fn = LocalProgram::Fn;

// What single precision does to a register's values (LocalProgram::single_precision).
struct Precision {
  enum class Kind {
    Exact,    // whole numbers in [lo, hi], |lo|, |hi| <= 2^24: float holds each exactly
    Rounded,  // one correctly rounded operation (+ - * / sqrt) of Exact operands
    Unknown,  // anything else: the result would depend on the precision
  };
  Kind kind = Kind::Unknown;
  double lo = 0, hi = 0;
};

constexpr double kFloatExactLimit = 16777216.0;  // 2^24: every whole number up to it is a float

Precision exact_range(double lo, double hi) {
  using K = Precision::Kind;
  if (lo < -kFloatExactLimit || hi > kFloatExactLimit) return {K::Unknown};
  return {K::Exact, lo, hi};
}

// The values an input of this cell type holds, when float holds each of them exactly.
Precision input_range(const CellType& ct) {
  switch (ct.kind) {
    case CellKind::Bool:
      return exact_range(0, 1);
    case CellKind::Int8:
      return exact_range(-128, 127);
    case CellKind::UInt8:
      return exact_range(0, 255);
    case CellKind::Int16:
      return exact_range(-32768, 32767);
    case CellKind::UInt16:
      return exact_range(0, 65535);
    default:
      return {};
  }
}

}  // namespace

// Whether a program computes the same cells in float as in double (LocalProgram::single_precision):
// interval arithmetic over its registers, in program order (each instruction writes a new register).
// Conservative: an instruction it does not know to be exact makes the answer no.
bool single_precision_is_exact(std::span<const Instr> code, const std::vector<Num>& regs,
                               const std::vector<ProgramInput>& inputs, int result, const CellType& out_ct) {
  using K = Precision::Kind;
  if (out_ct.kind != CellKind::Float32 || regs[result] != Num::Double) return false;
  std::vector<Precision> p(regs.size());
  auto exact = [&](int r) { return r >= 0 && p[r].kind == K::Exact; };
  auto range_of = [&](const Instr& i) -> Precision {
    switch (i.op) {
      case Instr::Op::Load:
        return input_range(inputs[i.input].cell_type);
      case Instr::Op::Const:
        return i.value == std::trunc(i.value) ? exact_range(i.value, i.value) : Precision{};
      case Instr::Op::ToDouble:
      case Instr::Op::ToInt:
        return exact(i.a) ? p[i.a] : Precision{};
      case Instr::Op::Select:
        if (!exact(i.b) || !exact(i.c)) return {};
        return exact_range(std::min(p[i.b].lo, p[i.c].lo), std::max(p[i.b].hi, p[i.c].hi));
      case Instr::Op::Unary: {
        if (i.fn == Fn::IsNoData || i.fn == Fn::IsData) return exact_range(0, 1);
        if (!exact(i.a)) return {};
        const Precision& a = p[i.a];
        if (i.fn == Fn::Neg) return exact_range(-a.hi, -a.lo);
        if (i.fn == Fn::Abs)
          return exact_range(a.lo > 0 ? a.lo : (a.hi < 0 ? -a.hi : 0), std::max(-a.lo, a.hi));
        if (i.fn == Fn::Floor || i.fn == Fn::Ceil || i.fn == Fn::Round) return a;
        if (i.fn == Fn::Sqrt && i.num == Num::Double) return {K::Rounded};
        return {};  // exp, log, log10: libm's float and double results differ
      }
      case Instr::Op::Binary: {
        if (!exact(i.a) || !exact(i.b)) return {};
        const Precision &a = p[i.a], &b = p[i.b];
        const Fn f = i.fn;
        if (regs[i.dst] == Num::Int && i.num == Num::Double) return exact_range(0, 1);  // a comparison
        if (LocalProgram::gives_flag(f)) return exact_range(0, 1);
        // Sums and products: exact within 2^24; beyond, one double operation rounded to float is float's
        // own (Int arithmetic wraps at 2^31 instead, so it is not followed there).
        auto sum_or_product = [&](double lo, double hi) {
          const Precision r = exact_range(lo, hi);
          return r.kind == K::Exact || i.num == Num::Int ? r : Precision{K::Rounded};
        };
        if (f == Fn::Add) return sum_or_product(a.lo + b.lo, a.hi + b.hi);
        if (f == Fn::AddZ)  // NoData counts as 0
          return sum_or_product(std::min(a.lo, 0.0) + std::min(b.lo, 0.0),
                                std::max(a.hi, 0.0) + std::max(b.hi, 0.0));
        if (f == Fn::Sub) return sum_or_product(a.lo - b.hi, a.hi - b.lo);
        if (f == Fn::Mul) {
          const double c[] = {a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi};
          return sum_or_product(*std::min_element(c, c + 4), *std::max_element(c, c + 4));
        }
        if (f == Fn::Min || f == Fn::Max) return exact_range(std::min(a.lo, b.lo), std::max(a.hi, b.hi));
        if (f == Fn::Div && i.num == Num::Int) {  // truncating: |a / b| <= |a|
          const double m = std::max(-a.lo, a.hi);
          return exact_range(-m, m);
        }
        if (f == Fn::Div) return {K::Rounded};
        return {};  // pow: libm
      }
    }
    return {};
  };
  for (const Instr& i : code) {
    // A rounded value may only be the result: an operation on it would see float's rounding.
    for (const int r : {i.a, i.b, i.c})
      if (r >= 0 && p[r].kind != K::Exact) return false;
    p[i.dst] = range_of(i);
  }
  return p[result].kind != K::Unknown;
}

}  // namespace trellis::ops
