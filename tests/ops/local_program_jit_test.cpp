// Local programs as machine code (ops/local/program_jit.hpp): compiled where the JIT supports the
// program, and then giving the block interpreter's cells bit for bit, for every input cell type, with
// and without NoData, on random cells with the values that go wrong (NoData, 0 denominators, NaN,
// infinities, signed zeros, the extremes of each type) and a cell count that is not a whole number of
// vectors.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <random>
#include <string>

#include "core/expression.hpp"
#include "ops/local/program.hpp"

namespace trellis::test {
namespace {

using ops::LocalProgram;
using ops::ProgramInput;

// Every test runs for each instruction set the code is generated for: AVX-512, and AVX2 (asked for with
// TRELLIS_JIT=avx2, which a CPU with AVX-512 runs too). Whether the CPU has it is checked here, not
// asked of ProgramJit, so that a wrong check there fails these tests (machine_code() false) instead of
// skipping them. TRELLIS_JIT=0 turns the machine code off for the whole process.
bool cpu_runs(const std::string& isa) {
  __builtin_cpu_init();
  if (isa == "avx2") return __builtin_cpu_supports("avx2");
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("bmi2");
}

class ProgramJit : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const char* env = std::getenv("TRELLIS_JIT");
    if (env && std::string(env) == "0") GTEST_SKIP() << "TRELLIS_JIT=0: programs are interpreted";
    if (!cpu_runs(GetParam())) GTEST_SKIP() << "this CPU lacks " << GetParam() << ": no such code";
    if (env) saved_ = env;
    if (GetParam() == "avx2")
      ::setenv("TRELLIS_JIT", "avx2", 1);
    else
      ::unsetenv("TRELLIS_JIT");
  }
  void TearDown() override {
    if (saved_)
      ::setenv("TRELLIS_JIT", saved_->c_str(), 1);
    else
      ::unsetenv("TRELLIS_JIT");
  }
  // The program compiled, and to this test's instruction set.
  static void expect_code(const LocalProgram& p) {
    ASSERT_TRUE(p.machine_code());
    ASSERT_EQ(std::string(p.machine_code_isa()), GetParam());
  }

 private:
  std::optional<std::string> saved_;
};

INSTANTIATE_TEST_SUITE_P(Isa, ProgramJit, ::testing::Values("avx512", "avx2"),
                         [](const auto& info) { return info.param; });

LocalProgram compile(const std::string& text, const CellType& a, int a_bands, const CellType& b,
                     const std::optional<CellType>& out) {
  const Expression e = Expression::parse(text, {"a", "b"});
  std::map<std::string, ProgramInput> inputs{{"a", {a, a_bands}}, {"b", {b, 1}}};
  return LocalProgram::compile(e, inputs, out);
}

// The tiles of `a` and `b` in the order p.evaluate takes them: the inputs the program reads
// (input_names(); a program of one of them takes that one alone).
std::vector<const Tile*> inputs_of(const LocalProgram& p, const Tile& a, const Tile& b) {
  std::vector<const Tile*> out;
  for (const std::string& name : p.input_names()) out.push_back(name == "a" ? &a : &b);
  return out;
}

// Random stored values of `ct`, a fifth of them the ones that go wrong.
Tile random_tile(const CellType& ct, int cols, int rows, int bands, std::mt19937_64& rng) {
  Tile t = Tile::uninitialized(ct, cols, rows, bands);
  std::uniform_int_distribution<int> pick(0, 9);
  dispatch_kind(ct.kind, [&](auto tag) {
    using T = decltype(tag);
    using L = std::numeric_limits<T>;
    for (int b = 0; b < bands; ++b) {
      T* v = t.band_as<T>(b);
      for (std::size_t k = 0; k < t.cells(); ++k) {
        T x;
        if constexpr (std::is_floating_point_v<T>) {
          const T specials[] = {T(0),          -T(0),           L::quiet_NaN(),
                                L::infinity(), -L::infinity(),  L::max(),
                                L::lowest(),   L::denorm_min(), static_cast<T>(ct.user_nodata),
                                T(1)};
          x = pick(rng) < 2 ? specials[pick(rng)]
                            : static_cast<T>(std::uniform_real_distribution<double>(-1000, 1000)(rng));
        } else if (ct.kind == CellKind::Bool) {
          x = static_cast<T>(rng() & 1);
        } else {
          const T specials[] = {
              T(0),     L::min(),
              L::max(), T(1),
              T(0),     ct.has_nodata() ? static_cast<T>(static_cast<std::int64_t>(ct.nodata())) : T(2)};
          x = pick(rng) < 2 ? specials[pick(rng) % 6] : static_cast<T>(rng());
        }
        v[k] = x;
      }
    }
  });
  return t;
}

