// Local programs as machine code (program_jit.hpp): which programs compile and to which instruction set,
// what the two code generators share, and running the code. The generators are program_jit_avx512.cpp
// and program_jit_avx2.cpp.
#include "ops/local/program_jit.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "ops/local/program_jit_emit.hpp"

namespace trellis::ops {

using Instr = LocalProgram::Instr;
using Num = LocalProgram::Num;
using Fn = LocalProgram::Fn;

#if defined(TRELLIS_HAVE_XBYAK)

using jit::Kernel;

struct ProgramJit::Machine : Xbyak::CodeGenerator {
  // Writable while the code is emitted, then read and execute only (ProgramJit::compile).
  explicit Machine(std::size_t bytes) : Xbyak::CodeGenerator(bytes, Xbyak::DontSetProtectRWE) {}
  Kernel kernel = nullptr;
};

namespace jit {

int comparison_predicate(Fn f) {
  switch (f) {
    case Fn::Eq:
      return kEqOq;
    case Fn::Ne:
      return kNeqOq;
    case Fn::Lt:
      return kLtOq;
    case Fn::Le:
      return kLeOq;
    case Fn::Gt:
      return kGtOq;
    case Fn::Ge:
      return kGeOq;
    default:
      return -1;
  }
}

std::vector<int> allocate_registers(const ProgramJit::Source& s, int count) {
  const auto& code = s.code;
  std::vector<int> last(s.regs.size(), -1);
  for (std::size_t j = 0; j < code.size(); ++j)
    for (int r : {code[j].a, code[j].b, code[j].c})
      if (r >= 0) last[static_cast<std::size_t>(r)] = static_cast<int>(j);
  std::vector<int> reg(s.regs.size(), -1);
  std::vector<bool> busy(static_cast<std::size_t>(count), false);
  for (std::size_t j = 0; j < code.size(); ++j) {
    const Instr& i = code[j];
    for (int r : {i.a, i.b, i.c})
      if (r >= 0 && last[static_cast<std::size_t>(r)] == static_cast<int>(j) && r != s.result &&
          reg[static_cast<std::size_t>(r)] >= 0)
        busy[static_cast<std::size_t>(reg[static_cast<std::size_t>(r)])] = false;
    int v = 0;
    while (v < count && busy[static_cast<std::size_t>(v)]) ++v;
    if (v == count) throw std::runtime_error("too many live values");
    reg[static_cast<std::size_t>(i.dst)] = v;
    busy[static_cast<std::size_t>(v)] =
        last[static_cast<std::size_t>(i.dst)] > static_cast<int>(j) || i.dst == s.result;
  }
  return reg;
}

bool int_program(const ProgramJit::Source& s) {
  for (const Num n : s.regs)
    if (n != Num::Int) return false;
  for (const Instr& i : s.code) {
    switch (i.op) {
      case Instr::Op::Load: {
        const CellKind k = s.inputs[static_cast<std::size_t>(i.input)].cell_type.kind;
        if (k != CellKind::Int8 && k != CellKind::UInt8 && k != CellKind::Int16 && k != CellKind::UInt16 &&
            k != CellKind::Int32)
          return false;
        break;
      }
      case Instr::Op::Const:
        break;
      case Instr::Op::Unary:
        if (i.fn != Fn::Neg && i.fn != Fn::Abs && i.fn != Fn::IsNoData && i.fn != Fn::IsData) return false;
        break;
      case Instr::Op::Binary:
        if (i.fn != Fn::Add && i.fn != Fn::Sub && i.fn != Fn::Mul && i.fn != Fn::Div && i.fn != Fn::Min &&
            i.fn != Fn::Max && !LocalProgram::gives_flag(i.fn))
          return false;
        break;
      case Instr::Op::Select:  // an Int condition (every register is Int)
        break;
      default:
        return false;
    }
  }
  const CellKind out = s.out_ct.kind;
  return out == CellKind::Int8 || out == CellKind::UInt8 || out == CellKind::Int16 ||
         out == CellKind::UInt16 || out == CellKind::Int32;
}

bool emit_plain(Xbyak::CodeGenerator& g, bool dbl, Fn f, const Xbyak::Xmm& d, const Xbyak::Xmm& a,
                const Xbyak::Xmm& b) {
  switch (f) {
    case Fn::Add:
      dbl ? g.vaddpd(d, a, b) : g.vaddps(d, a, b);
      return true;
    case Fn::Sub:
      dbl ? g.vsubpd(d, a, b) : g.vsubps(d, a, b);
      return true;
    case Fn::Mul:
      dbl ? g.vmulpd(d, a, b) : g.vmulps(d, a, b);
      return true;
    case Fn::Sqrt:
      dbl ? g.vsqrtpd(d, a) : g.vsqrtps(d, a);
      return true;
    default:
      return false;
  }
}

void emit_int(Xbyak::CodeGenerator& g, Fn f, const Xbyak::Xmm& d, const Xbyak::Xmm& a, const Xbyak::Xmm& b) {
  switch (f) {
    case Fn::Add:
      g.vpaddd(d, a, b);
      break;
    case Fn::Sub:
      g.vpsubd(d, a, b);
      break;
    case Fn::Mul:
      g.vpmulld(d, a, b);
      break;
    case Fn::Min:
      g.vpminsd(d, a, b);
      break;
    case Fn::Max:
      g.vpmaxsd(d, a, b);
      break;
    default:
      throw std::runtime_error("unsupported Int operation");
  }
}

}  // namespace jit

namespace {

using namespace jit;

// The instruction set the machine code is generated for: AVX-512 (F, DQ, VL, and BMI2) where the CPU
// has it, else AVX2; none with TRELLIS_JIT=0. TRELLIS_JIT=avx2 asks for AVX2 code on a CPU with
// AVX-512 too (to compare the two). Read at each compile: a step compiles its program once.
enum class Isa { None, Avx2, Avx512 };
Isa chosen_isa() {
  static const bool avx512 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("bmi2");
  }();
  static const bool avx2 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  const char* v = std::getenv("TRELLIS_JIT");
  if (v && std::strcmp(v, "0") == 0) return Isa::None;
  if (v && std::strcmp(v, "avx2") == 0) return avx2 ? Isa::Avx2 : Isa::None;
  return avx512 ? Isa::Avx512 : avx2 ? Isa::Avx2 : Isa::None;
}

// What the machine code holds in each program register; its lanes always hold floating values.
enum class Held {
  None,      // not compiled
  Floating,  // a Double register
  Flag,      // an Int register of 0, 1 or NoData (comparisons, logic, isnodata): as 0.0, 1.0 or NaN, which
             // is what ToDouble makes of it
  IntConst,  // an Int constant: its value converted as ToDouble does (NoData -> NaN)
};

// Whether the JIT compiles every instruction: floating values; Int values only where they are flags or
// constants, whose floating form gives the interpreter's result wherever they are used:
// - comparisons of a flag with a constant: 0 and 1 are exact in float, and rounding a constant to
//   float keeps its order against them (two constants compared are left to the interpreter: in float
//   lanes 16777217 would equal 16777216);
// - and, or, xor, not and if: only whether the value is 0 or NoData counts, which the conversion keeps;
// - ToDouble: the floating form is the conversion.
// `held` gets what each register holds.
bool supported(std::span<const Instr> code, std::span<const Num> regs, std::vector<Held>& held) {
  held.assign(regs.size(), Held::None);
  auto of = [&](int r) { return held[static_cast<std::size_t>(r)]; };
  for (const Instr& i : code) {
    const bool floating_dst = regs[static_cast<std::size_t>(i.dst)] == Num::Double;
    Held h = Held::None;
    switch (i.op) {
      case Instr::Op::Load:
        if (floating_dst) h = Held::Floating;
        break;
      case Instr::Op::Const:
        h = floating_dst ? Held::Floating : Held::IntConst;
        break;
      case Instr::Op::ToDouble:
        if (of(i.a) == Held::Flag || of(i.a) == Held::IntConst) h = Held::Floating;
        break;
      case Instr::Op::ToInt:
        break;
      case Instr::Op::Unary:
        if (i.fn == Fn::IsNoData || i.fn == Fn::IsData) {
          if (of(i.a) != Held::None) h = Held::Flag;
        } else if (floating_dst && of(i.a) == Held::Floating &&
                   (i.fn == Fn::Neg || i.fn == Fn::Abs || i.fn == Fn::Sqrt || i.fn == Fn::Floor ||
                    i.fn == Fn::Ceil)) {
          h = Held::Floating;
        }
        break;
      case Instr::Op::Binary: {
        const Held a = of(i.a), b = of(i.b);
        if (LocalProgram::gives_flag(i.fn)) {
          const auto int_operand = [](Held x) { return x == Held::Flag || x == Held::IntConst; };
          const bool ok = i.num == Num::Double
                              ? a == Held::Floating && b == Held::Floating
                              : int_operand(a) && int_operand(b) && (a == Held::Flag || b == Held::Flag);
          if (ok) h = Held::Flag;
        } else if (floating_dst && a == Held::Floating && b == Held::Floating &&
                   (i.fn == Fn::Add || i.fn == Fn::Sub || i.fn == Fn::Mul || i.fn == Fn::Div ||
                    i.fn == Fn::Min || i.fn == Fn::Max)) {
          h = Held::Floating;
        }
        break;
      }
      case Instr::Op::Select: {
        const Held c = of(i.a);
        const bool cond_ok = i.cond == Num::Double ? c == Held::Floating : c == Held::Flag;
        if (floating_dst && cond_ok && of(i.b) == Held::Floating && of(i.c) == Held::Floating)
          h = Held::Floating;
        break;
      }
    }
    if (h == Held::None) return false;
    held[static_cast<std::size_t>(i.dst)] = h;
  }
  return true;
}

}  // namespace

