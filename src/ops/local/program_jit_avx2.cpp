// The AVX2 code generator of local programs (program_jit_emit.hpp): the AVX-512 generator's operations
// in ymm registers, 8 float, 8 int32 (Int programs) or 4 double lanes, without mask registers. Comparisons
// give vector masks (all ones where true), which vblendvp[sd] uses as the AVX-512 code uses k registers. The
// kernel takes whole vectors only, with plain (unaligned) loads and stores; run() passes a last partial
// vector through scratch, so no masked pass is needed.
#include "ops/local/program_jit_emit.hpp"

#if defined(TRELLIS_HAVE_XBYAK)

#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>

#include "core/tile.hpp"

namespace trellis::ops::jit {

namespace {

using namespace Xbyak;
using Instr = LocalProgram::Instr;
using Num = LocalProgram::Num;
using Fn = LocalProgram::Fn;

// Value registers ymm0..ymm11; ymm12 and ymm13 hold masks and conversions, ymm14 zeros, ymm15 NaNs (or,
// in an Int program, INT_MIN, its NoData).
constexpr int kValueRegs = 12;
const Ymm kT1(12), kT2(13), kZeros(14), kNaNs(15), kIntMins(15);

class Avx2Emitter {
 public:
  Avx2Emitter(CodeGenerator& m, const ProgramJit::Source& s, bool int_mode)
      : m_(m),
        s_(s),
        dbl_(!s.single && !int_mode),
        int_(int_mode),
        lanes_(dbl_ ? 4 : 8),
        out_bytes_(s.out_ct.bytes()) {}

  void emit() {
    // An Int program keeps ymm10 and ymm11 for division.
    reg_ = allocate_registers(s_, int_ ? kValueRegs - 2 : kValueRegs);
    int loads = 0;
    for (const Instr& i : s_.code) load_index_.push_back(i.op == Instr::Op::Load ? loads++ : -1);
    Label loop, done;
    if (int_)
      m_.vmovdqa(kIntMins, vec(constant_bits(0x80000000u)));
    else if (dbl_)
      m_.vbroadcastsd(kNaNs, m_.ptr[m_.rip + constant(nan_)]);
    else
      m_.vbroadcastss(kNaNs, m_.ptr[m_.rip + constant(nan_)]);
    m_.vxorps(kZeros, kZeros, kZeros);
    m_.xor_(m_.rcx, m_.rcx);
    m_.mov(m_.r10, m_.rdx);
    m_.sub(m_.r10, lanes_);  // the last whole vector starts at n - lanes (negative: none)
    m_.L(loop);
    m_.cmp(m_.rcx, m_.r10);
    m_.jg(done, CodeGenerator::T_NEAR);
    body();
    m_.add(m_.rcx, lanes_);
    m_.jmp(loop, CodeGenerator::T_NEAR);
    m_.L(done);
    m_.vzeroupper();
    m_.ret();
    constants();
  }

 private:
  Ymm y(int program_reg) const { return Ymm(reg_[static_cast<std::size_t>(program_reg)]); }

  // A vector of `v` in every lane (as float or double), in the pool after the code: its label.
  Label& constant(double v) {
    return constant_bits(dbl_ ? std::bit_cast<std::uint64_t>(v)
                              : std::bit_cast<std::uint32_t>(static_cast<float>(v)));
  }
  Label& constant_bits(std::uint64_t lane_bits) {
    pool_.push_back({lane_bits, {}, std::make_unique<Label>()});
    return *pool_.back().label;
  }
  // 32 bytes given one by one (vpshufb's patterns).
  Label& constant_bytes(const std::array<std::uint8_t, 32>& bytes) {
    pool_.push_back({0, bytes, std::make_unique<Label>()});
    return *pool_.back().label;
  }
  void constants() {
    m_.align(32);
    for (auto& c : pool_) {
      m_.L(*c.label);
      if (c.bytes) {
        for (std::uint8_t b : *c.bytes) m_.db(b);
        continue;
      }
      for (int l = 0; l < lanes_; ++l) dbl_ ? m_.dq(c.bits) : m_.dd(static_cast<std::uint32_t>(c.bits));
    }
  }
  Address vec(Label& l) { return m_.ptr[m_.rip + l]; }

