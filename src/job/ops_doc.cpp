#include "job/ops_doc.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/text.hpp"
#include "job/did_you_mean.hpp"

namespace trellis::job {

namespace {

std::string number(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  std::ostringstream o;
  o << v;
  return o.str();
}

std::string range_text(const ParamSpec& p) {
  if (p.min && p.max) return number(*p.min) + ".." + number(*p.max);
  if (p.min) return ">= " + number(*p.min);
  if (p.max) return "<= " + number(*p.max);
  return {};
}

// "one of: a, b" / ">= 1" / ""
std::string values_text(const ParamSpec& p) {
  if (!p.choices.empty()) return "one of: " + join(p.choices, ", ");
  return range_text(p);
}

// " (or the site configuration's `compression`)" for parameters with a site default.
std::string site_text(const ParamSpec& p, bool markdown) {
  if (p.site_default.empty()) return {};
  return markdown ? " (site: `" + p.site_default + "`)" : " (site configuration: " + p.site_default + ")";
}

std::string default_text(const ParamSpec& p) {
  if (p.required) return "required";
  if (p.default_value && !p.default_value->is_null())
    return "default " + p.default_value->to_string() + site_text(p, false);
  return "optional";
}

std::string inputs_text(const OpSpec& op) {
  std::vector<std::string> kinds;
  for (auto k : op.accepts) kinds.push_back(value_kind_name(k));
  const std::string what = kinds.empty() ? "any value" : join(kinds, " or ");
  switch (op.inputs) {
    case Inputs::None:
      return "none (a source)";
    case Inputs::One:
      return "one (`input`, default: the previous step): " + what;
    case Inputs::Named:
      return "named (`inputs: {NAME: STEP, ...}`): " + what;
    case Inputs::OneOrNamed:
      return "one (`input`, default: the previous step) or named (`inputs: {NAME: STEP, ...}`): " + what;
  }
  return {};
}

std::string md_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    if (c == '\n') {
      out += ' ';
      continue;
    }
    out += c;
  }
  return out;
}

std::string strip_backticks(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '`'), s.end());
  return s;
}

}  // namespace

std::string format_ops_list(const Registry& reg) {
  const auto ops = reg.all();
  std::size_t width = 0;
  for (const auto* op : ops) width = std::max(width, op->name.size());
  std::ostringstream o;
  for (const auto* op : ops) {
    o << op->name << std::string(width - op->name.size() + 2, ' ') << op->help;
    if (!op->aliases.empty()) o << " (also: " << join(op->aliases, ", ") << ")";
    o << '\n';
  }
  o << "\n'trellis ops OP' shows an op's parameters.\n";
  return o.str();
}

std::string format_op(const OpSpec& op) {
  std::ostringstream o;
  o << op.name << ": " << op.help << '\n';
  if (!op.aliases.empty()) o << "  aliases: " << join(op.aliases, ", ") << '\n';
  if (!op.group.empty()) o << "  group:   " << op.group << '\n';
  o << "  input:   " << strip_backticks(inputs_text(op)) << '\n';
  o << "  gives:   " << value_kind_name(op.produces) << '\n';
  if (op.params.empty()) {
    o << "  parameters: none\n";
    return o.str();
  }
  o << "  parameters:\n";
  std::size_t width = 0;
  for (const auto& p : op.params) width = std::max(width, p.name.size());
  for (const auto& p : op.params) {
    o << "    " << p.name << std::string(width - p.name.size() + 2, ' ') << shown_type(p) << ", "
      << default_text(p);
    const std::string values = values_text(p);
    if (!values.empty()) o << ", " << values;
    if (!p.aliases.empty()) o << " (also: " << join(p.aliases, ", ") << ")";
    o << '\n';
    if (!p.help.empty()) o << "    " << std::string(width + 2, ' ') << p.help << '\n';
  }
  return o.str();
}

std::string ops_markdown(const OpSpec& op) {
  std::ostringstream o;
  o << "# " << op.name << "\n\n" << op.help << "\n\n";
  if (!op.aliases.empty()) {
    std::vector<std::string> a;
    for (const auto& s : op.aliases) a.push_back("`" + s + "`");
    o << "- **Aliases:** " << join(a, ", ") << '\n';
  }
  if (!op.group.empty()) o << "- **Group:** " << op.group << '\n';
  o << "- **Input:** " << inputs_text(op) << '\n';
  o << "- **Gives:** " << value_kind_name(op.produces) << "\n\n";
  o << "## Parameters\n\n";
  if (op.params.empty()) {
    o << "None.\n";
  } else {
    o << "| parameter | type | default | values | description |\n|---|---|---|---|---|\n";
  }
  for (const auto& p : op.params) {
    std::string name = "`" + p.name + "`";
    for (const auto& a : p.aliases) name += " / `" + a + "`";
    std::string def;
    if (p.required) {
      def = "**required**";
    } else if (p.default_value && !p.default_value->is_null()) {
      def = "`";
      def += md_escape(p.default_value->to_string());
      def += '`';
      def += site_text(p, true);
    }
    o << "| " << name << " | " << shown_type(p) << " | " << def << " | " << md_escape(values_text(p)) << " | "
      << md_escape(p.help) << " |\n";
  }
  if (!op.doc.empty()) o << "\n" << op.doc << (op.doc.back() == '\n' ? "" : "\n");
  return o.str();
}

std::string ops_markdown_index(const Registry& reg) {
  std::ostringstream o;
  o << "# Ops\n\n| op | aliases | gives | description |\n|---|---|---|---|\n";
  for (const auto* op : reg.all()) {
    o << "| [" << op->name << "](" << op->name << ".md) | " << join(op->aliases, ", ") << " | "
      << value_kind_name(op->produces) << " | " << md_escape(op->help) << " |\n";
  }
  return o.str();
}

const OpSpec* find_op_or_suggest(const Registry& reg, const std::string& name, std::string& message) {
  if (const OpSpec* op = reg.find(name)) {
    message.clear();
    return op;
  }
  const std::string hint = did_you_mean_suffix(name, reg.names());
  message = "unknown op '" + name + "'" + (hint.empty() ? "; 'trellis ops' lists the ops" : hint);
  return nullptr;
}

}  // namespace trellis::job