#else  // no xbyak: never compiled

struct ProgramJit::Machine {
  Kernel kernel = nullptr;
};

#endif

ProgramJit::~ProgramJit() = default;

std::shared_ptr<const ProgramJit> ProgramJit::compile(const Source& s) {
#if defined(TRELLIS_HAVE_XBYAK)
  const Isa isa = chosen_isa();
  if (isa == Isa::None) return nullptr;
  const bool int_mode = int_program(s);
  std::vector<Held> held;
  if (!int_mode && !supported(s.code, s.regs, held)) return nullptr;
  // How the result is stored: a floating result computed in place, or double stored as float32; a flag
  // as float32, float64 (double lanes) or int8 with its constant NoData (a comparison's own type).
  // User-defined NoData is left to the interpreter.
  const Held result = int_mode ? Held::None : held[static_cast<std::size_t>(s.result)];
  const CellKind out = s.out_ct.kind;
  const bool ud = s.out_ct.mode == NoDataMode::UserDefined;
  bool stored = int_mode;  // int_program() checked the result type
  if (result == Held::Floating)
    stored = s.result_in_place || (!s.single && out == CellKind::Float32 && !ud);
  else if (result == Held::Flag)
    stored = !ud && (out == CellKind::Float32 || (out == CellKind::Float64 && !s.single) ||
                     (out == CellKind::Int8 && s.out_ct.mode == NoDataMode::Constant));
  if (!stored) return nullptr;
  std::shared_ptr<ProgramJit> p(new ProgramJit());
  try {
    p->machine_ = std::make_unique<Machine>(4096 + 512 * s.code.size());
    if (isa == Isa::Avx512) {
      emit_avx512(*p->machine_, s, int_mode);
    } else {
      emit_avx2(*p->machine_, s, int_mode);
      p->whole_vectors_ = int_mode || s.single ? 8 : 4;
    }
    p->machine_->setProtectModeRE();
    p->machine_->kernel = p->machine_->getCode<Kernel>();
  } catch (const std::exception&) {
    return nullptr;  // the interpreter computes the same cells
  }
  for (const Instr& i : s.code)
    if (i.op == Instr::Op::Load)
      p->loads_.push_back({i.input, i.band, s.inputs[static_cast<std::size_t>(i.input)].cell_type});
  for (const ProgramInput& in : s.inputs) p->input_bands_.push_back(in.bands);
  return p;
#else
  (void)s;
  return nullptr;
#endif
}

