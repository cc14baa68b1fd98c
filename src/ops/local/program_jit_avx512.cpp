// The AVX-512 code generator of local programs (program_jit_emit.hpp). One function per program
// (jit::Kernel). A masked pass takes the cells before the output's first aligned vector, the loop 16
// cells (float or int32) or 8 (double) at a time in zmm registers, and a last masked pass the remainder.
#include "ops/local/program_jit_emit.hpp"

#if defined(TRELLIS_HAVE_XBYAK)

#include <bit>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>

#include "core/tile.hpp"

namespace trellis::ops::jit {

namespace {

using namespace Xbyak;
using Instr = LocalProgram::Instr;
using Num = LocalProgram::Num;
using Fn = LocalProgram::Fn;

// Value registers zmm0..zmm27; zmm28 scratch, zmm29 INT_MIN (Int programs), zmm30 zeros, zmm31 NaNs.
constexpr int kValueRegs = 28;
const Zmm kIntMins(29), kZeros(30), kNaNs(31);

// The code of one program. `dbl`: registers hold double (8 lanes), else float (16 lanes); `int_mode`:
// an Int program (int_program()), int32 in 16 lanes.
class Emitter {
 public:
  Emitter(CodeGenerator& m, const ProgramJit::Source& s, bool int_mode)
      : m_(m), s_(s), dbl_(!s.single && !int_mode), int_(int_mode), out_bytes_(s.out_ct.bytes()) {}

  // Throws Xbyak::Error, or std::runtime_error when the program needs more registers than it has.
  void emit() {
    allocate();
    const int lanes = dbl_ ? 8 : 16;
    // Bytes per stored cell: the vector of a whole pass is `lanes` of them (64, 32, 16 or 8 bytes).
    const int cell = out_bytes_, shift = std::countr_zero(static_cast<unsigned>(cell));
    Label aligned, loop, tail, done;
    broadcast(kNaNs, nan_);
    if (int_) m_.vpbroadcastd(kIntMins, m_.ptr[m_.rip + constant(0x80000000u)]);
    m_.vpxord(kZeros, kZeros, kZeros);
    m_.xor_(m_.rcx, m_.rcx);
    // The whole vectors are stored with streaming stores: they go past the caches (the result is not
    // read again soon) and need no read of the line first, which saves a third of the memory traffic
    // of a step. They need aligned addresses, so first a masked pass over the cells before the first
    // aligned vector of the output (r9 of them; at most n).
    m_.mov(m_.r9, m_.rsi);
    m_.neg(m_.r9);
    m_.and_(m_.r9, lanes * cell - 1);
    m_.shr(m_.r9, shift);
    m_.cmp(m_.r9, m_.rdx);
    m_.cmovg(m_.r9, m_.rdx);
    m_.test(m_.r9, m_.r9);
    m_.jz(aligned, CodeGenerator::T_NEAR);
    lanes_mask(m_.r9d);
    body(true, false);
    m_.mov(m_.rcx, m_.r9);
    m_.L(aligned);
    m_.mov(m_.r10, m_.rdx);
    m_.sub(m_.r10, lanes);
    m_.L(loop);
    m_.cmp(m_.rcx, m_.r10);
    m_.jg(tail, CodeGenerator::T_NEAR);
    body(false, true);
    m_.add(m_.rcx, lanes);
    m_.jmp(loop, CodeGenerator::T_NEAR);
    m_.L(tail);
    m_.cmp(m_.rcx, m_.rdx);
    m_.jge(done, CodeGenerator::T_NEAR);
    m_.mov(m_.eax, m_.edx);
    m_.sub(m_.eax, m_.ecx);
    lanes_mask(m_.eax);
    body(true, false);
    m_.L(done);
    m_.sfence();  // the streaming stores are visible to every core before the function returns
    m_.vzeroupper();
    m_.ret();
    constants();
  }

 private:
  // k2: the low `count` lanes (count < lanes).
  void lanes_mask(const Reg32& count) {
    m_.mov(m_.r8d, -1);
    m_.bzhi(m_.r8d, m_.r8d, count);
    m_.kmovw(m_.k2, m_.r8d);
  }

