#include "job/schema.hpp"

#include "core/text.hpp"

namespace trellis::job {

JobError ValueContext::error(const Mark& m, const std::string& why) const {
  const std::string at = m.str();
  JobError e((at.empty() ? std::string() : at + ": ") + where_ + ": " + why);
  e.set_located();
  return e;
}

std::string site_setting_name(std::optional<std::int64_t> SiteDefaults::*m) {
  if (m == &SiteDefaults::round_mb) return "memory_per_rank";
  return "?";
}

std::string site_setting_name(std::optional<io::Compression> SiteDefaults::*m) {
  if (m == &SiteDefaults::compression) return "compression";
  return "?";
}

ValueContext CompositeValues::context(const std::string& key) const {
  return ValueContext("step '" + p_.step_id() + "' (" + p_.op() + "): parameter '" + key + "'", p_.job_dir());
}

InputPaths ParamTraits<InputPaths>::parse(const ParamValue& v, const ValueContext&) {
  InputPaths out;
  if (v.is_list()) {
    for (const auto& e : v.as_list()) out.paths.push_back(e.as_string());
  } else {
    out.paths.push_back(v.as_string());
  }
  return out;
}

Crs ParamTraits<Crs>::parse(const ParamValue& v, const ValueContext& c) {
  try {
    return Crs::from_user(v.as_string());
  } catch (const JobError& e) {
    c.fail(v.mark, e.what());
  }
}

CellType ParamTraits<CellType>::parse(const ParamValue& v, const ValueContext& c) {
  try {
    return CellType::parse_exact(v.as_string());
  } catch (const JobError& e) {
    c.fail(v.mark, e.what());
  }
}

namespace detail {

namespace {

std::string quoted_list(const std::vector<std::string>& names, const char* last_sep) {
  std::vector<std::string> q;
  for (const auto& n : names) q.push_back("`" + n + "`");
  if (q.size() < 2) return join(q);
  const std::string last = q.back();
  q.pop_back();
  return join(q) + last_sep + last;
}

}  // namespace

void check_together(const Params& p, const std::vector<std::string>& names, const std::string& why) {
  std::size_t given = 0;
  for (const auto& n : names) given += p.given(n) ? 1 : 0;
  if (given == 0 || given == names.size()) return;
  throw p.step_error(quoted_list(names, " and ") + " go together" + (why.empty() ? "" : " (" + why + ")") +
                     (names.size() == 2 ? "; give both or neither" : "; give all or none"));
}

void check_excludes(const Params& p, const std::string& a, const std::string& b, const std::string& why) {
  if (!p.given(a) || !p.given(b)) return;
  throw p.error(b, why.empty() ? "`" + b + "` cannot be combined with `" + a + "`" : why);
}

void check_exactly_one(const Params& p, const std::vector<std::string>& names, const std::string& why) {
  std::vector<std::string> given;
  for (const auto& n : names)
    if (p.given(n)) given.push_back(n);
  const std::string tail = why.empty() ? "" : " (" + why + ")";
  if (given.empty()) throw p.step_error("give one of " + quoted_list(names, " or ") + tail);
  if (given.size() > 1)
    throw p.error(given[1], "give only one of " + quoted_list(names, " or ") + tail + ", not `" + given[0] +
                                "` and `" + given[1] + "`");
}

}  // namespace detail

}  // namespace trellis::job