  void body() {
    if (int_) return int_body();
    for (std::size_t j = 0; j < s_.code.size(); ++j) {
      const Instr& i = s_.code[j];
      switch (i.op) {
        case Instr::Op::Load:
          load(i, load_index_[j]);
          break;
        case Instr::Op::Const:
          if (i.num == Num::Double) {
            move(y(i.dst), vec(constant(i.value)));
          } else {  // an Int constant, held as the interpreter's ToDouble converts it
            const auto v = static_cast<std::int32_t>(i.value);
            move(y(i.dst), vec(constant(v == kIntNoData ? nan_ : static_cast<double>(v))));
          }
          break;
        case Instr::Op::ToDouble:  // of a flag or an Int constant, already held converted
          if (y(i.dst).getIdx() != y(i.a).getIdx()) move(y(i.dst), y(i.a));
          break;
        case Instr::Op::Unary:
          if (i.fn == Fn::IsNoData || i.fn == Fn::IsData)
            nodata_test(i);
          else
            unary(i);
          break;
        case Instr::Op::Binary:
          if (LocalProgram::gives_flag(i.fn))
            flag(i);
          else
            binary(i);
          break;
        case Instr::Op::Select:
          select(i);
          break;
        default:
          throw std::runtime_error("unsupported instruction");
      }
    }
    store();
  }

  // dst <- band cells, NoData -> NaN, as read_cells does (and as the AVX-512 code loads them).
  void load(const Instr& i, int slot) {
    const CellType& ct = s_.inputs[static_cast<std::size_t>(i.input)].cell_type;
    const Ymm d = y(i.dst);
    const Xmm x(d.getIdx());
    auto& g = m_;
    g.mov(g.rax, g.ptr[g.rdi + 8 * slot]);
    auto at = [&](int bytes) { return g.ptr[g.rax + g.rcx * bytes]; };
    dispatch_kind(ct.kind, [&](auto tag) {
      using T = decltype(tag);
      const NoDataTest<T> nd(ct);
      constexpr bool kFloat = std::is_floating_point_v<T>;
      if (!dbl_) {
        // float lanes: integers of at most 16 bits (exact), int32 (rounded as a C++ cast), float32;
        // integer NoData is compared before the conversion, as int32.
        if constexpr (std::is_same_v<T, double>) {
          throw std::runtime_error("float64 input in single precision");
        } else if constexpr (kFloat) {
          g.vmovups(d, at(4));
          if (nd.has_value) nan_where_equal(d, static_cast<double>(nd.value));
        } else {
          if constexpr (sizeof(T) == 4)
            g.vmovdqu(d, at(4));
          else
            extend_to_int32(d, at(sizeof(T)), sizeof(T), std::is_signed_v<T>);
          if (nd.has_value) {
            Label& l = constant_bits(static_cast<std::uint32_t>(static_cast<std::int32_t>(nd.value)));
            g.vpcmpeqd(kT1, d, vec(l));
          }
          g.vcvtdq2ps(d, d);
          if (nd.has_value) g.vblendvps(d, d, kNaNs, kT1);
        }
      } else {
        // double lanes: every stored type converts exactly; NoData compared after the conversion.
        if constexpr (std::is_same_v<T, double>) {
          g.vmovupd(d, at(8));
        } else if constexpr (kFloat) {
          g.vcvtps2pd(d, at(4));
        } else if constexpr (sizeof(T) == 4) {
          g.vcvtdq2pd(d, at(4));
        } else {
          extend_to_int32(x, at(sizeof(T)), sizeof(T), std::is_signed_v<T>);
          g.vcvtdq2pd(d, x);
        }
        if (nd.has_value) nan_where_equal(d, static_cast<double>(nd.value));
      }
    });
  }

