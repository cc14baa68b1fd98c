// The compiler and block evaluator of local map-algebra programs (program.hpp).
#include "ops/local/program.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "core/simd.hpp"

namespace trellis::ops {

namespace {

using Num = LocalProgram::Num;
using Instr = LocalProgram::Instr;
using Fn = LocalProgram::Fn;
// Cells per block: the registers of a program (4 KiB of doubles each) stay in the L1 cache across its
// instructions.
constexpr int kBlock = 512;

// A node's type: its arithmetic, its result's cell type, and whether it is a constant (a literal, or
// made of literals only) whose own type yields to a layer's.
struct Typed {
  int reg = 0;
  Num num = Num::Double;
  CellType ct;
  bool scalar = false;
  bool integral = false;  // a whole-number constant
};

// The operation an operator or function name of an expression names.
Fn fn_named(const std::string& name) {
  static const std::map<std::string, Fn> kByName = {{"neg", Fn::Neg},       {"abs", Fn::Abs},
                                                    {"sqrt", Fn::Sqrt},     {"exp", Fn::Exp},
                                                    {"log", Fn::Log},       {"log10", Fn::Log10},
                                                    {"floor", Fn::Floor},   {"ceil", Fn::Ceil},
                                                    {"round", Fn::Round},   {"isnodata", Fn::IsNoData},
                                                    {"isdata", Fn::IsData}, {"+", Fn::Add},
                                                    {"-", Fn::Sub},         {"*", Fn::Mul},
                                                    {"/", Fn::Div},         {"pow", Fn::Pow},
                                                    {"min", Fn::Min},       {"max", Fn::Max},
                                                    {"==", Fn::Eq},         {"!=", Fn::Ne},
                                                    {"<", Fn::Lt},          {"<=", Fn::Le},
                                                    {">", Fn::Gt},          {">=", Fn::Ge},
                                                    {"and", Fn::And},       {"or", Fn::Or},
                                                    {"xor", Fn::Xor},       {"not", Fn::Not}};
  const auto it = kByName.find(name);
  if (it == kByName.end()) throw std::logic_error("local program: no operation named '" + name + "'");
  return it->second;
}

bool is_arith(const std::string& op) {
  return op == "+" || op == "-" || op == "*" || op == "/" || op == "pow" || op == "min" || op == "max";
}

}  // namespace

class ProgramBuilder {
 public:
  ProgramBuilder(LocalProgram& p, const std::optional<CellType>& cell_type)
      : p_(p), all_double_(cell_type && cell_type->is_float()) {}

  Typed build(const ExprNode& n) {
    switch (n.kind) {
      case ExprNode::Kind::Number: {
        Typed t;
        t.scalar = true;
        t.integral = n.integral && !all_double_;
        t.num = t.integral ? Num::Int : Num::Double;
        t.ct = t.integral ? CellType{CellKind::Int32, NoDataMode::Constant, 0} : CellType{};
        Instr i;
        i.op = Instr::Op::Const;
        i.value = n.number;
        return emit(i, t);
      }
      case ExprNode::Kind::Input:
        return load(n);
      case ExprNode::Kind::Unary: {
        const Typed a = build(n.args[0]);
        if (n.name == "not") return logic("not", a, a);
        Instr i;
        i.op = Instr::Op::Unary;
        i.fn = Fn::Neg;
        i.a = a.reg;
        Typed t = a;
        return emit(i, t);
      }
      case ExprNode::Kind::Binary: {
        const Typed a = build(n.args[0]), b = build(n.args[1]);
        if (is_arith(n.name)) return arith(n.name, a, b);
        if (n.name == "and" || n.name == "or" || n.name == "xor") return logic(n.name, a, b);
        return compare(n.name, a, b);
      }
      case ExprNode::Kind::Call:
        return call(n);
    }
    throw ExpressionError(n.offset, "unknown expression node");
  }

