// GeoPySpark's local operations as thin ops over local's engine (program.hpp): local_add,
// local_subtract, local_multiply and local_divide (a layer with a number, `reverse` for the number
// first, or several layers by key), and the sequence ops local_max, local_min, local_sum and
// local_mean over several layers (GeoTrellis' localMax(Seq) and friends: every key any layer has,
// each key over the tiles it has).
#include <charconv>
#include <mutex>

#include "job/op.hpp"
#include "mpi/skeletons.hpp"
#include "ops/local/joined.hpp"
#include "ops/local/program.hpp"
#include "ops/registry.hpp"

namespace trellis {

namespace ops {
// A number as the job writes it: `5` is an Int constant, `5.0` a Double one (GeoTrellis' rules differ).
struct Scalar {
  double value = 0;
  std::string text;
};
}  // namespace ops

namespace job {
template <>
struct ParamTraits<ops::Scalar> {
  static constexpr ParamType shape = ParamType::String;
  static std::string type_name() { return "number"; }
  static ops::Scalar parse(const ParamValue& v, const ValueContext& c) {
    const std::string s = v.as_string();
    double d = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(d))
      c.fail(v.mark, "'" + s + "' is not a number");
    return {d, s};
  }
};
}  // namespace job

namespace ops {

namespace {

enum class Fold { Add, Subtract, Multiply, Divide, Max, Min, Sum, Mean };

struct ThinArgs {
  std::optional<Scalar> value;
  bool reverse = false;
  std::int64_t round_mb = 64;
};

void declare_binary(job::Schema<ThinArgs>& s) {
  s.add("value", &ThinArgs::value,
        "a number to combine with the layer (`5` computes as an integer with integer layers, `5.0` as a "
        "double); without it, the named inputs are combined");
  s.add("reverse", &ThinArgs::reverse,
        "the number first: value - layer, value / layer (GeoPySpark's 5 - layer)");
  s.add("round_mb", &ThinArgs::round_mb,
        "MiB of tiles each rank sends per round when the inputs are not aligned")
      .range(1, 1 << 20)
      .site_default(&job::SiteDefaults::round_mb);
}

void declare_sequence(job::Schema<ThinArgs>& s) {
  s.add("value", &ThinArgs::value,
        "a number taken with the one input as another layer would be (local_max: the larger of each cell and "
        "the number)");
  s.add("round_mb", &ThinArgs::round_mb,
        "MiB of tiles each rank sends per round when the inputs are not aligned")
      .range(1, 1 << 20)
      .site_default(&job::SiteDefaults::round_mb);
}

const char* symbol(Fold f) {
  switch (f) {
    case Fold::Add:
    case Fold::Sum:
      return " + ";
    case Fold::Subtract:
      return " - ";
    case Fold::Multiply:
      return " * ";
    case Fold::Divide:
      return " / ";
    default:
      return "";
  }
}

// The expression of `f` over `names` (in order) and the number, if any.
std::string expression_of(Fold f, const std::vector<std::string>& names, const ThinArgs& a) {
  std::vector<std::string> terms = names;
  if (a.value) {
    if (a.reverse)
      terms.insert(terms.begin(), "(" + a.value->text + ")");
    else
      terms.push_back("(" + a.value->text + ")");
  }
  if (f == Fold::Max || f == Fold::Min || f == Fold::Mean) {
    if (terms.size() == 1) return terms.front();
    std::string e = f == Fold::Max ? "max(" : f == Fold::Min ? "min(" : "mean(";
    for (std::size_t i = 0; i < terms.size(); ++i) e += (i ? ", " : "") + terms[i];
    return e + ")";
  }
  std::string e;
  for (std::size_t i = 0; i < terms.size(); ++i) e += (i ? symbol(f) : "") + terms[i];
  return e;
}

// The inputs' names, checked: identifiers, and a number only with one input.
template <class Ctx>
std::vector<std::string> input_names(const Ctx& ctx, const ThinArgs& a, Fold f) {
  std::vector<std::string> names;
  for (const auto& [name, step] : ctx.params.inputs()) {
    const bool word = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                      std::all_of(name.begin(), name.end(), [](char c) {
                        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                      });
    if (!word) throw ctx.params.step_error("input name '" + name + "' must be a word (letters, digits, _)");
    names.push_back(name);
  }
  if (a.reverse && !a.value)
    throw ctx.param_error(&ThinArgs::reverse, "reverse puts the number first, and there is no `value`");
  if (a.value && names.size() != 1)
    throw ctx.param_error(&ThinArgs::value, "a number combines with one input, and this step has " +
                                                std::to_string(names.size()));
  if (!a.value && names.size() < 2 && f != Fold::Mean && f != Fold::Sum)
    throw ctx.params.step_error("give a `value`, or two or more layers with `inputs: {a: STEP, b: STEP}`");
  return names;
}

template <class Ctx, class MdOf>
LocalProgram compile_for(const Ctx& ctx, const std::string& text, const std::vector<std::string>& names,
                         MdOf md_of, const std::optional<CellType>& ct) {
  std::map<std::string, ProgramInput> inputs;
  for (const auto& n : names) inputs[n] = {md_of(n).cell_type, md_of(n).bands};
  try {
    return LocalProgram::compile(Expression::parse(text, names), inputs, ct);
  } catch (const ExpressionError& e) {
    throw ctx.params.step_error(e.what());
  }
}

bool is_sequence(Fold f) {
  return f == Fold::Max || f == Fold::Min || f == Fold::Sum || f == Fold::Mean;
}

job::Shape plan(job::PlanContext& ctx, const ThinArgs& a, Fold f) {
  const auto names = input_names(ctx, a, f);
  auto md_of = [&](const std::string& n) -> const LayerMetadata& { return ctx.input(n).layer().md; };
  const LocalProgram p = compile_for(ctx, expression_of(f, names, a), names, md_of, std::nullopt);
  std::vector<std::pair<std::string, const LayerMetadata*>> mds;
  std::uint64_t tiles = 0;
  for (const auto& n : names) {
    mds.emplace_back(n, &md_of(n));
    const std::uint64_t t = ctx.input(n).layer().tiles;
    tiles = n == names.front() ? t : (is_sequence(f) ? tiles + t : std::min(tiles, t));
  }
  LayerMetadata md;
  try {
    md = joined_metadata(mds, p.cell_type(), p.bands(), is_sequence(f));
  } catch (const JobError& e) {
    throw ctx.params.step_error(e.what());
  }
  job::Shape s;
  s.kind = job::ValueKind::TiledLayer;
  s.levels.push_back({md, tiles});
  s.levels.front().tiles = std::min<std::uint64_t>(
      tiles, static_cast<std::uint64_t>(md.bounds.grid().size()) * s.levels.front().instants());
  s.working_bytes_per_rank = job::round_working_bytes(a.round_mb);
  return s;
}

job::StepValue run(job::StepContext& ctx, const ThinArgs& a, Fold f) {
  const auto names = input_names(ctx, a, f);
  auto md_of = [&](const std::string& n) -> const LayerMetadata& { return ctx.input_as<TiledLayer>(n).md; };
  // The program over every input gives the layer's cell type; a sequence op runs each key over the
  // tiles it has (a program per subset of inputs, made once).
  const LocalProgram all = compile_for(ctx, expression_of(f, names, a), names, md_of, std::nullopt);
  std::vector<std::pair<std::string, const LayerMetadata*>> mds;
  for (const auto& n : names) mds.emplace_back(n, &md_of(n));
  const LayerMetadata md = joined_metadata(mds, all.cell_type(), all.bands(), is_sequence(f));
  const JoinedInputs in =
      join_inputs(ctx, names, is_sequence(f) ? mpi::Join::Union : mpi::Join::Inner, a.round_mb);
  std::mutex mu;
  std::map<std::vector<bool>, LocalProgram> programs;
  const int cols = md.layout.tile_layout.tile_cols, rows = md.layout.tile_layout.tile_rows;
  ctx.progress.begin(in.aligned.keys.size(), "tiles");
  return mpi::map_aligned(
      in.aligned, md,
      [&](const SpaceTimeKey&, std::span<const Tile* const> tiles) {
        std::vector<bool> present(tiles.size());
        std::vector<std::string> have;
        std::vector<const Tile*> args;
        for (std::size_t i = 0; i < tiles.size(); ++i)
          if ((present[i] = tiles[i] != nullptr)) have.push_back(names[i]), args.push_back(tiles[i]);
        const LocalProgram* p = &all;
        if (args.size() != tiles.size()) {
          std::lock_guard lock(mu);
          auto it = programs.find(present);
          if (it == programs.end())
            it = programs
                     .emplace(present, compile_for(ctx, expression_of(f, have, a), have, md_of, md.cell_type))
                     .first;
          p = &it->second;
        }
        Tile t = p->evaluate(args, cols, rows);
        ctx.progress.advance();
        return std::optional<Tile>(std::move(t));
      },
      in.consumed);
}

job::OpSpec thin_op(const std::string& name, Fold f, const std::string& help, const std::string& doc) {
  return job::make_op<ThinArgs>(
      {.name = name,
       .group = "local",
       .help = help,
       .doc = doc,
       .inputs = job::Inputs::OneOrNamed,
       .accepts = {job::ValueKind::TiledLayer},
       .produces = job::ValueKind::TiledLayer},
      is_sequence(f) ? declare_sequence : declare_binary,
      [f](job::StepContext& ctx, const ThinArgs& a) { return run(ctx, a, f); },
      [f](job::PlanContext& ctx, const ThinArgs& a) { return plan(ctx, a, f); });
}

const char* kBinaryDoc = R"md(## Semantics

GeoPySpark's layer arithmetic, over the same engine as [local](local.md) (its arithmetic, NoData and
cell-type rules are GeoTrellis', ../shared/conformance/semantics.md):

- `input` and `value`: each cell combined with the number (`layer + 5`); with `reverse: true` the number
  comes first (`5 - layer`, `5 / layer`). A whole number (`5`) computes as Scala Int with an integer layer;
  a decimal one (`5.0`) in double, truncated back to the layer's integer type.
- `inputs: {a: STEP, b: STEP, ...}`: the layers combined in the order of their names (`a - b - c`), on
  the keys every layer has (GeoTrellis `combineValues`); the cell type is the union of theirs.

## Example

```yaml
- op: local_subtract
  input: dem
  value: 100
- op: local_divide
  inputs: {a: nir_minus_red, b: nir_plus_red}
```
)md";

const char* kSequenceDoc = R"md(## Semantics

GeoTrellis' sequence ops (`localMax(Seq)`, ...), over the same engine as [local](local.md): the result
has every key any input has (a union), and each key is computed over the tiles it has.

- `local_max`, `local_min`, `local_sum`: NoData in any of a key's tiles gives NoData.
- `local_mean`: the mean of the cells that hold data (NoData ignored; NoData where none does); integer
  layers divide as Scala Int (truncating).
- `local_max` and `local_min` also take one `input` and a `value` (GeoPySpark's `layer.local_max(4)`).

## Example

```yaml
- op: local_mean
  inputs: {y2019: ndvi_2019, y2020: ndvi_2020, y2021: ndvi_2021}
```
)md";

const OpRegistration kAdd{
    thin_op("local_add", Fold::Add, "a layer plus a number, or layers added by key", kBinaryDoc)};
const OpRegistration kSubtract{thin_op("local_subtract", Fold::Subtract,
                                       "a layer minus a number (or the reverse), or layers by key",
                                       kBinaryDoc)};
const OpRegistration kMultiply{thin_op("local_multiply", Fold::Multiply,
                                       "a layer times a number, or layers multiplied by key", kBinaryDoc)};
const OpRegistration kDivide{thin_op("local_divide", Fold::Divide,
                                     "a layer divided by a number (or the reverse), or layers by key",
                                     kBinaryDoc)};
const OpRegistration kMax{thin_op("local_max", Fold::Max,
                                  "the largest value of the layers at each cell (or of a layer and a number)",
                                  kSequenceDoc)};
const OpRegistration kMin{
    thin_op("local_min", Fold::Min,
            "the smallest value of the layers at each cell (or of a layer and a number)", kSequenceDoc)};
const OpRegistration kSum{thin_op(
    "local_sum", Fold::Sum, "the sum of the layers at each cell, over every key any has", kSequenceDoc)};
const OpRegistration kMean{thin_op("local_mean", Fold::Mean,
                                   "the mean of the layers' data cells at each cell, over every key any has",
                                   kSequenceDoc)};

}  // namespace

}  // namespace ops
}  // namespace trellis