  // vpmov[sz]x{bd,wd}: 8- or 16-bit cells widened to the int32 lanes of r (ymm: 8, xmm: 4).
  void extend_to_int32(const Xmm& r, const Address& a, std::size_t bytes, bool sign) {
    if (bytes == 1)
      sign ? m_.vpmovsxbd(r, a) : m_.vpmovzxbd(r, a);
    else
      sign ? m_.vpmovsxwd(r, a) : m_.vpmovzxwd(r, a);
  }

  void compare(const Ymm& mask, const Ymm& a, const Operand& b, int pred) {
    dbl_ ? m_.vcmppd(mask, a, b, static_cast<std::uint8_t>(pred))
         : m_.vcmpps(mask, a, b, static_cast<std::uint8_t>(pred));
  }
  // d <- v where mask, else d.
  void move_where(const Ymm& d, const Ymm& mask, const Ymm& v) {
    dbl_ ? m_.vblendvpd(d, d, v, mask) : m_.vblendvps(d, d, v, mask);
  }
  void nan_where_equal(const Ymm& d, double v) {
    compare(kT1, d, vec(constant(v)), kEqOq);
    move_where(d, kT1, kNaNs);
  }
  void move(const Ymm& d, const Operand& a) { dbl_ ? m_.vmovapd(d, a) : m_.vmovaps(d, a); }

  void unary(const Instr& i) {
    const Ymm d = y(i.dst), a = y(i.a);
    auto& g = m_;
    if (emit_plain(g, dbl_, i.fn, d, a, a)) return;  // sqrt
    switch (i.fn) {
      case Fn::Neg: {  // the sign bit flipped, as C++'s unary minus
        Label& l = constant_bits(dbl_ ? 0x8000000000000000ull : 0x80000000ull);
        dbl_ ? g.vxorpd(d, a, vec(l)) : g.vxorps(d, a, vec(l));
        break;
      }
      case Fn::Abs: {
        Label& l = constant_bits(dbl_ ? 0x7fffffffffffffffull : 0x7fffffffull);
        dbl_ ? g.vandpd(d, a, vec(l)) : g.vandps(d, a, vec(l));
        break;
      }
      case Fn::Floor:  // round toward -inf (1), precision exception suppressed (8)
        dbl_ ? g.vroundpd(d, a, 0x09) : g.vroundps(d, a, 0x09);
        break;
      case Fn::Ceil:  // toward +inf
        dbl_ ? g.vroundpd(d, a, 0x0A) : g.vroundps(d, a, 0x0A);
        break;
      default:
        throw std::runtime_error("unsupported unary operation");
    }
  }

  void binary(const Instr& i) {
    const Ymm d = y(i.dst), a = y(i.a), b = y(i.b);
    auto& g = m_;
    if (emit_plain(g, dbl_, i.fn, d, a, b)) return;  // + - *
    switch (i.fn) {
      case Fn::Div:  // x / 0 is NaN (GeoTrellis)
        compare(kT1, b, kZeros, kEqOq);
        dbl_ ? g.vdivpd(d, a, b) : g.vdivps(d, a, b);
        move_where(d, kT1, kNaNs);
        break;
      case Fn::Min:  // NaN if either is; else std::min(a, b) = b < a ? b : a, which is min(b, a)
        compare(kT1, a, b, kUnordQ);
        dbl_ ? g.vminpd(d, b, a) : g.vminps(d, b, a);
        move_where(d, kT1, kNaNs);
        break;
      case Fn::Max:  // std::max(a, b) = a < b ? b : a, which is max(b, a)
        compare(kT1, a, b, kUnordQ);
        dbl_ ? g.vmaxpd(d, b, a) : g.vmaxps(d, b, a);
        move_where(d, kT1, kNaNs);
        break;
      default:
        throw std::runtime_error("unsupported binary operation");
    }
  }

  // d <- 1.0 where the mask `yes` is set, else 0.0.
  void set_flag(const Ymm& d, const Ymm& yes) {
    dbl_ ? m_.vandpd(d, yes, vec(constant(1.0))) : m_.vandps(d, yes, vec(constant(1.0)));
  }

