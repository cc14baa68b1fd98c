// The block evaluator of local programs (program.hpp): each instruction a tight loop over a block of
// cells, compiled for several instruction sets, in double or, where the program allows, in float.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/simd.hpp"
#include "ops/local/program.hpp"
#include "ops/local/program_jit.hpp"

namespace trellis::ops {

namespace {

using Num = LocalProgram::Num;
using Instr = LocalProgram::Instr;
using Fn = LocalProgram::Fn;
// Cells per block: the registers of a program (4 KiB of doubles each) stay in the L1 cache across its
// instructions.
constexpr int kBlock = 512;

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
  if (jit_ && jit_->run(tiles, out)) return out;
  const std::size_t cells = static_cast<std::size_t>(cols) * static_cast<std::size_t>(rows);
  const Code code{code_, regs_, inputs_, result_, out_ct_, result_in_place_};
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
