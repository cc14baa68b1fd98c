// The local program's single precision (ops/local/program.hpp, single_precision): chosen only where the
// analysis proves float gives the cells double would, and then giving exactly those cells, against a
// per-cell double computation written out here (every pair of uint8 values, random int16 and uint16).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>

#include "core/expression.hpp"
#include "ops/local/program.hpp"

namespace trellis::test {
namespace {

using ops::LocalProgram;
using ops::ProgramInput;

LocalProgram compile(const std::string& text, const std::string& a_type, const std::string& b_type,
                     const std::optional<std::string>& cell_type) {
  const Expression e = Expression::parse(text, {"a", "b"});
  std::map<std::string, ProgramInput> inputs{{"a", {CellType::parse(a_type), 1}},
                                             {"b", {CellType::parse(b_type), 1}}};
  std::optional<CellType> ct;
  if (cell_type) ct = CellType::parse(*cell_type);
  return LocalProgram::compile(e, inputs, ct);
}

bool single(const std::string& text, const std::string& type = "uint8", const std::string& out = "float32") {
  return compile(text, type, type, out).single_precision();
}

TEST(LocalProgram, SinglePrecisionOnlyWhereItIsProvablyTheSame) {
  // Whole numbers of at most 16 bits, sums and products within 2^24, one rounded operation last.
  EXPECT_TRUE(single("(a - b) / (a + b)"));
  EXPECT_TRUE(single("(a - b) / (a + b)", "int16"));
  EXPECT_TRUE(single("(a - b) / (a + b)", "uint16"));
  EXPECT_TRUE(single("(a - b) / (a + b)", "int8"));
  EXPECT_TRUE(single("sqrt(a * a + b * b)"));
  EXPECT_TRUE(single("if(a > b, a - b, b - a) / 3"));
  EXPECT_TRUE(single("(2 * a - b + 1) / (b - 3)"));
  EXPECT_TRUE(single("a * 1000 * 1000"));  // 2.55e8: past 2^24, but only the last operation
  EXPECT_TRUE(single("max(a, b) - min(a, b) + abs(a - b) + -a"));
  EXPECT_TRUE(single("(a + b) / (isdata(a) + isdata(b))"));
  // The result must be float32: float64 keeps double's digits, an integer type is not computed in float.
  EXPECT_FALSE(single("(a - b) / (a + b)", "uint8", "float64"));
  EXPECT_FALSE(compile("(a - b) / (a + b)", "uint8", "uint8", std::nullopt).single_precision());
  EXPECT_FALSE(single("(a - b) / (a + b)", "uint8", "int32"));
  // Inputs float cannot hold exactly, or whose arithmetic in float would round.
  EXPECT_FALSE(single("(a - b) / (a + b)", "int32"));
  EXPECT_FALSE(single("(a - b) / (a + b)", "float32"));
  EXPECT_FALSE(single("(a - b) / (a + b)", "float64"));
  // A rounded value used again; a product past 2^24 used again; libm; a decimal constant.
  EXPECT_FALSE(single("a / b + 1"));
  EXPECT_FALSE(single("(a / b) / (a + b)"));
  EXPECT_FALSE(single("sqrt(a * a + b * b)", "int16"));  // a * a reaches 2^30, then a sum
  EXPECT_FALSE(single("a * 1000 * 1000 + 1"));
  EXPECT_FALSE(single("exp(a) / b"));
  EXPECT_FALSE(single("log(a + b)"));
  EXPECT_FALSE(single("pow(a, 2) / b"));
  EXPECT_FALSE(single("a * 0.1 / b"));
  EXPECT_FALSE(single("a / 2.5"));
}

// The two inputs as one-band tiles of `cols` x `rows` cells of type `type`.
struct Pair {
  Tile a, b;
};

using Reference = std::function<double(double, double)>;  // NoData operands are NaN

// Evaluates `text` over `p` and compares every cell, bit for bit, with `ref` computed in double and
// rounded to float32 once; NaN is NoData (float32's), so any NaN matches any NaN.
void expect_same_as_double(const std::string& text, const std::string& type, const Pair& p,
                           const Reference& ref) {
  SCOPED_TRACE(text + " over " + type);
  const LocalProgram prog = compile(text, type, type, "float32");
  ASSERT_TRUE(prog.single_precision());
  const Tile* tiles[] = {&p.a, &p.b};
  const Tile out = prog.evaluate(tiles, p.a.cols(), p.a.rows());
  const CellType ct = CellType::parse(type);
  long differ = 0, nodata = 0;
  for (int r = 0; r < p.a.rows(); ++r)
    for (int c = 0; c < p.a.cols(); ++c) {
      const double x = p.a.get(0, c, r), y = p.b.get(0, c, r);
      const float want = static_cast<float>(std::isnan(x) || std::isnan(y) ? std::nan("") : ref(x, y));
      const float got = out.band_as<float>(0)[static_cast<std::size_t>(r) * p.a.cols() + c];
      if (std::isnan(want)) ++nodata;
      const bool same = std::isnan(want)
                            ? std::isnan(got)
                            : std::bit_cast<std::uint32_t>(want) == std::bit_cast<std::uint32_t>(got);
      if (!same && ++differ <= 5) {
        ADD_FAILURE() << "a=" << x << " b=" << y << ": float gave " << got << ", double " << want;
      }
    }
  EXPECT_EQ(differ, 0);
  if (ct.has_nodata()) {
    EXPECT_GT(nodata, 0) << "the inputs hold NoData: some cells must be NoData";
  }
}

// NoData and x / 0 give NaN, as the engine's semantics say.
double quotient(double n, double d) {
  return d == 0 ? std::nan("") : n / d;
}

const std::vector<std::pair<std::string, Reference>>& expressions() {
  static const std::vector<std::pair<std::string, Reference>> kAll = {
      {"(a - b) / (a + b)", [](double a, double b) { return quotient(a - b, a + b); }},
      {"(2 * a - b + 1) / (b - 3)", [](double a, double b) { return quotient(2 * a - b + 1, b - 3); }},
      {"if(a > b, a - b, b - a) / 3", [](double a, double b) { return (a > b ? a - b : b - a) / 3; }},
      // past 2^24 in the last operation only
      {"(a * 255 + b) * 1000", [](double a, double b) { return (a * 255 + b) * 1000; }},
  };
  return kAll;
}

TEST(LocalProgram, SinglePrecisionGivesDoublesCellsForEveryPairOfBytes) {
  // a = column, b = row: all 65,536 pairs, with and without NoData (uint8's is 0).
  for (const std::string type : {"uint8raw", "uint8", "uint8ud7"}) {
    Pair p{Tile(CellType::parse(type), 256, 256), Tile(CellType::parse(type), 256, 256)};
    for (int r = 0; r < 256; ++r)
      for (int c = 0; c < 256; ++c) {
        p.a.band_as<std::uint8_t>(0)[r * 256 + c] = static_cast<std::uint8_t>(c);
        p.b.band_as<std::uint8_t>(0)[r * 256 + c] = static_cast<std::uint8_t>(r);
      }
    for (const auto& [text, ref] : expressions()) expect_same_as_double(text, type, p, ref);
    expect_same_as_double("sqrt(a * a + b * b)", type, p,
                          [](double a, double b) { return std::sqrt(a * a + b * b); });
  }
}

TEST(LocalProgram, SinglePrecisionGivesDoublesCellsForSixteenBitIntegers) {
  std::mt19937 rng(20261207);
  for (const std::string type : {"int16", "int16raw", "uint16", "uint16raw"}) {
    const CellType ct = CellType::parse(type);
    const bool is_signed = ct.kind == CellKind::Int16;
    std::uniform_int_distribution<int> any(is_signed ? -32768 : 0, is_signed ? 32767 : 65535);
    Pair p{Tile(ct, 512, 512), Tile(ct, 512, 512)};
    // Random values, and every extreme against every extreme in the first row.
    const int extremes[] = {is_signed ? -32768 : 0,   is_signed ? -32767 : 1, -1, 0, 1, 32767,
                            is_signed ? 32766 : 65535};
    for (int r = 0; r < 512; ++r)
      for (int c = 0; c < 512; ++c) {
        int x = any(rng), y = any(rng);
        if (r == 0 && c < 49) {
          x = extremes[c / 7];
          y = extremes[c % 7];
        }
        if (!is_signed) x = std::abs(x), y = std::abs(y);
        p.a.set(0, c, r, x);
        p.b.set(0, c, r, y);
      }
    p.b.set(0, 60, 0, p.a.get(0, 60, 0));
    if (ct.has_nodata()) p.a.set(0, 61, 0, std::nan(""));  // NoData
    for (const auto& [text, ref] : expressions()) expect_same_as_double(text, type, p, ref);
  }
}

}  // namespace
}  // namespace trellis::test
