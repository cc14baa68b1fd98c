#include "job/types/expression.hpp"

namespace trellis::job {

Expression ParamTraits<Expression>::parse(const ParamValue& v, const ValueContext& c) {
  const std::string& text = v.as_string();
  try {
    return Expression::parse(text, c.input_names());
  } catch (const ExpressionError& e) {
    // The place of the offending character: the value's mark, moved along its text (and past the opening
    // quote of a quoted string).
    Mark at = v.mark;
    const std::size_t off = std::min(e.offset(), text.size());
    const std::size_t nl = text.rfind('\n', off == 0 ? 0 : off - 1);
    if (nl == std::string::npos || off == 0) {
      if (at.col > 0) at.col += static_cast<int>(off) + (v.quoted ? 1 : 0);
    } else {
      at.line +=
          static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(off), '\n'));
      at.col = static_cast<int>(off - nl);
    }
    c.fail(at, e.what());
  }
}

}  // namespace trellis::job
