#include "core/expression.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <string_view>

#include "core/text.hpp"

namespace trellis {

namespace {

struct FunctionArity {
  int min, max;  // max -1: any number
};
const std::map<std::string, FunctionArity>& functions() {
  static const std::map<std::string, FunctionArity> f = {
      {"abs", {1, 1}},   {"sqrt", {1, 1}},  {"exp", {1, 1}},      {"log", {1, 1}},
      {"log10", {1, 1}}, {"floor", {1, 1}}, {"ceil", {1, 1}},     {"round", {1, 1}},
      {"pow", {2, 2}},   {"min", {2, -1}},  {"max", {2, -1}},     {"mean", {1, -1}},
      {"clamp", {3, 3}}, {"if", {3, 3}},    {"isnodata", {1, 1}}, {"isdata", {1, 1}}};
  return f;
}
const std::vector<std::string> kWords = {"and", "or", "xor", "not"};

// Levenshtein distance, for suggestions.
std::size_t distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string suggestion(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const std::size_t d = distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  return best.empty() ? std::string() : " (did you mean '" + best + "'?)";
}

class Parser {
 public:
  Parser(const std::string& text, const std::vector<std::string>& inputs) : t_(text), inputs_(inputs) {}

  ExprNode parse_all(std::vector<std::string>& used) {
    skip();
    if (at_end()) throw ExpressionError(0, "the expression is empty");
    ExprNode n = parse_or();
    skip();
    if (!at_end()) throw ExpressionError(i_, "unexpected '" + std::string(1, t_[i_]) + "'");
    used.assign(used_.begin(), used_.end());
    std::sort(used.begin(), used.end());
    used.erase(std::unique(used.begin(), used.end()), used.end());
    return n;
  }

 private:
  bool at_end() const { return i_ >= t_.size(); }
  void skip() {
    while (!at_end() && std::isspace(static_cast<unsigned char>(t_[i_]))) ++i_;
  }
  // The word (letters, digits, '_') at the cursor, without consuming it.
  std::string peek_word() const {
    std::size_t j = i_;
    while (j < t_.size() && (std::isalnum(static_cast<unsigned char>(t_[j])) || t_[j] == '_')) ++j;
    return t_.substr(i_, j - i_);
  }
  bool take_word(const std::string& w) {
    skip();
    if (peek_word() != w) return false;
    i_ += w.size();
    return true;
  }
  bool take(const std::string& op) {
    skip();
    if (t_.compare(i_, op.size(), op) != 0) return false;
    i_ += op.size();
    return true;
  }
  static ExprNode binary(std::string op, ExprNode a, ExprNode b) {
    ExprNode n;
    n.kind = ExprNode::Kind::Binary;
    n.offset = a.offset;
    n.name = std::move(op);
    n.args.push_back(std::move(a));
    n.args.push_back(std::move(b));
    return n;
  }