  // zmm register of each program register, by liveness in program order; the Load slots.
  void allocate() {
    // An Int program keeps zmm26 and zmm27 for division (int_divide).
    reg_ = allocate_registers(s_, int_ ? kValueRegs - 2 : kValueRegs);
    int loads = 0;
    for (const Instr& i : s_.code) load_index_.push_back(i.op == Instr::Op::Load ? loads++ : -1);
  }

  Zmm z(int program_reg) const { return Zmm(reg_[static_cast<std::size_t>(program_reg)]); }

  // A constant in the pool after the code: its label.
  Label& constant(std::uint64_t bits) {
    pool_.push_back({bits, std::make_unique<Label>()});
    return *pool_.back().label;
  }
  std::uint64_t lane_bits(double v) const {
    if (dbl_) return std::bit_cast<std::uint64_t>(v);
    return std::bit_cast<std::uint32_t>(static_cast<float>(v));
  }
  void broadcast(const Zmm& d, double v) {
    Label& l = constant(lane_bits(v));
    if (dbl_)
      m_.vbroadcastsd(d, m_.ptr[m_.rip + l]);
    else
      m_.vbroadcastss(d, m_.ptr[m_.rip + l]);
  }
  void constants() {
    m_.align(8);
    for (auto& c : pool_) {
      m_.L(*c.label);
      if (dbl_)
        m_.dq(c.bits);
      else
        m_.dd(static_cast<std::uint32_t>(c.bits));
    }
  }

  // The lanes of a masked (tail) pass are k2; others are all lanes.
  template <class R>
  R masked(R r, bool tail) const {
    if (tail) return r | m_.k2 | m_.T_z;
    return r;
  }