// Bit for bit, except that any NaN (NoData) matches any NaN.
template <class F>
long differing(const Tile& got, const Tile& want) {
  long n = 0;
  for (int b = 0; b < want.bands(); ++b)
    for (std::size_t k = 0; k < want.cells(); ++k) {
      const F g = got.band_as<F>(b)[k], w = want.band_as<F>(b)[k];
      if (std::isnan(g) && std::isnan(w)) continue;
      if (std::bit_cast<std::conditional_t<sizeof(F) == 4, std::uint32_t, std::uint64_t>>(g) !=
          std::bit_cast<std::conditional_t<sizeof(F) == 4, std::uint32_t, std::uint64_t>>(w))
        ++n;
    }
  return n;
}

// The same for any result type: floats as above, integers (flags stored as int8) bit for bit.
long differing_cells(const Tile& got, const Tile& want) {
  if (want.cell_type().kind == CellKind::Float32) return differing<float>(got, want);
  if (want.cell_type().kind == CellKind::Float64) return differing<double>(got, want);
  long n = 0;
  const std::size_t bytes = want.cells() * static_cast<std::size_t>(want.cell_type().bytes());
  for (int b = 0; b < want.bands(); ++b)
    for (std::size_t k = 0; k < bytes; ++k)
      if (got.band_data(b)[k] != want.band_data(b)[k]) ++n;
  return n;
}

const char* const kTypes[] = {"bool",      "int8raw",      "int8",      "int8ud-7",     "uint8raw",
                              "uint8",     "uint8ud200",   "int16raw",  "int16",        "int16ud-9999",
                              "uint16raw", "uint16",       "uint16ud7", "int32raw",     "int32",
                              "int32ud-5", "float32raw",   "float32",   "float32ud1.5", "float64raw",
                              "float64",   "float64ud-0.5"};

const char* const kExpressions[] = {
    "(a - b) / (a + b)",
    "a + 1",
    "-a * 2 - abs(b)",
    "sqrt(a * a + b * b)",
    "floor(a / 3) + ceil(b / 7)",
    "min(a, b) / max(a, b)",
    "(a - 2) * (b + 3) / -4",
    "a / 0.1 - b * 1.5",
    "b",
    "if(a > b, a - b, b / 2)",
    "(a >= 0.5) * a + (b != a)",
    "if(isnodata(a), b, a) + isdata(b)",
    "if(((a < 0) and (b <= 1)) or ((not (a == b)) xor (b > 3)), a, -b)",
    "if(a, b, 2)",
    "if((a > 1) == 1, a, b)",
    "a > b",
    "(a >= 1) and not isnodata(b)",
    "isdata(a - b)",
};