  ExprNode parse_or() {
    ExprNode a = parse_xor();
    while (take_word("or")) a = binary("or", std::move(a), parse_xor());
    return a;
  }
  ExprNode parse_xor() {
    ExprNode a = parse_and();
    while (take_word("xor")) a = binary("xor", std::move(a), parse_and());
    return a;
  }
  ExprNode parse_and() {
    ExprNode a = parse_not();
    while (take_word("and")) a = binary("and", std::move(a), parse_not());
    return a;
  }
  ExprNode parse_not() {
    skip();
    const std::size_t at = i_;
    if (take_word("not")) {
      ExprNode n;
      n.kind = ExprNode::Kind::Unary;
      n.name = "not";
      n.offset = at;
      n.args.push_back(parse_not());
      return n;
    }
    return parse_comparison();
  }
  ExprNode parse_comparison() {
    ExprNode a = parse_additive();
    for (;;) {
      std::string op;
      for (const char* o : {"==", "!=", "<=", ">=", "<", ">"})
        if (take(o)) {
          op = o;
          break;
        }
      if (op.empty()) return a;
      a = binary(op, std::move(a), parse_additive());
    }
  }
  ExprNode parse_additive() {
    ExprNode a = parse_multiplicative();
    for (;;) {
      if (take("+"))
        a = binary("+", std::move(a), parse_multiplicative());
      else if (take("-"))
        a = binary("-", std::move(a), parse_multiplicative());
      else
        return a;
    }
  }
  ExprNode parse_multiplicative() {
    ExprNode a = parse_unary();
    for (;;) {
      if (take("*"))
        a = binary("*", std::move(a), parse_unary());
      else if (take("/"))
        a = binary("/", std::move(a), parse_unary());
      else
        return a;
    }
  }
  ExprNode parse_unary() {
    skip();
    const std::size_t at = i_;
    if (take("-")) {
      ExprNode n;
      n.kind = ExprNode::Kind::Unary;
      n.name = "-";
      n.offset = at;
      n.args.push_back(parse_unary());
      return n;
    }
    if (take("+")) return parse_unary();
    return parse_primary();
  }
  ExprNode parse_primary() {
    skip();
    const std::size_t at = i_;
    if (at_end()) throw ExpressionError(i_, "the expression ends too early");
    const char c = t_[i_];
    if (c == '(') {
      ++i_;
      ExprNode n = parse_or();
      if (!take(")"))
        throw ExpressionError(i_, "missing ')' (opened at column " + std::to_string(at + 1) + ")");
      return n;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      const char* begin = t_.c_str() + i_;
      char* end = nullptr;
      const double d = std::strtod(begin, &end);
      if (end == begin) throw ExpressionError(i_, "not a number");
      i_ += static_cast<std::size_t>(end - begin);
      ExprNode n;
      n.kind = ExprNode::Kind::Number;
      n.number = d;
      n.integral = std::string_view(begin, static_cast<std::size_t>(end - begin)).find_first_of(".eE") ==
                       std::string_view::npos &&
                   std::abs(d) < 2147483648.0;
      n.offset = at;
      return n;
    }
    const std::string w = peek_word();
    if (w.empty()) throw ExpressionError(i_, "unexpected '" + std::string(1, c) + "'");
    i_ += w.size();
    skip();
    if (!at_end() && t_[i_] == '(') {  // a function call
      const auto f = functions().find(w);
      if (f == functions().end()) {
        std::vector<std::string> names;
        for (const auto& [name, arity] : functions()) names.push_back(name);
        throw ExpressionError(at, "unknown function '" + w + "'" + suggestion(w, names));
      }
      ++i_;
      ExprNode n;
      n.kind = ExprNode::Kind::Call;
      n.name = w;
      n.offset = at;
      skip();
      if (!take(")")) {
        do n.args.push_back(parse_or());
        while (take(","));
        if (!take(")")) throw ExpressionError(i_, "missing ')' after the arguments of " + w + "()");
      }
      const int count = static_cast<int>(n.args.size());
      const FunctionArity a = f->second;
      if (count < a.min || (a.max >= 0 && count > a.max)) {
        const std::string want = a.max < 0        ? "at least " + std::to_string(a.min)
                                 : a.min == a.max ? std::to_string(a.min)
                                                  : std::to_string(a.min) + " to " + std::to_string(a.max);
        throw ExpressionError(at, w + "() takes " + want + " argument(s), got " + std::to_string(count));
      }
      return n;
    }
    if (std::find(kWords.begin(), kWords.end(), w) != kWords.end())
      throw ExpressionError(at, "'" + w + "' needs an operand before it");
    if (std::find(inputs_.begin(), inputs_.end(), w) == inputs_.end()) {
      std::string known = inputs_.empty() ? "" : " (inputs: " + join(inputs_) + ")";
      const std::string hint = suggestion(w, inputs_);
      throw ExpressionError(at, "unknown name '" + w + "'" + (hint.empty() ? known : hint));
    }
    ExprNode n;
    n.kind = ExprNode::Kind::Input;
    n.name = w;
    n.offset = at;
    used_.push_back(w);
    if (take("[")) {
      skip();
      const std::size_t bat = i_;
      int band = 0;
      const auto r = std::from_chars(t_.data() + i_, t_.data() + t_.size(), band);
      if (r.ec != std::errc() || band < 1)
        throw ExpressionError(bat, "a band number is a whole number from 1, as in " + w + "[1]");
      i_ = static_cast<std::size_t>(r.ptr - t_.data());
      if (!take("]")) throw ExpressionError(i_, "missing ']' after the band number");
      n.band = band;
    }
    return n;
  }

  const std::string& t_;
  const std::vector<std::string>& inputs_;
  std::size_t i_ = 0;
  std::vector<std::string> used_;
};

}  // namespace

Expression Expression::parse(const std::string& text, const std::vector<std::string>& inputs) {
  Expression e;
  e.text_ = text;
  Parser p(e.text_, inputs);
  e.root_ = p.parse_all(e.used_);
  return e;
}

}  // namespace trellis