bool ProgramJit::run(std::span<const Tile* const> tiles, Tile& out) const {
  for (const LoadSlot& l : loads_) {
    const Tile* t = tiles[static_cast<std::size_t>(l.input)];
    if (!t || !(t->cell_type() == l.cell_type)) return false;
  }
  std::vector<const void*> bands(loads_.size());
  const std::size_t cells = out.cells();
  // AVX2 code takes whole vectors: the last cells go through a vector's worth of scratch each (at most
  // 8 cells of 4 bytes, or 4 of 8), zeros beyond them.
  const std::size_t whole =
      whole_vectors_ > 0 ? cells - cells % static_cast<std::size_t>(whole_vectors_) : cells;
  const std::size_t rest = cells - whole;
  std::vector<std::array<std::byte, 32>> scratch(rest > 0 ? loads_.size() + 1 : 0);
  std::vector<const void*> rest_bands(rest > 0 ? loads_.size() : 0);
  const std::size_t out_bytes = static_cast<std::size_t>(out.cell_type().bytes());
  for (int ob = 0; ob < out.bands(); ++ob) {
    for (std::size_t j = 0; j < loads_.size(); ++j) {
      const LoadSlot& l = loads_[j];
      const int band = l.band >= 0 ? l.band : (input_bands_[static_cast<std::size_t>(l.input)] == 1 ? 0 : ob);
      bands[j] = tiles[static_cast<std::size_t>(l.input)]->band_data(band);
    }
    machine_->kernel(bands.data(), out.band_data(ob), whole);
    if (rest == 0) continue;
    for (std::size_t j = 0; j < loads_.size(); ++j) {
      const std::size_t bytes = static_cast<std::size_t>(loads_[j].cell_type.bytes());
      scratch[j].fill(std::byte{0});
      std::memcpy(scratch[j].data(), static_cast<const std::byte*>(bands[j]) + whole * bytes, rest * bytes);
      rest_bands[j] = scratch[j].data();
    }
    machine_->kernel(rest_bands.data(), scratch.back().data(), static_cast<std::size_t>(whole_vectors_));
    std::memcpy(static_cast<std::byte*>(out.band_data(ob)) + whole * out_bytes, scratch.back().data(),
                rest * out_bytes);
  }
  return true;
}

const char* ProgramJit::isa() const {
  return whole_vectors_ > 0 ? "avx2" : "avx512";
}

}  // namespace trellis::ops
