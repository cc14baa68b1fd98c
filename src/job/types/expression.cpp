#include "job/types/expression.hpp"

namespace trellis::job {

Expression ParamTraits<Expression>::parse(const ParamValue& v, const ValueContext& c) {
  const std::string& text = v.as_string();
  try {
    return Expression::parse(text, c.input_names());
  } catch (const ExpressionError& e) {
    c.fail(mark_within(v, e.offset()), e.what());
  }
}

}  // namespace trellis::job