  bool uses_layer() const { return layers_ > 0; }

 private:
  Typed emit(Instr i, Typed t) {
    t.reg = static_cast<int>(p_.regs_.size());
    p_.regs_.push_back(t.num);
    i.dst = t.reg;
    i.num = t.num;
    p_.code_.push_back(std::move(i));
    return t;
  }

  Typed convert(const Typed& a, Num to) {
    if (a.num == to) return a;
    Instr i;
    i.op = to == Num::Double ? Instr::Op::ToDouble : Instr::Op::ToInt;
    i.a = a.reg;
    Typed t = a;
    t.num = to;
    return emit(i, t);
  }

  Typed load(const ExprNode& n) {
    const auto it = std::find(p_.names_.begin(), p_.names_.end(), n.name);
    const int index = static_cast<int>(it - p_.names_.begin());
    const ProgramInput& in = p_.inputs_.at(static_cast<std::size_t>(index));
    Instr i;
    i.op = Instr::Op::Load;
    i.input = index;
    if (n.band > 0) {
      if (n.band > in.bands)
        throw ExpressionError(n.offset, "band " + std::to_string(n.band) + " of '" + n.name +
                                            "' does not exist (it has " + std::to_string(in.bands) +
                                            " band(s), numbered from 1)");
      i.band = n.band - 1;
    } else if (in.bands > 1) {
      // Every band: the result has as many, and other multi-band inputs must match.
      if (bands_ > 1 && in.bands != bands_)
        throw ExpressionError(n.offset, "'" + n.name + "' has " + std::to_string(in.bands) + " bands and '" +
                                            bands_from_ + "' has " + std::to_string(bands_) +
                                            ": select one band (" + n.name +
                                            "[1]) or use inputs of as many bands");
      bands_ = in.bands;
      bands_from_ = n.name;
    } else {
      i.band = 0;
    }
    ++layers_;
    Typed t;
    t.ct = all_double_ ? CellType{CellKind::Float64, NoDataMode::Constant, 0} : in.cell_type;
    t.num = all_double_ || in.cell_type.is_float() ? Num::Double : Num::Int;
    return emit(i, t);
  }

  // The type of a value made from a and b by arithmetic (GeoTrellis' rules, program.hpp).
  static Typed combined(const Typed& a, const Typed& b, bool* truncate) {
    Typed t;
    *truncate = false;
    if (a.scalar && b.scalar) {
      t.scalar = true;
      t.integral = a.integral && b.integral;
      t.num = t.integral ? Num::Int : Num::Double;
      t.ct = t.integral ? a.ct : CellType{};
      return t;
    }
    if (a.scalar || b.scalar) {
      const Typed& layer = a.scalar ? b : a;
      const Typed& scalar = a.scalar ? a : b;
      t.ct = layer.ct;
      t.num = layer.num;
      // An Int layer with a decimal constant: computed in double, truncated back.
      if (layer.num == Num::Int && scalar.num == Num::Double) *truncate = true;
      return t;
    }
    t.ct = a.ct.union_with(b.ct);
    t.num = a.num == Num::Double || b.num == Num::Double ? Num::Double : Num::Int;
    return t;
  }

  Typed arith(const std::string& op, const Typed& a, const Typed& b) {
    bool truncate = false;
    Typed t = combined(a, b, &truncate);
    const Num work = truncate ? Num::Double : t.num;
    Instr i;
    i.op = Instr::Op::Binary;
    i.fn = fn_named(op);
    i.a = convert(a, work).reg;
    i.b = convert(b, work).reg;
    Typed r = t;
    r.num = work;
    r = emit(i, r);
    if (truncate) r = convert(r, Num::Int);
    return r;
  }

  // A 0/1 value (int8, NoData where an operand is).
  static Typed flag(bool scalar) {
    Typed t;
    t.num = Num::Int;
    t.ct = CellType{CellKind::Int8, NoDataMode::Constant, 0};
    t.scalar = scalar;
    t.integral = scalar;
    return t;
  }