TEST_P(ProgramJit, CompilesTheProgramsItSupports) {
  const CellType u8 = CellType::parse("uint8"), f32 = CellType::parse("float32");
  EXPECT_TRUE(compile("(a - b) / (a + b)", u8, 1, u8, f32).machine_code());
  EXPECT_TRUE(compile("(a - b) / (a + b)", u8, 1, u8, CellType::parse("float64")).machine_code());
  EXPECT_TRUE(compile("a + 1", f32, 1, f32, std::nullopt).machine_code());  // double stored as float32
  EXPECT_TRUE(compile("sqrt(a) - floor(b)", f32, 1, f32, std::nullopt).machine_code());
  // Comparisons, logic and if where they choose or make floating values.
  EXPECT_TRUE(compile("if(a > 1, a, b)", f32, 1, f32, std::nullopt).machine_code());
  EXPECT_TRUE(compile("if((a > 1) and not isnodata(b), a, b)", f32, 1, f32, std::nullopt).machine_code());
  EXPECT_TRUE(compile("(a > b) * a", f32, 1, f32, std::nullopt).machine_code());
  EXPECT_TRUE(compile("if(a > b, a, b)", u8, 1, u8, f32).machine_code());
  // Int arithmetic of integer layers, in int32 lanes.
  EXPECT_TRUE(compile("a + b", u8, 1, u8, std::nullopt).machine_code());
  EXPECT_TRUE(
      compile("max(a, b) * 3 - abs(-b)", u8, 1, CellType::parse("int16"), std::nullopt).machine_code());
  // Int pow, Int arithmetic of flags, an Int condition that is not a flag, two constants compared;
  // mean, libm, round; an integer result of floating values, user-defined NoData of a float result.
  EXPECT_TRUE(compile("a / b", u8, 1, u8, std::nullopt).machine_code());
  EXPECT_FALSE(compile("pow(a, b)", u8, 1, u8, std::nullopt).machine_code());
  EXPECT_FALSE(compile("a + b", u8, 1, u8, CellType::parse("float32")).interpreted().machine_code());
  EXPECT_FALSE(compile("(a > 1) + (b > 1) + a", f32, 1, f32, std::nullopt).machine_code());
  EXPECT_FALSE(compile("if(a, b, b)", u8, 1, f32, std::nullopt).machine_code());
  EXPECT_TRUE(compile("a > b", f32, 1, f32, std::nullopt).machine_code());  // int8 0, 1 or -128
  EXPECT_TRUE(compile("a > b", f32, 1, f32, CellType::parse("float64")).machine_code());
  EXPECT_FALSE(compile("a > b", f32, 1, f32, CellType::parse("uint8")).machine_code());
  EXPECT_FALSE(compile("if(2 > 1, a, b)", f32, 1, f32, std::nullopt).machine_code());
  EXPECT_FALSE(compile("mean(a, b)", f32, 1, f32, std::nullopt).machine_code());
  EXPECT_FALSE(compile("exp(a) + b", f32, 1, f32, std::nullopt).machine_code());
  EXPECT_FALSE(compile("round(a) + b", f32, 1, f32, std::nullopt).machine_code());
  EXPECT_FALSE(compile("a + b", f32, 1, f32, CellType::parse("int16")).machine_code());
  EXPECT_FALSE(compile("a + b", f32, 1, f32, CellType::parse("float32ud-1")).machine_code());
  EXPECT_FALSE(compile("a + 1", f32, 1, f32, std::nullopt).interpreted().machine_code());
}

TEST_P(ProgramJit, GivesTheInterpretersCellsForEveryCellType) {
  std::mt19937_64 rng(20261207);
  // 37 x 29 = 1,073 cells: 67 vectors of 16 floats and a tail of 1, or 134 of 8 doubles and 1.
  const int cols = 37, rows = 29;
  int compiled = 0;
  for (const char* at : kTypes)
    for (const char* bt : {"uint8", at}) {
      const CellType a_ct = CellType::parse(at), b_ct = CellType::parse(bt);
      const Tile a = random_tile(a_ct, cols, rows, 1, rng), b = random_tile(b_ct, cols, rows, 1, rng);
      for (const char* text : kExpressions)
        for (const auto& out : {std::optional<CellType>{}, std::optional(CellType::parse("float32")),
                                std::optional(CellType::parse("float64"))}) {
          const LocalProgram p = compile(text, a_ct, 1, b_ct, out);
          if (!p.machine_code()) continue;
          ASSERT_EQ(std::string(p.machine_code_isa()), GetParam());
          ++compiled;
          SCOPED_TRACE(std::string(text) + " over " + at + ", " + bt + " -> " + p.cell_type().name() +
                       (p.single_precision() ? " (float)" : " (double)"));
          const Tile got = p.evaluate(inputs_of(p, a, b), cols, rows);
          const Tile want = p.interpreted().evaluate(inputs_of(p, a, b), cols, rows);
          ASSERT_EQ(got.cell_type(), want.cell_type());
          EXPECT_EQ(differing_cells(got, want), 0);
        }
    }
  // Every float result of every pair above, the flags stored as int8 and the Int programs' results.
  EXPECT_GT(compiled, 1200);
}