  // Comparisons and logic: 0 or 1, NoData (NaN) where an operand is; both masks before d is written
  // (d may be a or b).
  void flag(const Instr& i) {
    const Ymm d = y(i.dst), a = y(i.a), b = y(i.b);
    if (const int pred = comparison_predicate(i.fn); pred >= 0) {
      compare(kT1, a, b, pred);
    } else if (i.fn == Fn::Not) {
      compare(kT1, a, kZeros, kEqOq);
    } else {  // and, or, xor of the operands' truth (!= 0)
      compare(kT1, a, kZeros, kNeqOq);
      compare(kT2, b, kZeros, kNeqOq);
      if (i.fn == Fn::And)
        m_.vandps(kT1, kT1, kT2);
      else if (i.fn == Fn::Or)
        m_.vorps(kT1, kT1, kT2);
      else
        m_.vxorps(kT1, kT1, kT2);
    }
    compare(kT2, a, b, kUnordQ);
    set_flag(d, kT1);
    move_where(d, kT2, kNaNs);
  }

  // isnodata(a), isdata(a): 1 or 0, never NoData.
  void nodata_test(const Instr& i) {
    compare(kT1, y(i.a), y(i.a), i.fn == Fn::IsNoData ? kUnordQ : kOrdQ);
    set_flag(y(i.dst), kT1);
  }

  // if(a, b, c): b where a is neither 0 nor NoData, c where it is 0, NoData where it is NoData.
  void select(const Instr& i) {
    const Ymm d = y(i.dst), a = y(i.a), b = y(i.b), c = y(i.c);
    compare(kT1, a, kZeros, kNeqOq);
    compare(kT2, a, a, kUnordQ);
    dbl_ ? m_.vblendvpd(d, c, b, kT1) : m_.vblendvps(d, c, b, kT1);  // yes ? b : c
    move_where(d, kT2, kNaNs);
  }

  // The result into out + rcx cells, as the AVX-512 code stores it: as the registers hold it, double
  // stored as float32, or a flag stored as int8 (NaN truncates to INT_MIN, which the two saturating
  // packs take to -128).
  void store() {
    auto& g = m_;
    const Ymm r = y(s_.result);
    const Address at = g.ptr[g.rsi + g.rcx * out_bytes_];
    const Xmm x1(kT1.getIdx());
    if (s_.out_ct.kind == CellKind::Int8) {
      // Flags are stored as int8 from double lanes only (program_precision.hpp keeps float lanes for
      // float32 results); anything else is left to the interpreter.
      if (!dbl_) throw std::runtime_error("int8 result in single precision");
      g.vcvttpd2dq(x1, r);
      g.vpackssdw(x1, x1, x1);
      g.vpacksswb(x1, x1, x1);
      g.vmovd(at, x1);
      return;
    }
    if (out_bytes_ == (dbl_ ? 8 : 4)) {
      dbl_ ? g.vmovupd(at, r) : g.vmovups(at, r);
      return;
    }
    g.vcvtpd2ps(x1, r);
    g.vmovups(at, x1);
  }

  // mask <- all ones where the comparison or logic operation `f` of Int lanes a, b is true (and, or,
  // xor, not: of their truth, != 0), as run_compare computes it. Writes `mask` and kT2.
  void int_truth(const Ymm& mask, Fn f, const Ymm& a, const Ymm& b) {
    auto& g = m_;
    // All ones, pooled only where a mask is inverted.
    auto ones = [&] { return vec(constant_bits(0xffffffffu)); };
    switch (f) {
      case Fn::Eq:
        g.vpcmpeqd(mask, a, b);
        break;
      case Fn::Ne:
        g.vpcmpeqd(mask, a, b);
        g.vpxor(mask, mask, ones());
        break;
      case Fn::Gt:
        g.vpcmpgtd(mask, a, b);
        break;
      case Fn::Lt:
        g.vpcmpgtd(mask, b, a);
        break;
      case Fn::Le:
        g.vpcmpgtd(mask, a, b);
        g.vpxor(mask, mask, ones());
        break;
      case Fn::Ge:
        g.vpcmpgtd(mask, b, a);
        g.vpxor(mask, mask, ones());
        break;
      case Fn::Not:
        g.vpcmpeqd(mask, a, kZeros);
        break;
      default:  // and, or, xor of a != 0 and b != 0, from a == 0 (mask) and b == 0 (kT2)
        g.vpcmpeqd(mask, a, kZeros);
        g.vpcmpeqd(kT2, b, kZeros);
        if (f == Fn::Xor) {  // (a != 0) != (b != 0)  <=>  (a == 0) != (b == 0)
          g.vpxor(mask, mask, kT2);
        } else {
          f == Fn::And ? g.vpor(mask, mask, kT2) : g.vpand(mask, mask, kT2);  // and: neither is 0
          g.vpxor(mask, mask, ones());
        }
    }
  }