  Typed compare(const std::string& op, const Typed& a, const Typed& b) {
    const Num work = a.num == Num::Int && b.num == Num::Int ? Num::Int : Num::Double;
    Instr i;
    i.op = Instr::Op::Binary;
    i.fn = fn_named(op);
    i.a = convert(a, work).reg;
    i.b = convert(b, work).reg;
    Typed t = flag(a.scalar && b.scalar);
    // The comparison reads operands of kind `work`; its result is Int.
    Instr c = i;
    c.num = work;
    t.reg = static_cast<int>(p_.regs_.size());
    p_.regs_.push_back(Num::Int);
    c.dst = t.reg;
    p_.code_.push_back(c);
    return t;
  }

  Typed logic(const std::string& op, const Typed& a, const Typed& b) {
    return compare(op, a, b);  // truthiness (!= 0) of each operand, compared as a comparison is
  }

  Typed call(const ExprNode& n) {
    const std::string& f = n.name;
    if (f == "if") {
      const Typed c = build(n.args[0]), a = build(n.args[1]), b = build(n.args[2]);
      bool truncate = false;
      Typed t = combined(a, b, &truncate);
      const Num work = truncate ? Num::Double : t.num;
      Instr i;
      i.op = Instr::Op::Select;
      i.a = c.reg;
      i.b = convert(a, work).reg;
      i.c = convert(b, work).reg;
      i.cond = c.num;
      Typed r = t;
      r.num = work;
      r.scalar = t.scalar && c.scalar;
      r = emit(i, r);
      if (truncate) r = convert(r, Num::Int);
      return r;
    }
    if (f == "isnodata" || f == "isdata") {
      const Typed a = build(n.args[0]);
      Instr i;
      i.op = Instr::Op::Unary;
      i.fn = fn_named(f);
      i.a = a.reg;
      Instr c = i;
      c.num = a.num;  // reads its operand's kind
      Typed t = flag(a.scalar);
      t.ct = t.ct.without_nodata().with_nodata(std::nullopt);
      t.ct = CellType{CellKind::Int8, NoDataMode::Constant, 0};
      t.reg = static_cast<int>(p_.regs_.size());
      p_.regs_.push_back(Num::Int);
      c.dst = t.reg;
      p_.code_.push_back(c);
      return t;
    }
    if (f == "mean") return mean(n);
    if (f == "min" || f == "max") {
      Typed acc = build(n.args[0]);
      for (std::size_t k = 1; k < n.args.size(); ++k) acc = arith(f, acc, build(n.args[k]));
      return acc;
    }
    if (f == "clamp") {
      const Typed v = build(n.args[0]), lo = build(n.args[1]), hi = build(n.args[2]);
      return arith("min", arith("max", v, lo), hi);
    }
    if (f == "pow") return arith("pow", build(n.args[0]), build(n.args[1]));
    // One-argument functions. abs, floor, ceil and round keep Int values Int; the others compute Int
    // values in double and truncate back.
    const Typed a = build(n.args[0]);
    const bool keeps_int = f == "abs" || f == "floor" || f == "ceil" || f == "round";
    const Num work = a.num == Num::Int && keeps_int ? Num::Int : Num::Double;
    Instr i;
    i.op = Instr::Op::Unary;
    i.fn = fn_named(f);
    i.a = convert(a, work).reg;
    Typed t = a;
    t.num = work;
    t = emit(i, t);
    if (a.num == Num::Int && work == Num::Double) t = convert(t, Num::Int);
    return t;
  }

