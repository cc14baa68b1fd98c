// The compiler of local map-algebra programs (program.hpp): typing by GeoTrellis' rules, one instruction
// per node. The block evaluator is program_eval.cpp; the choice of single precision program_precision.cpp.
#include "ops/local/program.hpp"

#include <algorithm>
#include <stdexcept>

#include "ops/local/program_jit.hpp"
#include "ops/local/program_precision.hpp"

namespace trellis::ops {

namespace {

using Num = LocalProgram::Num;
using Instr = LocalProgram::Instr;
using Fn = LocalProgram::Fn;

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
  // A floating result stored as its register holds it (NoData NaN) that no instruction reads is computed
  // straight into the output tile.
  bool result_read = false;
  for (const auto& i : p.code_) result_read |= i.a == p.result_ || i.b == p.result_ || i.c == p.result_;
  p.result_in_place_ = p.regs_[p.result_] == Num::Double && !result_read &&
                       p.out_ct_.mode != NoDataMode::UserDefined &&
                       p.out_ct_.kind == (p.single_ ? CellKind::Float32 : CellKind::Float64);
  p.jit_ =
      ProgramJit::compile({p.code_, p.regs_, p.inputs_, p.result_, p.out_ct_, p.single_, p.result_in_place_});
  p.out_bands_ = 1;
  for (const auto& i : p.code_)
    if (i.op == Instr::Op::Load && i.band < 0)
      p.out_bands_ = std::max(p.out_bands_, p.inputs_[i.input].bands);
  return p;
}

const char* LocalProgram::machine_code_isa() const {
  return jit_ ? jit_->isa() : "";
}

}  // namespace trellis::ops