  void body(bool tail, bool streaming) {
    if (int_) return int_body(tail, streaming);
    for (std::size_t j = 0; j < s_.code.size(); ++j) {
      const Instr& i = s_.code[j];
      switch (i.op) {
        case Instr::Op::Load:
          load(i, load_index_[j], tail);
          break;
        case Instr::Op::Const:
          if (i.num == Num::Double) {
            broadcast(z(i.dst), i.value);
          } else {  // an Int constant, held as the interpreter's ToDouble converts it
            const auto v = static_cast<std::int32_t>(i.value);
            broadcast(z(i.dst), v == kIntNoData ? nan_ : static_cast<double>(v));
          }
          break;
        case Instr::Op::ToDouble:  // of a flag or an Int constant, already held converted (supported())
          if (z(i.dst).getIdx() != z(i.a).getIdx()) move(z(i.dst), z(i.a));
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
    store(tail, streaming);
  }

  // dst <- band cells, NoData -> NaN, as read_cells does.
  void load(const Instr& i, int slot, bool tail) {
    const ProgramInput& in = s_.inputs[static_cast<std::size_t>(i.input)];
    const CellType& ct = in.cell_type;
    const Zmm d = z(i.dst);
    auto& g = m_;
    g.mov(g.rax, g.ptr[g.rdi + 8 * slot]);
    auto at = [&](int bytes) { return g.ptr[g.rax + g.rcx * bytes]; };
    dispatch_kind(ct.kind, [&](auto tag) {
      using T = decltype(tag);
      const NoDataTest<T> nd(ct);
      constexpr bool kFloat = std::is_floating_point_v<T>;
      if (!dbl_) {
        // float lanes: integers of at most 16 bits (exact), int32 (rounded as a C++ cast), float32.
        if constexpr (std::is_same_v<T, double>) {
          throw std::runtime_error("float64 input in single precision");
        } else if constexpr (kFloat) {
          g.vmovups(masked(d, tail), at(4));
          if (nd.has_value) blend_nan_where_equal(d, static_cast<double>(nd.value));
        } else {
          if constexpr (sizeof(T) == 4)
            g.vmovdqu32(masked(d, tail), at(4));
          else
            extend_to_int32(masked(d, tail), at(sizeof(T)), sizeof(T), std::is_signed_v<T>);
          Label* ndv = nd.has_value
                           ? &constant(static_cast<std::uint32_t>(static_cast<std::int32_t>(nd.value)))
                           : nullptr;
          if (ndv) g.vpcmpeqd(g.k1, d, g.ptr_b[g.rip + *ndv]);
          g.vcvtdq2ps(d, d);
          if (ndv) g.vmovaps(d | g.k1, kNaNs);
        }
      } else {
        // double lanes: every stored type converts exactly; NoData compared after the conversion.
        const Ymm y(d.getIdx());
        if constexpr (std::is_same_v<T, double>) {
          g.vmovupd(masked(d, tail), at(8));
        } else if constexpr (kFloat) {
          g.vcvtps2pd(masked(d, tail), at(4));
        } else if constexpr (sizeof(T) == 4) {
          g.vcvtdq2pd(masked(d, tail), at(4));
        } else {
          extend_to_int32(masked(y, tail), at(sizeof(T)), sizeof(T), std::is_signed_v<T>);
          g.vcvtdq2pd(d, y);
        }
        if (nd.has_value) blend_nan_where_equal(d, static_cast<double>(nd.value));
      }
    });
  }

  // vpmov[sz]x{bd,wd}: 8- or 16-bit cells widened to int32 lanes of r.
  template <class R>
  void extend_to_int32(const R& r, const Address& a, std::size_t bytes, bool sign) {
    if (bytes == 1)
      sign ? m_.vpmovsxbd(r, a) : m_.vpmovzxbd(r, a);
    else
      sign ? m_.vpmovsxwd(r, a) : m_.vpmovzxwd(r, a);
  }

  void blend_nan_where_equal(const Zmm& d, double v) {
    Label& l = constant(lane_bits(v));
    if (dbl_)
      m_.vcmppd(m_.k1, d, m_.ptr_b[m_.rip + l], 0);  // EQ_OQ
    else
      m_.vcmpps(m_.k1, d, m_.ptr_b[m_.rip + l], 0);
    move_where(d, m_.k1, kNaNs);
  }

  void move_where(const Zmm& d, const Opmask& k, const Zmm& v) {
    if (dbl_)
      m_.vmovapd(d | k, v);
    else
      m_.vmovaps(d | k, v);
  }
  void compare(const Opmask& k, const Zmm& a, const Zmm& b, int pred) {
    if (dbl_)
      m_.vcmppd(k, a, b, static_cast<std::uint8_t>(pred));
    else
      m_.vcmpps(k, a, b, static_cast<std::uint8_t>(pred));
  }

  void unary(const Instr& i) {
    const Zmm d = z(i.dst), a = z(i.a);
    auto& g = m_;
    if (emit_plain(g, dbl_, i.fn, d, a, a)) return;  // sqrt
    switch (i.fn) {
      case Fn::Neg: {  // the sign bit flipped, as C++'s unary minus
        Label& l = constant(dbl_ ? 0x8000000000000000ull : 0x80000000ull);
        dbl_ ? g.vxorpd(d, a, g.ptr_b[g.rip + l]) : g.vxorps(d, a, g.ptr_b[g.rip + l]);
        break;
      }
      case Fn::Abs: {
        Label& l = constant(dbl_ ? 0x7fffffffffffffffull : 0x7fffffffull);
        dbl_ ? g.vandpd(d, a, g.ptr_b[g.rip + l]) : g.vandps(d, a, g.ptr_b[g.rip + l]);
        break;
      }
      case Fn::Floor:  // round toward -inf (1), precision exception suppressed (8)
        dbl_ ? g.vrndscalepd(d, a, 0x09) : g.vrndscaleps(d, a, 0x09);
        break;
      case Fn::Ceil:  // toward +inf
        dbl_ ? g.vrndscalepd(d, a, 0x0A) : g.vrndscaleps(d, a, 0x0A);
        break;
      default:
        throw std::runtime_error("unsupported unary operation");
    }
  }

  void binary(const Instr& i) {
    const Zmm d = z(i.dst), a = z(i.a), b = z(i.b);
    auto& g = m_;
    if (emit_plain(g, dbl_, i.fn, d, a, b)) return;  // + - *
    switch (i.fn) {
      case Fn::Div:  // x / 0 is NaN (GeoTrellis)
        compare(g.k1, b, kZeros, kEqOq);
        dbl_ ? g.vdivpd(d, a, b) : g.vdivps(d, a, b);
        move_where(d, g.k1, kNaNs);
        break;
      case Fn::Min:  // NaN if either is; else std::min(a, b) = b < a ? b : a, which is min(b, a)
        compare(g.k1, a, b, kUnordQ);
        dbl_ ? g.vminpd(d, b, a) : g.vminps(d, b, a);
        move_where(d, g.k1, kNaNs);
        break;
      case Fn::Max:  // std::max(a, b) = a < b ? b : a, which is max(b, a)
        compare(g.k1, a, b, kUnordQ);
        dbl_ ? g.vmaxpd(d, b, a) : g.vmaxps(d, b, a);
        move_where(d, g.k1, kNaNs);
        break;
      default:
        throw std::runtime_error("unsupported binary operation");
    }
  }

  void move(const Zmm& d, const Zmm& a) { dbl_ ? m_.vmovapd(d, a) : m_.vmovaps(d, a); }

  // d <- 1 where `yes`, else 0: a flag as its floating form. Reads no value register.
  void set_flag(const Zmm& d, const Opmask& yes) {
    Label& one = constant(lane_bits(1.0));
    move(d, kZeros);
    dbl_ ? m_.vbroadcastsd(d | yes, m_.ptr[m_.rip + one]) : m_.vbroadcastss(d | yes, m_.ptr[m_.rip + one]);
  }

  // Comparisons and logic: 0 or 1, NoData (NaN) where an operand is, as run_compare computes them. Flag
  // and constant operands are compared in their floating form (exact where supported() allows them).
  void flag(const Instr& i) {
    const Zmm d = z(i.dst), a = z(i.a), b = z(i.b);
    const Opmask yes(3), nodata(4), other(5);
    if (const int pred = comparison_predicate(i.fn); pred >= 0) {
      compare(yes, a, b, pred);
    } else if (i.fn == Fn::Not) {
      compare(yes, a, kZeros, kEqOq);
    } else {  // and, or, xor of the operands' truth (!= 0)
      compare(yes, a, kZeros, kNeqOq);
      compare(other, b, kZeros, kNeqOq);
      if (i.fn == Fn::And)
        m_.kandw(yes, yes, other);
      else if (i.fn == Fn::Or)
        m_.korw(yes, yes, other);
      else
        m_.kxorw(yes, yes, other);
    }
    compare(nodata, a, b, kUnordQ);  // before d is written: d may be a or b
    set_flag(d, yes);
    move_where(d, nodata, kNaNs);
  }

  // isnodata(a), isdata(a): 1 or 0, never NoData.
  void nodata_test(const Instr& i) {
    const Zmm d = z(i.dst), a = z(i.a);
    const Opmask yes(3);
    compare(yes, a, a, i.fn == Fn::IsNoData ? kUnordQ : kOrdQ);
    set_flag(d, yes);
  }

  // if(a, b, c): b where a is neither 0 nor NoData, c where it is 0, NoData where it is NoData.
  void select(const Instr& i) {
    const Zmm d = z(i.dst), a = z(i.a), b = z(i.b), c = z(i.c);
    const Opmask yes(3), nodata(4);
    compare(yes, a, kZeros, kNeqOq);
    compare(nodata, a, a, kUnordQ);
    dbl_ ? m_.vblendmpd(d | yes, c, b) : m_.vblendmps(d | yes, c, b);  // yes ? b : c
    move_where(d, nodata, kNaNs);
  }

  // The result into out + i cells: as the registers hold it, double stored as float32, or a flag stored
  // as int8 (0, 1, NoData -128: NaN truncates to INT_MIN, which saturates to -128), as the interpreter's
  // narrowing stores them.
  void store(bool tail, bool streaming) {
    auto& g = m_;
    const Zmm r = z(s_.result);
    const Address at = tail ? g.ptr[g.rsi + g.rcx * out_bytes_] | g.k2 : g.ptr[g.rsi + g.rcx * out_bytes_];
    if (s_.out_ct.kind == CellKind::Int8) {  // 16 or 8 bytes a pass: plain stores
      if (dbl_) {
        g.vcvttpd2dq(Ymm(28), r);
        g.vpmovsdb(at, Ymm(28));
      } else {
        g.vcvttps2dq(Zmm(28), r);
        g.vpmovsdb(at, Zmm(28));
      }
      return;
    }
    if (out_bytes_ == (dbl_ ? 8 : 4)) {  // the lanes as they are
      if (dbl_)
        streaming ? g.vmovntpd(at, r) : g.vmovupd(at, r);
      else
        streaming ? g.vmovntps(at, r) : g.vmovups(at, r);
      return;
    }
    const Ymm y(28);
    g.vcvtpd2ps(y, r);
    streaming ? g.vmovntps(at, y) : g.vmovups(at, y);
  }

  // k <- where the comparison or logic operation `f` of Int lanes a, b is true (and, or, xor, not: of
  // their truth, != 0), as run_compare computes it.
  void int_truth(const Opmask& k, Fn f, const Zmm& a, const Zmm& b) {
    auto& g = m_;
    switch (f) {
      case Fn::Eq:
        g.vpcmpd(k, a, b, 0);
        break;
      case Fn::Ne:
        g.vpcmpd(k, a, b, 4);
        break;
      case Fn::Lt:
        g.vpcmpd(k, a, b, 1);
        break;
      case Fn::Le:
        g.vpcmpd(k, a, b, 2);
        break;
      case Fn::Gt:
        g.vpcmpd(k, a, b, 6);  // not <=
        break;
      case Fn::Ge:
        g.vpcmpd(k, a, b, 5);  // not <
        break;
      case Fn::Not:
        g.vpcmpd(k, a, kZeros, 0);
        break;
      default: {  // and, or, xor of a != 0 and b != 0
        const Opmask other(5);
        g.vpcmpd(k, a, kZeros, 4);
        g.vpcmpd(other, b, kZeros, 4);
        if (f == Fn::And)
          g.kandw(k, k, other);
        else if (f == Fn::Or)
          g.korw(k, k, other);
        else
          g.kxorw(k, k, other);
      }
    }
  }
  // d <- a / b truncated toward zero, in double: int32 operands convert exactly, and their correctly
  // rounded quotient never rounds across a whole number (a quotient that is not whole lies at least
  // 1 / |b| from one, its rounding error is below |a| / |b| x 2^-53), so truncating it gives the
  // interpreter's quotient. Lanes of a 0 divisor or NoData are the caller's to blend. Uses zmm26, zmm27,
  // zmm28 and zmm31 (NaNs, unused by Int programs).
  void int_divide(const Zmm& d, const Zmm& a, const Zmm& b) {
    auto& g = m_;
    const Zmm lo_a(26), lo_b(27), hi_a(28), hi_b(31);
    const Ymm hi_a_y(28), hi_b_y(31);
    g.vextracti32x8(hi_a_y, a, 1);
    g.vextracti32x8(hi_b_y, b, 1);
    g.vcvtdq2pd(lo_a, Ymm(a.getIdx()));
    g.vcvtdq2pd(lo_b, Ymm(b.getIdx()));
    g.vcvtdq2pd(hi_a, hi_a_y);
    g.vcvtdq2pd(hi_b, hi_b_y);
    g.vdivpd(lo_a, lo_a, lo_b);
    g.vdivpd(hi_a, hi_a, hi_b);
    g.vcvttpd2dq(Ymm(26), lo_a);
    g.vcvttpd2dq(hi_a_y, hi_a);
    g.vinserti32x8(d, lo_a, hi_a_y, 1);
  }

  // d <- 1 where k, else 0.
  void int_flag(const Zmm& d, const Opmask& k) {
    m_.vpmovm2d(d, k);
    m_.vpsrld(d, d, 31);
  }

  // An Int program (int_program()): int32 lanes, NoData INT_MIN, as the interpreter's Int registers.
  void int_body(bool tail, bool streaming) {
    auto& g = m_;
    for (std::size_t j = 0; j < s_.code.size(); ++j) {
      const Instr& i = s_.code[j];
      const Zmm d = z(i.dst);
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
                g.vmovdqu32(masked(d, tail), at);
              else
                extend_to_int32(masked(d, tail), at, sizeof(T), std::is_signed_v<T>);
              if (nd.has_value) {  // NoData -> INT_MIN, compared as int32
                Label& l = constant(static_cast<std::uint32_t>(static_cast<std::int32_t>(nd.value)));
                g.vpcmpeqd(g.k1, d, g.ptr_b[g.rip + l]);
                g.vmovdqa32(d | g.k1, kIntMins);
              }
            } else {
              throw std::runtime_error("not an integer layer");
            }
          });
          break;
        }
        case Instr::Op::Const:
          g.vpbroadcastd(
              d, g.ptr[g.rip + constant(static_cast<std::uint32_t>(static_cast<std::int32_t>(i.value)))]);
          break;
        case Instr::Op::Unary:
          if (i.fn == Fn::IsNoData || i.fn == Fn::IsData) {                  // 1 or 0, never NoData
            g.vpcmpd(g.k3, z(i.a), kIntMins, i.fn == Fn::IsNoData ? 0 : 4);  // EQ, NE
            int_flag(d, g.k3);
          } else if (i.fn == Fn::Neg) {  // -INT_MIN and |INT_MIN| wrap to INT_MIN: NoData stays NoData
            g.vpsubd(d, kZeros, z(i.a));
          } else {
            g.vpabsd(d, z(i.a));
          }
          break;
        case Instr::Op::Binary: {
          const Zmm a = z(i.a), b = z(i.b);
          g.vpcmpeqd(g.k1, a, kIntMins);  // NoData where either operand is; before d is written
          g.vpcmpeqd(g.k3, b, kIntMins);
          g.korw(g.k1, g.k1, g.k3);
          if (LocalProgram::gives_flag(i.fn)) {
            int_truth(g.k3, i.fn, a, b);
            int_flag(d, g.k3);
          } else if (i.fn == Fn::Div) {
            // x / 0 is NoData (the truncation of its infinite or NaN quotient is INT_MIN too: the mask
            // says so, the tests cannot tell the two apart)
            g.vpcmpeqd(g.k3, b, kZeros);
            g.korw(g.k1, g.k1, g.k3);
            int_divide(d, a, b);
          } else {
            emit_int(g, i.fn, d, a, b);
          }
          g.vmovdqa32(d | g.k1, kIntMins);
          break;
        }
        case Instr::Op::Select: {  // if(a, b, c): NoData where a is, b where a != 0, else c
          const Zmm a = z(i.a);
          g.vpcmpeqd(g.k1, a, kIntMins);
          g.vpcmpd(g.k3, a, kZeros, 4);  // NE
          g.vpblendmd(d | g.k3, z(i.c), z(i.b));
          g.vmovdqa32(d | g.k1, kIntMins);
          break;
        }
        default:
          throw std::runtime_error("unsupported instruction");
      }
    }
    // The result: NoData as the type's NoData (0 without one), the rest truncated to the type, as
    // narrow_from_double wraps them.
    const Zmm t(28);
    g.vmovdqa32(t, z(s_.result));
    const std::int64_t nd = s_.out_ct.has_nodata() ? static_cast<std::int64_t>(s_.out_ct.nodata()) : 0;
    if (nd != kIntNoData) {
      g.vpcmpeqd(g.k1, t, kIntMins);
      g.vpbroadcastd(t | g.k1,
                     g.ptr[g.rip + constant(static_cast<std::uint32_t>(static_cast<std::int32_t>(nd)))]);
    }
    const Address at = tail ? g.ptr[g.rsi + g.rcx * out_bytes_] | g.k2 : g.ptr[g.rsi + g.rcx * out_bytes_];
    if (out_bytes_ == 1)
      g.vpmovdb(at, t);
    else if (out_bytes_ == 2)
      g.vpmovdw(at, t);
    else
      streaming ? g.vmovntdq(at, t) : g.vmovdqu32(at, t);
  }

  struct Pooled {
    std::uint64_t bits;
    std::unique_ptr<Label> label;
  };
  CodeGenerator& m_;
  const ProgramJit::Source& s_;
  bool dbl_;
  bool int_;
  int out_bytes_;  // bytes per stored cell (the output's cell type)
  std::vector<int> reg_;
  std::vector<int> load_index_;
  std::vector<Pooled> pool_;
  static constexpr double nan_ = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace

void emit_avx512(CodeGenerator& m, const ProgramJit::Source& s, bool int_mode) {
  Emitter(m, s, int_mode).emit();
}

}  // namespace trellis::ops::jit

#endif