  // The mean of the operands that hold data: their sum with NoData as 0, over the count of data
  // operands (no data operand: a division by 0, NoData).
  Typed mean(const ExprNode& n) {
    std::vector<Typed> xs;
    for (const auto& a : n.args) xs.push_back(build(a));
    if (xs.size() == 1) return xs.front();
    Typed t = xs.front();
    bool any_truncate = false;
    for (std::size_t k = 1; k < xs.size(); ++k) {
      bool truncate = false;
      t = combined(t, xs[k], &truncate);
      any_truncate |= truncate;
    }
    const Num work = any_truncate ? Num::Double : t.num;
    Typed sum = convert(xs.front(), work), count;
    for (std::size_t k = 0; k < xs.size(); ++k) {
      if (k > 0) {
        Instr i;
        i.op = Instr::Op::Binary;
        i.fn = Fn::AddZ;
        i.a = sum.reg;
        i.b = convert(xs[k], work).reg;
        Typed s = sum;
        s.num = work;
        sum = emit(i, s);
      }
      Instr d;
      d.op = Instr::Op::Unary;
      d.fn = Fn::IsData;
      d.a = xs[k].reg;
      d.num = xs[k].num;
      Typed flag_k = flag(false);
      flag_k.reg = static_cast<int>(p_.regs_.size());
      p_.regs_.push_back(Num::Int);
      d.dst = flag_k.reg;
      p_.code_.push_back(d);
      if (k == 0) {
        count = flag_k;
      } else {
        Instr add;
        add.op = Instr::Op::Binary;
        add.fn = Fn::Add;
        add.a = count.reg;
        add.b = flag_k.reg;
        count = emit(add, flag(false));
      }
    }
    Instr div;
    div.op = Instr::Op::Binary;
    div.fn = Fn::Div;
    div.a = sum.reg;
    div.b = convert(count, work).reg;
    Typed r = t;
    r.num = work;
    r = emit(div, r);
    if (any_truncate) r = convert(r, Num::Int);
    return r;
  }

  LocalProgram& p_;
  bool all_double_;
  int layers_ = 0;
  int bands_ = 1;
  std::string bands_from_;
};

namespace {

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
        if (f == Fn::Eq || f == Fn::Ne || f == Fn::Lt || f == Fn::Le || f == Fn::Gt || f == Fn::Ge ||
            f == Fn::And || f == Fn::Or || f == Fn::Xor || f == Fn::Not)
          return exact_range(0, 1);
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

}  // namespace

LocalProgram LocalProgram::compile(const Expression& e, const std::map<std::string, ProgramInput>& inputs,
                                   const std::optional<CellType>& cell_type) {
  LocalProgram p;
  for (const auto& name : e.inputs_used()) {
    const auto it = inputs.find(name);
    if (it == inputs.end()) throw ExpressionError(0, "unknown input '" + name + "'");
    p.names_.push_back(name);
    p.inputs_.push_back(it->second);
  }
  ProgramBuilder b(p, cell_type);
  Typed r = b.build(e.root());
  if (!b.uses_layer()) throw ExpressionError(0, "the expression uses no layer");
  p.result_ = r.reg;
  p.out_ct_ = cell_type ? *cell_type : r.ct;
  p.single_ = single_precision_is_exact(p.code_, p.regs_, p.inputs_, p.result_, p.out_ct_);
  for (const auto& i : p.code_) p.result_read_ |= i.a == p.result_ || i.b == p.result_ || i.c == p.result_;
  p.out_bands_ = 1;
  for (const auto& i : p.code_)
    if (i.op == Instr::Op::Load && i.band < 0)
      p.out_bands_ = std::max(p.out_bands_, p.inputs_[i.input].bands);
  return p;
}

namespace {

// Registers: Int cells are int32 with kIntNoData as NoData; double cells have NaN, and are held as F:
// double, or float where the program allows (LocalProgram::single_precision).
template <class F>
struct Regs {
  std::vector<std::vector<std::int32_t>> i;
  std::vector<std::vector<F>> d;
};
template <class F>
constexpr F kNaNOf = std::numeric_limits<F>::quiet_NaN();

std::int32_t wrap(std::int64_t v) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(v)));
}

