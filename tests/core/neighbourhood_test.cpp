// Neighbourhood masks (semantics.md: x right, y down, the focus at the centre) and expression trees.
#include "core/neighbourhood.hpp"

#include <gtest/gtest.h>

#include "core/expression.hpp"

namespace trellis {
namespace {

std::string picture(const Neighbourhood& n) {
  std::string s;
  const auto m = n.mask();
  const int side = 2 * n.reach() + 1;
  for (int i = 0; i < side * side; ++i) {
    s += m[static_cast<std::size_t>(i)] ? '#' : '.';
    if (i % side == side - 1) s += '/';
  }
  return s;
}

TEST(Neighbourhood, Masks) {
  EXPECT_EQ(picture({NeighbourhoodShape::Square, 1}), "###/###/###/");
  EXPECT_EQ(picture({NeighbourhoodShape::Nesw, 2}), "..#../..#../#####/..#../..#../");
  EXPECT_EQ(picture({NeighbourhoodShape::Circle, 1, 1.0}), ".#./###/.#./");  // focus + 4 neighbours
  EXPECT_EQ(picture({NeighbourhoodShape::Circle, 1, 1.5}),
            "...../.###./.###./.###./...../");  // reach ceil(r)
  Neighbourhood ring{NeighbourhoodShape::Annulus};
  ring.inner = 1.5;
  ring.outer = 2;
  EXPECT_EQ(picture(ring), "..#../...../#...#/...../..#../");
  ring.inner = 2;  // GeoPySpark's Annulus(2, 1): empty
  ring.outer = 1;
  EXPECT_EQ(picture(ring), ".../.../.../");
  // Wedge: 0-90 degrees counter-clockwise from east, y up: the north-east quarter, and the focus.
  Neighbourhood w{NeighbourhoodShape::Wedge, 1, 2};
  w.start_angle = 0;
  w.end_angle = 90;
  EXPECT_EQ(picture(w), "..#../..##./..###/...../...../");
  w.start_angle = 270;  // wrapping: 270-90 is the east half
  EXPECT_EQ(picture(w), "..#../..##./..###/..##./..#../");
}

TEST(Expression, PrecedenceAndBands) {
  const Expression e = Expression::parse("a + b * -c[2] > 1 and not a == 0 or b", {"a", "b", "c"});
  const ExprNode& r = e.root();
  EXPECT_EQ(r.name, "or");
  EXPECT_EQ(r.args[0].name, "and");
  const ExprNode& gt = r.args[0].args[0];
  EXPECT_EQ(gt.name, ">");
  EXPECT_EQ(gt.args[0].name, "+");
  EXPECT_EQ(gt.args[0].args[1].name, "*");
  const ExprNode& neg = gt.args[0].args[1].args[1];
  EXPECT_EQ(neg.kind, ExprNode::Kind::Unary);
  EXPECT_EQ(neg.args[0].name, "c");
  EXPECT_EQ(neg.args[0].band, 2);
  EXPECT_EQ(r.args[0].args[1].name, "not");
  EXPECT_EQ(e.inputs_used(), (std::vector<std::string>{"a", "b", "c"}));
  const Expression f = Expression::parse("if(isnodata(a), 0, clamp(a, 1, 2.5e1))", {"a"});
  EXPECT_EQ(f.root().kind, ExprNode::Kind::Call);
  EXPECT_EQ(f.root().args[2].args[2].number, 25.0);
}

TEST(Expression, ErrorsSayWhere) {
  auto offset = [](const std::string& t) {
    try {
      Expression::parse(t, {"nir", "red"});
    } catch (const ExpressionError& e) {
      return static_cast<long>(e.offset());
    }
    return -1L;
  };
  EXPECT_EQ(offset("nir + red"), -1);
  EXPECT_EQ(offset("nir + rde"), 6);
  EXPECT_EQ(offset("nir +"), 5);
  EXPECT_EQ(offset("nir red"), 4);
  EXPECT_EQ(offset("max(nir)"), 0);
  EXPECT_EQ(offset(""), 0);
  EXPECT_EQ(offset("(nir"), 4);
}

}  // namespace
}  // namespace trellis