// Int programs (int32 lanes, NoData INT_MIN): + - * min max, unary - and abs, comparisons, logic,
// isnodata, isdata and if over every integer cell type, stored as every integer type, wrapped and with
// NoData as the interpreter stores them.
TEST_P(ProgramJit, IntProgramsGiveTheInterpretersCells) {
  std::mt19937_64 rng(42);
  const int cols = 37, rows = 29;  // 1,073 cells: a partial vector at the end
  const char* const int_types[] = {"int8raw",    "int8",      "int8ud-7", "uint8raw",     "uint8",
                                   "uint8ud200", "int16raw",  "int16",    "int16ud-9999", "uint16raw",
                                   "uint16",     "uint16ud7", "int32raw", "int32",        "int32ud-5"};
  const char* const expressions[] = {"a + b",
                                     "a - b",
                                     "a * b",
                                     "min(a, b)",
                                     "max(a, b) - 3",
                                     "-a + abs(b)",
                                     "a * 300 + 7",
                                     "b - a * a * a",
                                     "if(a > b, a, b * 2)",
                                     "(a >= 3) + (b != a) * 5 - (a <= b) + (a < 1) + (a == b) + (b > 0)",
                                     "if(isnodata(a), b, a) + isdata(b)",
                                     "if(((a < 0) and (b <= 1)) or ((not (a == b)) xor (b > 3)), a, -b)",
                                     "if(a, b, 2)",
                                     "a > b",
                                     "not a",
                                     "(a and b) + (a or b) * 2 + (a xor b) * 4",
                                     "a / b",
                                     "(a * 7 + 3) / (b - 3) - b / -2"};
  int compiled = 0;
  for (const char* at : int_types)
    for (const char* bt : {"uint8", "int16ud-9999", at}) {
      const CellType a_ct = CellType::parse(at), b_ct = CellType::parse(bt);
      const Tile a = random_tile(a_ct, cols, rows, 1, rng), b = random_tile(b_ct, cols, rows, 1, rng);
      for (const char* text : expressions)
        for (const char* out :
             {"", "int8", "uint8", "int16", "uint16ud7", "int32raw", "int32", "uint8ud200"}) {
          const auto out_ct = *out ? std::optional(CellType::parse(out)) : std::nullopt;
          const LocalProgram p = compile(text, a_ct, 1, b_ct, out_ct);
          SCOPED_TRACE(std::string(text) + " over " + at + ", " + bt + " -> " + p.cell_type().name());
          expect_code(p);
          ++compiled;
          const Tile got = p.evaluate(inputs_of(p, a, b), cols, rows);
          const Tile want = p.interpreted().evaluate(inputs_of(p, a, b), cols, rows);
          ASSERT_EQ(got.cell_type(), want.cell_type());
          EXPECT_EQ(differing_cells(got, want), 0);
        }
    }
  EXPECT_EQ(compiled, 15 * 3 * 18 * 8);
  // Overflow wraps as Scala's Int: 2^31 - 1 + 1 is INT_MIN, which is NoData from then on.
  const CellType i32 = CellType::parse("int32");
  Tile a(i32, 9, 1), b(i32, 9, 1);
  const std::int32_t big = std::numeric_limits<std::int32_t>::max();
  const std::int32_t av[] = {big, big, -big, 65536, 46341, 3, -1, 0, 7};
  const std::int32_t bv[] = {1, big, -1, 65536, 46341, -5, big, big, 7};
  for (int c = 0; c < 9; ++c) {
    a.band_as<std::int32_t>(0)[c] = av[c];
    b.band_as<std::int32_t>(0)[c] = bv[c];
  }
  for (const char* text : {"a + b", "a * b", "a - b + 1", "(a + b) * 0 + 1", "a / b", "b / a"}) {
    SCOPED_TRACE(text);
    const LocalProgram p = compile(text, i32, 1, i32, std::nullopt);
    expect_code(p);
    EXPECT_EQ(differing_cells(p.evaluate(inputs_of(p, a, b), 9, 1),
                              p.interpreted().evaluate(inputs_of(p, a, b), 9, 1)),
              0);
  }
}