std::int32_t to_int(double v) {
  if (std::isnan(v)) return kIntNoData;
  const double t = std::trunc(v);
  if (t >= 2147483647.0) return std::numeric_limits<std::int32_t>::max();
  if (t <= -2147483648.0) return kIntNoData;
  return static_cast<std::int32_t>(t);
}

template <class T, class F>
void load_block(const Tile* t, int band, std::size_t at, int n, Num num, std::int32_t* oi, F* od) {
  if (!t) {
    if (num == Num::Int)
      std::fill(oi, oi + n, kIntNoData);
    else
      std::fill(od, od + n, kNaNOf<F>);
    return;
  }
  const CellType& ct = t->cell_type();
  const T* src = t->band_as<T>(band) + at;
  if constexpr (!std::is_floating_point_v<T>) {
    if (num == Num::Int) {
      const bool nd = ct.has_nodata();
      const T ndv = nd ? static_cast<T>(static_cast<std::int64_t>(ct.nodata())) : T{0};
      for (int k = 0; k < n; ++k)
        oi[k] = nd && src[k] == ndv ? kIntNoData : static_cast<std::int32_t>(src[k]);
      return;
    }
  }
  read_cells(src, static_cast<std::size_t>(n), ct, od);
}

// Applies f to each of n cells: a tight loop per operation, which the compiler vectorises.
template <class F>
void each(int n, F f) {
  for (int k = 0; k < n; ++k) f(k);
}

template <class F>
void run_unary(const Instr& ins, Regs<F>& r, F* dd, int n) {
  const Fn f = ins.fn;
  std::int32_t* di = r.i[ins.dst].empty() ? nullptr : r.i[ins.dst].data();
  if (f == Fn::IsNoData || f == Fn::IsData) {
    const std::int32_t want = f == Fn::IsNoData ? 1 : 0;
    if (ins.num == Num::Int) {
      const std::int32_t* a = r.i[ins.a].data();
      each(n, [&](int k) { di[k] = (a[k] == kIntNoData) == (want == 1) ? 1 : 0; });
    } else {
      const F* a = r.d[ins.a].data();
      each(n, [&](int k) { di[k] = std::isnan(a[k]) == (want == 1) ? 1 : 0; });
    }
    return;
  }
  if (ins.num == Num::Int) {
    const std::int32_t* a = r.i[ins.a].data();
    if (f == Fn::Neg)
      each(n, [&](int k) { di[k] = a[k] == kIntNoData ? kIntNoData : wrap(-std::int64_t{a[k]}); });
    else if (f == Fn::Abs)
      each(n, [&](int k) { di[k] = a[k] == kIntNoData ? kIntNoData : wrap(std::abs(std::int64_t{a[k]})); });
    else  // floor, ceil, round of whole numbers
      std::copy(a, a + n, di);
    return;
  }
  const F* a = r.d[ins.a].data();
  if (f == Fn::Neg)
    each(n, [&](int k) { dd[k] = -a[k]; });
  else if (f == Fn::Abs)
    each(n, [&](int k) { dd[k] = std::fabs(a[k]); });
  else if (f == Fn::Sqrt)
    each(n, [&](int k) { dd[k] = std::sqrt(a[k]); });
  else if (f == Fn::Exp)
    each(n, [&](int k) { dd[k] = std::exp(a[k]); });
  else if (f == Fn::Log)
    each(n, [&](int k) { dd[k] = std::log(a[k]); });
  else if (f == Fn::Log10)
    each(n, [&](int k) { dd[k] = std::log10(a[k]); });
  else if (f == Fn::Floor)
    each(n, [&](int k) { dd[k] = std::floor(a[k]); });
  else if (f == Fn::Ceil)
    each(n, [&](int k) { dd[k] = std::ceil(a[k]); });
  else  // round: half away from zero
    each(n, [&](int k) { dd[k] = std::round(a[k]); });
}