  // d <- a / b truncated toward zero, in double (exact: see the AVX-512 generator's int_divide); NoData
  // where either is NoData or b is 0. Written last: d may be a or b. Uses kT1, kT2, ymm10 and ymm11.
  void int_divide(const Ymm& d, const Ymm& a, const Ymm& b) {
    auto& g = m_;
    const Ymm hi_a(10), hi_b(11);
    const Xmm x1(kT1.getIdx()), hi_a_x(10), hi_b_x(11);
    g.vextracti128(hi_a_x, a, 1);
    g.vextracti128(hi_b_x, b, 1);
    g.vcvtdq2pd(hi_a, hi_a_x);
    g.vcvtdq2pd(hi_b, hi_b_x);
    g.vdivpd(hi_a, hi_a, hi_b);
    g.vcvttpd2dq(hi_a_x, hi_a);
    g.vcvtdq2pd(kT1, Xmm(a.getIdx()));
    g.vcvtdq2pd(kT2, Xmm(b.getIdx()));
    g.vdivpd(kT1, kT1, kT2);
    g.vcvttpd2dq(x1, kT1);
    g.vinserti128(kT1, kT1, hi_a_x, 1);  // the quotients
    g.vpcmpeqd(kT2, b, kZeros);          // NoData: b is 0, or either is NoData (min(a, b) is INT_MIN)
    g.vpminsd(hi_b, a, b);
    g.vpcmpeqd(hi_b, hi_b, kIntMins);
    g.vpor(kT2, kT2, hi_b);
    g.vpblendvb(d, kT1, kIntMins, kT2);
  }