TEST_P(ProgramJit, GivesTheInterpretersCellsForEveryPairOfSpecialValues) {
  // a = column, b = row over values whose sign, order or NaN the instructions could get wrong.
  const double v[] = {0.0, -0.0, 1.0, -1.0, 2.5, -0.5, std::nan(""), INFINITY, -INFINITY, 1e-40, 3e38};
  constexpr int n = static_cast<int>(std::size(v));
  for (const char* type : {"float32", "float64"}) {
    const CellType ct = CellType::parse(type);
    Tile a(ct, n, n), b(ct, n, n);
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) {
        a.set(0, c, r, v[c]);
        b.set(0, c, r, v[r]);
      }
    for (const char* text : {"min(a, b)",
                             "max(a, b)",
                             "a - b",
                             "a * b",
                             "a / b",
                             "-a",
                             "abs(b)",
                             "floor(a)",
                             "ceil(b)",
                             "sqrt(a)",
                             "if(a == b, a, b)",
                             "if(a != b, a, b)",
                             "if(a < b, a, b)",
                             "if(a <= b, a, b)",
                             "if(a > b, a, b)",
                             "if(a >= b, a, b)",
                             "if(a and b, a, -b)",
                             "if(a or b, a, -b)",
                             "if(a xor b, a, -b)",
                             "if(not a, a, -b)",
                             "if(a, b, -b)",
                             "(a > b) * a",
                             "isnodata(a) * b",
                             "a < b",
                             "a == b",
                             "isnodata(a)",
                             "not b",
                             "isdata(a) + b"}) {
      const LocalProgram p = compile(text, ct, 1, ct, std::nullopt);
      SCOPED_TRACE(std::string(text) + " over " + type);
      expect_code(p);
      const Tile got = p.evaluate(inputs_of(p, a, b), n, n),
                 want = p.interpreted().evaluate(inputs_of(p, a, b), n, n);
      EXPECT_EQ(differing_cells(got, want), 0);
    }
  }
}

TEST_P(ProgramJit, TilesOfFewerCellsThanAVector) {
  // Only masked passes, or a masked pass longer than the tile; several bands put them at other offsets.
  std::mt19937_64 rng(11);
  for (const auto& [cols, rows] : {std::pair{1, 1}, {3, 1}, {7, 3}, {17, 1}, {5, 5}})
    for (const char* type : {"uint8", "float32", "float64"})
      for (const std::string out : {"float32", "float64", "int8"}) {
        // int8: a comparison of floating cells, stored as its flags (1 byte a cell).
        if (out == "int8" && std::string(type) == "uint8") continue;
        const CellType ct = CellType::parse(type);
        const Tile a = random_tile(ct, cols, rows, 3, rng), b = random_tile(ct, cols, rows, 1, rng);
        const LocalProgram p = out == "int8" ? compile("a > b", ct, 3, ct, std::nullopt)
                                             : compile("(a - b) / (a + b)", ct, 3, ct, CellType::parse(out));
        SCOPED_TRACE(std::to_string(cols) + "x" + std::to_string(rows) + " " + type + " -> " + out);
        expect_code(p);
        ASSERT_EQ(p.cell_type().name(), out);
        const Tile got = p.evaluate(inputs_of(p, a, b), cols, rows),
                   want = p.interpreted().evaluate(inputs_of(p, a, b), cols, rows);
        EXPECT_EQ(differing_cells(got, want), 0);
      }
}

TEST_P(ProgramJit, BroadcastsBandsAndInterpretsMissingTiles) {
  std::mt19937_64 rng(7);
  const CellType u16 = CellType::parse("uint16"), f32 = CellType::parse("float32");
  // Bands of 150 float32 cells: the second and third start 600 and 1,200 bytes after the first, so each
  // band starts at another offset from a 64-byte line, and the masked pass before the aligned vectors
  // covers another number of cells.
  const Tile a = random_tile(u16, 50, 3, 3, rng), b = random_tile(u16, 50, 3, 1, rng);
  for (const char* text : {"(a[3] - a[1]) / (a[3] + a[1])", "a * 2 - b"}) {
    SCOPED_TRACE(text);
    const LocalProgram p = compile(text, u16, 3, u16, f32);
    expect_code(p);
    const Tile got = p.evaluate(inputs_of(p, a, b), 50, 3),
               want = p.interpreted().evaluate(inputs_of(p, a, b), 50, 3);
    ASSERT_EQ(got.bands(), want.bands());
    EXPECT_EQ(differing<float>(got, want), 0);
  }
  // A tile missing from a union join (all NoData), and a tile whose cell type is not the program's:
  // the interpreter computes them.
  const LocalProgram p = compile("a * 2 - b", u16, 3, u16, f32);
  const Tile* missing[] = {&a, nullptr};
  const Tile got = p.evaluate(missing, 50, 3);
  for (std::size_t k = 0; k < got.cells(); ++k) EXPECT_TRUE(std::isnan(got.band_as<float>(2)[k]));
  const Tile other = random_tile(CellType::parse("int16"), 50, 3, 1, rng);
  const Tile* mixed[] = {&a, &other};
  EXPECT_EQ(differing<float>(p.evaluate(mixed, 50, 3), p.interpreted().evaluate(mixed, 50, 3)), 0);
}

}  // namespace
}  // namespace trellis::test