// Comparisons and logic: 0 or 1, NoData where an operand is.
template <class V, class IsNd, class F>
void flags(const V* a, const V* b, std::int32_t* d, int n, IsNd nd, F f) {
  each(n, [&](int k) { d[k] = nd(a[k]) || nd(b[k]) ? kIntNoData : (f(a[k], b[k]) ? 1 : 0); });
}

template <class V, class IsNd>
bool run_compare(Fn f, const V* a, const V* b, std::int32_t* d, int n, IsNd nd) {
  if (f == Fn::Eq)
    flags(a, b, d, n, nd, [](V x, V y) { return x == y; });
  else if (f == Fn::Ne)
    flags(a, b, d, n, nd, [](V x, V y) { return x != y; });
  else if (f == Fn::Lt)
    flags(a, b, d, n, nd, [](V x, V y) { return x < y; });
  else if (f == Fn::Le)
    flags(a, b, d, n, nd, [](V x, V y) { return x <= y; });
  else if (f == Fn::Gt)
    flags(a, b, d, n, nd, [](V x, V y) { return x > y; });
  else if (f == Fn::Ge)
    flags(a, b, d, n, nd, [](V x, V y) { return x >= y; });
  else if (f == Fn::And)
    flags(a, b, d, n, nd, [](V x, V y) { return x != 0 && y != 0; });
  else if (f == Fn::Or)
    flags(a, b, d, n, nd, [](V x, V y) { return x != 0 || y != 0; });
  else if (f == Fn::Xor)
    flags(a, b, d, n, nd, [](V x, V y) { return (x != 0) != (y != 0); });
  else if (f == Fn::Not)
    flags(a, b, d, n, nd, [](V x, V) { return x == 0; });
  else
    return false;
  return true;
}

template <class F>
void run_binary(const Instr& ins, Regs<F>& r, F* d, int n) {
  const Fn f = ins.fn;
  if (ins.num == Num::Int) {
    const std::int32_t *a = r.i[ins.a].data(), *b = r.i[ins.b].data();
    std::int32_t* d = r.i[ins.dst].data();
    auto nd = [](std::int32_t x) { return x == kIntNoData; };
    if (run_compare(f, a, b, d, n, nd)) return;
    // Scala Int arithmetic: wrapping; division truncates toward zero, and by zero is NoData.
    auto arith = [&](auto g) {
      each(n, [&](int k) { d[k] = nd(a[k]) || nd(b[k]) ? kIntNoData : g(a[k], b[k]); });
    };
    if (f == Fn::AddZ) {  // NoData as 0 (mean's sum)
      each(n, [&](int k) { d[k] = wrap(std::int64_t{nd(a[k]) ? 0 : a[k]} + (nd(b[k]) ? 0 : b[k])); });
      return;
    }
    if (f == Fn::Add)
      arith([](std::int64_t x, std::int64_t y) { return wrap(x + y); });
    else if (f == Fn::Sub)
      arith([](std::int64_t x, std::int64_t y) { return wrap(x - y); });
    else if (f == Fn::Mul)
      arith([](std::int64_t x, std::int64_t y) { return wrap(x * y); });
    else if (f == Fn::Div)
      arith([](std::int64_t x, std::int64_t y) { return y == 0 ? kIntNoData : wrap(x / y); });
    else if (f == Fn::Pow)
      arith([](std::int64_t x, std::int64_t y) { return to_int(std::pow(double(x), double(y))); });
    else if (f == Fn::Min)
      arith([](std::int32_t x, std::int32_t y) { return std::min(x, y); });
    else
      arith([](std::int32_t x, std::int32_t y) { return std::max(x, y); });
    return;
  }
  const F *a = r.d[ins.a].data(), *b = r.d[ins.b].data();
  if (!d) {  // a comparison of double values
    run_compare(f, a, b, r.i[ins.dst].data(), n, [](F x) { return std::isnan(x); });
    return;
  }
  constexpr F kNaN = kNaNOf<F>;
  // IEEE arithmetic, NaN propagating; x / 0 is NaN (GeoTrellis), not infinity.
  if (f == Fn::AddZ)
    each(n, [&](int k) { d[k] = (std::isnan(a[k]) ? 0 : a[k]) + (std::isnan(b[k]) ? 0 : b[k]); });
  else if (f == Fn::Add)
    each(n, [&](int k) { d[k] = a[k] + b[k]; });
  else if (f == Fn::Sub)
    each(n, [&](int k) { d[k] = a[k] - b[k]; });
  else if (f == Fn::Mul)
    each(n, [&](int k) { d[k] = a[k] * b[k]; });
  else if (f == Fn::Div)
    each(n, [&](int k) { d[k] = b[k] == 0 ? kNaN : a[k] / b[k]; });
  else if (f == Fn::Pow)
    each(n, [&](int k) { d[k] = std::isnan(a[k]) || std::isnan(b[k]) ? kNaN : std::pow(a[k], b[k]); });
  else if (f == Fn::Min)
    each(n, [&](int k) { d[k] = std::isnan(a[k]) || std::isnan(b[k]) ? kNaN : std::min(a[k], b[k]); });
  else
    each(n, [&](int k) { d[k] = std::isnan(a[k]) || std::isnan(b[k]) ? kNaN : std::max(a[k], b[k]); });
}

