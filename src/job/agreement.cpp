#include "job/agreement.hpp"

#include "mpi/agree.hpp"

namespace trellis::job {

namespace {

// One line per thing the ranks must agree on: "MARK\tWHAT\tVALUE".
std::vector<std::string> job_lines(const Job& job) {
  std::vector<std::string> lines;
  lines.push_back(Mark{job.file, 1, 1}.str() + "\tthe job's name\t" + job.name);
  for (const Step& s : job.steps) {
    const std::string step = "step '" + s.id + "' (" + s.spec->name + ")";
    lines.push_back(s.mark.str() + "\t" + step + "\tstep " + std::to_string(s.number));
    for (const auto& [name, from] : s.inputs)
      lines.push_back(s.mark.str() + "\t" + step + ": input '" + name + "'\t" + from);
    for (const auto& [name, v] : s.params.values()) {
      const Mark at = v.mark.line > 0 ? v.mark : s.mark;
      lines.push_back(at.str() + "\t" + step + ": parameter '" + name + "'\t" + v.to_string());
    }
  }
  return lines;
}

std::string field(const std::string& line, int i) {
  std::size_t start = 0;
  for (int k = 0; k < i; ++k) {
    const std::size_t tab = line.find('\t', start);
    if (tab == std::string::npos) return {};
    start = tab + 1;
  }
  return line.substr(start, line.find('\t', start) - start);
}

}  // namespace

void check_ranks_agree(const Job& job) {
  const auto d = mpi::first_disagreement(job_lines(job));
  if (!d) return;
  // The place and the thing from the first rank that has the line; the values of the first two that differ.
  std::string where, what;
  for (const auto& l : d->per_rank)
    if (!l.empty()) {
      where = field(l, 0);
      what = field(l, 1);
      break;
    }
  std::string values;
  const std::string& first = d->per_rank.front();
  for (std::size_t r = 1; r < d->per_rank.size(); ++r)
    if (d->per_rank[r] != first) {
      auto shown = [](const std::string& l) {
        return l.empty() ? std::string("(nothing)") : "'" + field(l, 2) + "'";
      };
      values = shown(first) + " on rank 0, " + shown(d->per_rank[r]) + " on rank " + std::to_string(r);
      break;
    }
  JobError e(
      (where.empty() ? job.file : where) + ": " + what + " differs between the ranks: " + values +
      ". A ${VAR} resolves on each rank from its own environment (the rank, the host, a node's TMPDIR): "
      "give the job values every rank sees alike");
  e.set_located();
  throw e;
}

}  // namespace trellis::job