  // An Int program (int_program()): int32 lanes, NoData INT_MIN, as the AVX-512 code computes it.
  void int_body() {
    auto& g = m_;
    for (std::size_t j = 0; j < s_.code.size(); ++j) {
      const Instr& i = s_.code[j];
      const Ymm d = y(i.dst);
      switch (i.op) {
        case Instr::Op::Load: {
          const CellType& ct = s_.inputs[static_cast<std::size_t>(i.input)].cell_type;
          g.mov(g.rax, g.ptr[g.rdi + 8 * load_index_[j]]);
          dispatch_kind(ct.kind, [&](auto tag) {
            using T = decltype(tag);
            if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
              const NoDataTest<T> nd(ct);
              const Address at = g.ptr[g.rax + g.rcx * static_cast<int>(sizeof(T))];
              if constexpr (sizeof(T) == 4)
                g.vmovdqu(d, at);
              else
                extend_to_int32(d, at, sizeof(T), std::is_signed_v<T>);
              if (nd.has_value) {  // NoData -> INT_MIN, compared as int32
                g.vpcmpeqd(
                    kT1, d,
                    vec(constant_bits(static_cast<std::uint32_t>(static_cast<std::int32_t>(nd.value)))));
                g.vpblendvb(d, d, kIntMins, kT1);
              }
            } else {
              throw std::runtime_error("not an integer layer");
            }
          });
          break;
        }
        case Instr::Op::Const:
          g.vmovdqa(d, vec(constant_bits(static_cast<std::uint32_t>(static_cast<std::int32_t>(i.value)))));
          break;
        case Instr::Op::Unary:
          if (i.fn == Fn::IsNoData || i.fn == Fn::IsData) {  // 1 or 0, never NoData
            g.vpcmpeqd(kT1, y(i.a), kIntMins);
            if (i.fn == Fn::IsData) g.vpxor(kT1, kT1, vec(constant_bits(0xffffffffu)));
            g.vpsrld(d, kT1, 31);
          } else if (i.fn == Fn::Neg) {  // -INT_MIN and |INT_MIN| wrap to INT_MIN: NoData stays NoData
            g.vpsubd(d, kZeros, y(i.a));
          } else {
            g.vpabsd(d, y(i.a));
          }
          break;
        case Instr::Op::Binary: {
          const Ymm a = y(i.a), b = y(i.b);
          if (LocalProgram::gives_flag(i.fn)) {  // d is written last: it may be a or b
            int_truth(kT1, i.fn, a, b);
            g.vpsrld(kT1, kT1, 31);
            // NoData where either operand is: INT_MIN is the least int32, so where min(a, b) is.
            g.vpminsd(kT2, a, b);
            g.vpcmpeqd(kT2, kT2, kIntMins);
            g.vpblendvb(d, kT1, kIntMins, kT2);
            break;
          }
          if (i.fn == Fn::Div) {
            int_divide(d, a, b);
            break;
          }
          g.vpcmpeqd(kT1, a, kIntMins);  // NoData where either operand is; before d is written
          g.vpcmpeqd(kT2, b, kIntMins);
          g.vpor(kT1, kT1, kT2);
          emit_int(g, i.fn, d, a, b);
          g.vpblendvb(d, d, kIntMins, kT1);
          break;
        }
        case Instr::Op::Select: {  // if(a, b, c): NoData where a is, c where a == 0, else b
          const Ymm a = y(i.a);
          g.vpcmpeqd(kT1, a, kZeros);
          g.vpcmpeqd(kT2, a, kIntMins);
          g.vpblendvb(d, y(i.b), y(i.c), kT1);
          g.vpblendvb(d, d, kIntMins, kT2);
          break;
        }
        default:
          throw std::runtime_error("unsupported instruction");
      }
    }
    // The result: NoData as the type's NoData (0 without one), the rest truncated to the type (the low
    // bytes of each lane gathered by vpshufb within each 128-bit half, then the halves joined).
    const Ymm r = y(s_.result);
    const Xmm x1(kT1.getIdx()), x2(kT2.getIdx());
    const std::int64_t nd = s_.out_ct.has_nodata() ? static_cast<std::int64_t>(s_.out_ct.nodata()) : 0;
    g.vpcmpeqd(kT2, r, kIntMins);
    g.vpblendvb(kT1, r, vec(constant_bits(static_cast<std::uint32_t>(static_cast<std::int32_t>(nd)))), kT2);
    const Address at = g.ptr[g.rsi + g.rcx * out_bytes_];
    if (out_bytes_ == 4) {
      g.vmovdqu(at, kT1);
      return;
    }
    std::array<std::uint8_t, 32> pick{};
    pick.fill(0x80);  // zero
    for (int half = 0; half < 2; ++half)
      for (int k = 0; k < 4; ++k)
        for (int b = 0; b < out_bytes_; ++b)
          pick[16 * half + out_bytes_ * k + b] = static_cast<std::uint8_t>(4 * k + b);
    g.vpshufb(kT1, kT1, vec(constant_bytes(pick)));
    g.vextracti128(x2, kT1, 1);
    if (out_bytes_ == 1) {
      g.vpunpckldq(x1, x1, x2);
      g.vmovq(at, x1);
    } else {
      g.vpunpcklqdq(x1, x1, x2);
      g.vmovdqu(at, x1);
    }
  }

  struct Pooled {
    std::uint64_t bits;
    std::optional<std::array<std::uint8_t, 32>> bytes;
    std::unique_ptr<Label> label;
  };
  CodeGenerator& m_;
  const ProgramJit::Source& s_;
  bool dbl_;
  bool int_;
  int lanes_;
  int out_bytes_;
  std::vector<int> reg_;
  std::vector<int> load_index_;
  std::vector<Pooled> pool_;
  static constexpr double nan_ = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace

void emit_avx2(CodeGenerator& m, const ProgramJit::Source& s, bool int_mode) {
  Avx2Emitter(m, s, int_mode).emit();
}

}  // namespace trellis::ops::jit

#endif