// The program's instructions and what they read, for run_block.
struct Code {
  std::span<const Instr> code;
  const std::vector<Num>& regs;
  const std::vector<ProgramInput>& inputs;
  int result;
  const CellType& out_ct;
  // The result is computed in the output tile: it is stored as the registers hold it (float in float
  // mode, double otherwise, NoData NaN) and no instruction reads it.
  bool result_in_place;
};

// One block of n cells at `at` of output band `ob`: every instruction, then the store into `out`.
template <class F>
inline void run_block(const Code& p, std::span<const Tile* const> tiles, Regs<F>& r, int ob, std::size_t at,
                      int n, Tile& out) {
  const auto& regs = p.regs;
  constexpr F kNaN = kNaNOf<F>;
  for (const Instr& ins : p.code) {
    std::int32_t* di = regs[ins.dst] == Num::Int ? r.i[ins.dst].data() : nullptr;
    F* dd = regs[ins.dst] == Num::Double ? r.d[ins.dst].data() : nullptr;
    if (ins.dst == p.result && p.result_in_place) dd = out.band_as<F>(ob) + at;
    switch (ins.op) {
      case Instr::Op::Load: {
        const Tile* t = tiles[static_cast<std::size_t>(ins.input)];
        const int band = ins.band >= 0 ? ins.band : (p.inputs[ins.input].bands == 1 ? 0 : ob);
        const CellKind kind = t ? t->cell_type().kind : CellKind::Int32;
        dispatch_kind(kind, [&](auto tag) { load_block<decltype(tag)>(t, band, at, n, ins.num, di, dd); });
        break;
      }
      case Instr::Op::Const:
        if (di)
          std::fill(di, di + n, static_cast<std::int32_t>(ins.value));
        else
          std::fill(dd, dd + n, static_cast<F>(ins.value));
        break;
      case Instr::Op::ToDouble: {
        const std::int32_t* a = r.i[ins.a].data();
        // The conversion first, then the choice: a form the compiler vectorises.
        for (int k = 0; k < n; ++k) {
          const F v = static_cast<F>(a[k]);
          dd[k] = a[k] == kIntNoData ? kNaN : v;
        }
        break;
      }
      case Instr::Op::ToInt: {
        const F* a = r.d[ins.a].data();
        for (int k = 0; k < n; ++k) di[k] = to_int(a[k]);
        break;
      }
      case Instr::Op::Unary:
        run_unary(ins, r, dd, n);
        break;
      case Instr::Op::Binary:
        run_binary(ins, r, dd, n);
        break;
      case Instr::Op::Select: {
        const bool ci = ins.cond == Num::Int;
        for (int k = 0; k < n; ++k) {
          const bool nd = ci ? r.i[ins.a][k] == kIntNoData : std::isnan(r.d[ins.a][k]);
          const bool yes = ci ? r.i[ins.a][k] != 0 : r.d[ins.a][k] != 0;
          if (di)
            di[k] = nd ? kIntNoData : (yes ? r.i[ins.b][k] : r.i[ins.c][k]);
          else
            dd[k] = nd ? kNaN : (yes ? r.d[ins.b][k] : r.d[ins.c][k]);
        }
        break;
      }
    }
  }
  if (p.result_in_place) return;
  // Store the result in the output's cell type (GeoTrellis' setDouble narrowing).
  dispatch_kind(p.out_ct.kind, [&](auto tag) {
    using T = decltype(tag);
    T* dst = out.band_as<T>(ob) + at;
    if (regs[p.result] == Num::Int) {
      const std::int32_t* v = r.i[p.result].data();
      for (int k = 0; k < n; ++k)
        dst[k] =
            narrow_from_double<T>(v[k] == kIntNoData ? kNaNOf<double> : static_cast<double>(v[k]), p.out_ct);
    } else {
      write_cells(r.d[p.result].data(), static_cast<std::size_t>(n), p.out_ct, dst);
    }
  });
}

