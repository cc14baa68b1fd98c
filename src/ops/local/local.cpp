// local: an expression over named tiled layers and numbers (`(nir - red) / (nir + red)`), compiled once
// per step (program.hpp) and evaluated tile by tile on the keys the layers share (GeoTrellis'
// combineValues) or on every key of any of them (`join: union`, the sequence ops).
#include "job/op.hpp"
#include "job/types/expression.hpp"
#include "mpi/skeletons.hpp"
#include "ops/local/joined.hpp"
#include "ops/local/program.hpp"
#include "ops/registry.hpp"

namespace trellis::ops {

namespace {

enum class JoinKind { Inner, Union };
constexpr EnumName<JoinKind> kJoins[] = {{JoinKind::Inner, "inner"}, {JoinKind::Union, "union"}};
std::span<const EnumName<JoinKind>> enum_names(JoinKind) {
  return kJoins;
}

struct LocalArgs {
  Expression expression;
  JoinKind join = JoinKind::Inner;
  std::optional<CellType> cell_type;
  std::int64_t round_mb = 64;
};

void declare(job::Schema<LocalArgs>& s) {
  using A = LocalArgs;
  s.add("expression", &A::expression, "the cells of the result, from the named inputs and numbers")
      .required();
  s.add("join", &A::join,
        "inner: the keys every input has (GeoTrellis combineValues); union: the keys any input has, a "
        "missing tile being NoData");
  s.add("cell_type", &A::cell_type,
        "cell type of the result (default: GeoTrellis' rules); a float type computes in double throughout "
        "(in float where that gives the same cells)");
  s.add("round_mb", &A::round_mb, "MiB of tiles each rank sends per round when the inputs are not aligned")
      .range(1, 1 << 20)
      .site_default(&job::SiteDefaults::round_mb);
}

// The program over the inputs' metadata; its errors point into the expression.
template <class Ctx, class MdOf>
LocalProgram compile(const Ctx& ctx, const LocalArgs& a, MdOf md_of) {
  std::map<std::string, ProgramInput> inputs;
  for (const auto& name : a.expression.inputs_used()) {
    const LayerMetadata& md = md_of(name);
    inputs[name] = {md.cell_type, md.bands};
  }
  try {
    return LocalProgram::compile(a.expression, inputs, a.cell_type);
  } catch (const ExpressionError& e) {
    throw ctx.param_error_within(&LocalArgs::expression, e.offset(), e.what());
  }
}

job::Shape plan(job::PlanContext& ctx, const LocalArgs& a) {
  std::vector<std::pair<std::string, const LayerMetadata*>> mds;
  std::uint64_t tiles = 0;
  bool first = true;
  for (const auto& name : a.expression.inputs_used()) {
    const job::PlannedLayer& l = ctx.input(name).layer();
    mds.emplace_back(name, &l.md);
    tiles = first ? l.tiles : (a.join == JoinKind::Inner ? std::min(tiles, l.tiles) : tiles + l.tiles);
    first = false;
  }
  const LocalProgram p =
      compile(ctx, a, [&](const std::string& n) -> const LayerMetadata& { return ctx.input(n).layer().md; });
  job::Shape s;
  s.kind = job::ValueKind::TiledLayer;
  try {
    s.levels.push_back({joined_metadata(mds, p.cell_type(), p.bands(), a.join == JoinKind::Union), tiles});
  } catch (const JobError& e) {
    throw ctx.params.step_error(e.what());
  }
  const job::PlannedLayer& out = s.levels.front();
  s.levels.front().tiles = std::min<std::uint64_t>(
      tiles, static_cast<std::uint64_t>(out.md.bounds.grid().size()) * out.instants());
  // Tiles received from other ranks when the inputs are not aligned, in rounds.
  s.working_bytes_per_rank = job::round_working_bytes(a.round_mb);
  return s;
}

job::StepValue run(job::StepContext& ctx, const LocalArgs& a) {
  const std::vector<std::string>& names = a.expression.inputs_used();
  std::vector<std::pair<std::string, const LayerMetadata*>> mds;
  for (const auto& n : names) mds.emplace_back(n, &ctx.input_as<TiledLayer>(n).md);
  const LocalProgram p = compile(
      ctx, a, [&](const std::string& n) -> const LayerMetadata& { return ctx.input_as<TiledLayer>(n).md; });
  const LayerMetadata md = joined_metadata(mds, p.cell_type(), p.bands(), a.join == JoinKind::Union);
  const JoinedInputs in =
      join_inputs(ctx, names, a.join == JoinKind::Inner ? mpi::Join::Inner : mpi::Join::Union, a.round_mb);
  const int cols = md.layout.tile_layout.tile_cols, rows = md.layout.tile_layout.tile_rows;
  ctx.progress.begin(in.aligned.keys.size(), "tiles");
  // The program reads its inputs in input_names() order, which is the expression's sorted names.
  TiledLayer out = mpi::map_aligned(
      in.aligned, md,
      [&](const SpaceTimeKey&, std::span<const Tile* const> tiles) {
        Tile t = p.evaluate(tiles, cols, rows);
        ctx.progress.advance();
        return std::optional<Tile>(std::move(t));
      },
      in.consumed);
  return out;
}

const OpRegistration kLocal{job::make_op<LocalArgs>(
    {.name = "local",
     .group = "local",
     .help = "an expression over named layers and numbers, cell by cell: (nir - red) / (nir + red)",
     .doc = R"md(## Semantics

Map algebra as GeoPySpark's layer arithmetic (`layer + 1`, `(nir - red) / (nir + red)`) and GDAL's raster
calculator: `inputs` names the layers, `expression` says what each cell of the result is.

- **Operators**, lowest precedence first: `or`, `xor`, `and`, `not`; comparisons `== != < <= > >=`
  (1 or 0); `+ -`; `* /`; unary `-`. **Functions**: `abs sqrt exp log log10 floor ceil round` (one
  argument), `pow(a, b)`, `min` and `max` (two or more), `mean` (one or more: the mean of the
  operands that hold data, NoData where none does), `clamp(v, low, high)`, `if(cond, a, b)`,
  `isnodata(x)` and `isdata(x)` (1 or 0, never NoData).
- **Bands**: `nir[1]` is band 1 of `nir` (from 1, as in GDAL). A layer named without a band stands for
  all its bands: the result has that many, one-band values are broadcast to each, and layers of
  different band counts must be given bands explicitly.
- **NoData** in any operand gives NoData (`if` is NoData where its condition is).
- **Arithmetic** follows GeoTrellis (../shared/conformance/semantics.md): integer layers compute as
  Scala Int (wrapping; division truncates toward zero, `-10 / 3` is -3; division by 0 is NoData); float
  layers in double (division by 0 is NaN, NoData). A layer with a whole number stays in its arithmetic;
  an integer layer with a decimal number is computed in double and truncated back (`r - 5.7` with r = 54
  is 48). Two layers compute in double when either is a float. `sqrt exp log log10 pow` of integers are
  computed in double and truncated back.
- **Cell type**: GeoTrellis' rules: a layer with a number keeps its cell type; two layers give the union
  of theirs; comparisons and logic give int8. `cell_type` sets it: a float type makes every value a
  double from the start (as converting the inputs first would), so `cell_type: float32` gives a true
  NDVI of integer bands; an integer type converts the result as `convert_data_type` does.
- **Keys**: `join: inner` (default) keeps the keys every input has (GeoTrellis `combineValues`);
  `join: union` keeps the keys any input has, a missing tile counting as NoData. The inputs must share a
  layout and CRS.
- **Memory**: an input no later step reads is freed tile by tile as the result is made, so the result
  reuses its memory: a step holds about its larger layer, not both.
- Errors point at the column inside the expression: `job.yaml:12:23: step 'ndvi' (local): parameter
  'expression': unknown name 'nri' (did you mean 'nir'?)`.

The expression is compiled once per step into a program of whole-block operations (512 cells at a
time, compiled for AVX-512, AVX2 and the x86-64 baseline), never interpreted cell by cell.

On a CPU with AVX-512 or AVX2, a program whose arithmetic is floating point (a `float32` or `float64`
layer, or an integer layer with `cell_type: float32`, as NDVI is) is compiled to machine code instead:
one loop that computes each cell's whole expression in vector registers and stores only the result
(with streaming stores on AVX-512; AVX2 code, for CPUs such as AMD's Zen 2 and 3, uses plain stores and
at most 12 live values). It uses `+ - * /`, unary `-`, `abs`, `sqrt`, `floor`, `ceil`, `min`, `max`, the
comparisons, `and or xor not`, `isnodata`, `isdata` and `if`, so thresholds and masks such as
`if(ndvi > 0.2, ndvi, 0)` or `ndvi > 0.2` (an `int8` of 0 and 1) are compiled, and it gives exactly the
cells of the block program. Integer programs over integer layers (`+ - * /`, `min`, `max`, unary `-`,
`abs`, whole-number constants, the comparisons, the logic, `isnodata`, `isdata` and `if`; `b4 - b3` or
`if(b4 > 100, b4, 0)` over `uint8` bands, say) are compiled too, in 32-bit integer lanes that wrap as
Scala's `Int` does, with the result stored as `int8`, `uint8`, `int16`, `uint16` or `int32`. Anything
else (`exp`, `log`, `pow`, `round`, `mean`, a floating result with user-defined NoData, a comparison
of floating values stored as another integer type) runs as the block program.
`TRELLIS_JIT=0` in the environment turns the machine code off; `TRELLIS_JIT=avx2` asks for AVX2 code
on a CPU that has AVX-512 too (both give the same cells).

Where it gives the same cells, the program computes in float instead of double: half the memory per
value and twice the cells per vector instruction. That is when the result is `float32`, every value
before the last operation is a whole number float holds exactly (inputs of at most 16 bits, whole
constants, and sums, differences and products that stay within 2^24 by interval arithmetic on the
inputs' ranges), and the last operation is one IEEE rounds correctly (`+ - * /`, `sqrt`): its double
result rounded to float32 is then the float result, because rounding twice is harmless for these
operations when double has at least 2 x 24 + 2 bits. NDVI of 8- or 16-bit bands is such a program; an
expression with `exp`, `log`, `pow`, a decimal constant, or a quotient used again is computed in double.
`tests/ops/local_program_test.cpp` checks every pair of uint8 values and random 16-bit values against
the double computation, bit for bit.

## Example

```yaml
- id: ndvi
  op: local
  inputs: {nir: bands, red: bands}
  expression: "(nir[4] - red[3]) / (nir[4] + red[3])"
  cell_type: float32
```
)md",
     .inputs = job::Inputs::Named,
     .accepts = {job::ValueKind::TiledLayer},
     .produces = job::ValueKind::TiledLayer},
    declare, run, plan)};

}  // namespace

}  // namespace trellis::ops
