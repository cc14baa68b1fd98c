#pragma once
// Map-algebra expressions over named layers (`(nir - red) / (nir + red)`, `if(dem > 1000, 1, 0)`,
// `nir[1]`), parsed once into a tree. Operators, lowest precedence first: `or`, `xor`, `and`, `not`,
// comparisons (== != < <= > >=), + -, * /, unary -. Functions: abs sqrt exp log log10 floor ceil round
// (1 argument), pow (2), min max (2 or more), mean (1 or more: of the operands holding data), clamp (3:
// value, low, high), if (3: condition, then, else), isnodata isdata (1). `name[k]` selects band k (from 1, as
// GDAL's calc). Evaluating the tree is the local op's business.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace trellis {

struct ExprNode {
  enum class Kind { Number, Input, Unary, Binary, Call };
  Kind kind = Kind::Number;
  double number = 0;           // Number
  bool integral = false;       // Number: written as a whole number (`5`, not `5.0` or `5e0`)
  std::string name;            // Input: the layer's name; Unary, Binary: the operator; Call: the function
  int band = 0;                // Input: 1-based band, 0 for every band
  std::vector<ExprNode> args;  // Unary: 1; Binary: 2; Call: its arguments
  std::size_t offset = 0;      // where the node starts in the text
};

// A parse error at `offset` characters into the text.
class ExpressionError : public std::runtime_error {
 public:
  ExpressionError(std::size_t offset, const std::string& what) : std::runtime_error(what), offset_(offset) {}
  std::size_t offset() const { return offset_; }

 private:
  std::size_t offset_;
};

class Expression {
 public:
  // Parses `text`; every name must be one of `inputs` (an unknown name is an error with the closest
  // name suggested). Throws ExpressionError. Deterministic.
  static Expression parse(const std::string& text, const std::vector<std::string>& inputs);

  const ExprNode& root() const { return root_; }
  const std::string& text() const { return text_; }
  // The input names the expression uses, sorted and unique.
  const std::vector<std::string>& inputs_used() const { return used_; }

 private:
  ExprNode root_;
  std::string text_;
  std::vector<std::string> used_;
};

}  // namespace trellis