template <class F>
void run_blocks(const Code& p, std::span<const Tile* const> tiles, Regs<F>& r, int bands, std::size_t cells,
                Tile& out) {
  for (int ob = 0; ob < bands; ++ob)
    for (std::size_t at = 0; at < cells; at += kBlock)
      run_block(p, tiles, r, ob, at, static_cast<int>(std::min<std::size_t>(kBlock, cells - at)), out);
}

// The block loops, compiled for each instruction set (core/simd.hpp), in double and in float.
TRELLIS_SIMD_CLONES
void run_blocks_double(const Code& p, std::span<const Tile* const> tiles, Regs<double>& r, int bands,
                       std::size_t cells, Tile& out) {
  run_blocks(p, tiles, r, bands, cells, out);
}
TRELLIS_SIMD_CLONES
void run_blocks_float(const Code& p, std::span<const Tile* const> tiles, Regs<float>& r, int bands,
                      std::size_t cells, Tile& out) {
  run_blocks(p, tiles, r, bands, cells, out);
}

template <class F>
Regs<F> registers(const std::vector<Num>& kinds) {
  Regs<F> r;
  r.i.resize(kinds.size());
  r.d.resize(kinds.size());
  for (std::size_t k = 0; k < kinds.size(); ++k) {
    if (kinds[k] == Num::Int)
      r.i[k].resize(kBlock);
    else
      r.d[k].resize(kBlock);
  }
  return r;
}

}  // namespace

Tile LocalProgram::evaluate(std::span<const Tile* const> tiles, int cols, int rows) const {
  Tile out = Tile::uninitialized(out_ct_, cols, rows, out_bands_);  // each block of each band is stored below
  const std::size_t cells = static_cast<std::size_t>(cols) * static_cast<std::size_t>(rows);
  const bool as_held = regs_[result_] == Num::Double && !result_read_ &&
                       out_ct_.mode != NoDataMode::UserDefined &&
                       out_ct_.kind == (single_ ? CellKind::Float32 : CellKind::Float64);
  const Code code{code_, regs_, inputs_, result_, out_ct_, as_held};
  if (single_) {
    Regs<float> r = registers<float>(regs_);
    run_blocks_float(code, tiles, r, out_bands_, cells, out);
  } else {
    Regs<double> r = registers<double>(regs_);
    run_blocks_double(code, tiles, r, out_bands_, cells, out);
  }
  return out;
}

}  // namespace trellis::ops
