// The step graph (step_graph.hpp): undefined inputs, cycles, value kinds, execution order.
#include "job/step_graph.hpp"

#include <algorithm>
#include <map>

#include "core/text.hpp"
#include "job/did_you_mean.hpp"

namespace trellis::job {

namespace {

[[noreturn]] void fail(const GraphStep& s, const Mark& m, const std::string& message) {
  const std::string where = m.str();
  throw JobError((where.empty() ? std::string() : where + ": ") + s.prefix + message);
}

}  // namespace

std::vector<std::size_t> order_steps(const std::vector<GraphStep>& steps) {
  std::map<std::string, std::size_t> index;
  std::vector<std::string> all_ids;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    index[steps[i].id] = i;
    all_ids.push_back(steps[i].id);
  }
  for (const auto& r : steps) {
    for (const auto& ref : r.refs) {
      if (!index.count(ref.step)) {
        std::vector<std::string> others;
        for (const auto& id : all_ids)
          if (id != r.id) others.push_back(id);
        fail(r, ref.mark, "undefined input step '" + ref.step + "'" + did_you_mean_suffix(ref.step, others));
      }
    }
  }
  // Topological order, stable: always take the first step (in file order) whose inputs are placed.
  const std::size_t n = steps.size();
  std::vector<bool> placed(n, false);
  std::vector<std::size_t> order;
  while (order.size() < n) {
    bool progress = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (placed[i]) continue;
      const bool ready = std::all_of(steps[i].refs.begin(), steps[i].refs.end(),
                                     [&](const InputRef& ref) { return placed[index.at(ref.step)]; });
      if (ready) {
        placed[i] = true;
        order.push_back(i);
        progress = true;
        break;
      }
    }
    if (!progress) {
      // Follow unplaced inputs from the first unplaced step until a step repeats: that is a cycle.
      std::size_t cur = 0;
      while (placed[cur]) ++cur;
      std::vector<std::size_t> path;
      std::map<std::size_t, std::size_t> pos;
      while (!pos.count(cur)) {
        pos[cur] = path.size();
        path.push_back(cur);
        for (const auto& ref : steps[cur].refs) {
          const std::size_t j = index.at(ref.step);
          if (!placed[j]) {
            cur = j;
            break;
          }
        }
      }
      std::vector<std::size_t> cycle(path.begin() + static_cast<std::ptrdiff_t>(pos[cur]), path.end());
      // Start the cycle at its first step in file order, and follow the inputs: a <- b means a reads b.
      const auto first = std::min_element(cycle.begin(), cycle.end());
      std::rotate(cycle.begin(), first, cycle.end());
      std::vector<std::string> names;
      for (auto c : cycle) names.push_back(steps[c].id);
      names.push_back(steps[cycle.front()].id);
      const GraphStep& r = steps[cycle.front()];
      Mark m = r.mark;
      const std::string next = steps[cycle.size() > 1 ? cycle[1] : cycle[0]].id;
      for (const auto& ref : r.refs)
        if (ref.step == next) m = ref.mark;
      fail(r, m, "cyclic inputs: " + join(names, " -> ") + " (each step takes the next as input)");
    }
  }
  for (const auto& r : steps) {
    const auto& accepts = r.spec->accepts;
    for (const auto& ref : r.refs) {
      const OpSpec* from = steps[index.at(ref.step)].spec;
      const ValueKind k = from->produces;
      if (k != ValueKind::None && (accepts.empty() || std::count(accepts.begin(), accepts.end(), k)))
        continue;
      std::string what;
      if (ref.defaulted)
        what = "input (by default the previous step, '" + ref.step + "')";
      else if (ref.name != "input")
        what = "input '" + ref.name + "' (step '" + ref.step + "')";
      else
        what = "input '" + ref.step + "'";
      std::vector<std::string> wanted;
      for (auto a : accepts) wanted.push_back(std::string("a ") + value_kind_name(a));
      if (wanted.empty()) wanted.push_back("a layer, a pyramid or a result");
      const std::string last = wanted.back();
      wanted.pop_back();
      const std::string wants = wanted.empty() ? last : join(wanted, ", ") + " or " + last;
      const std::string is = k == ValueKind::None ? " gives no value (" + from->name + " only writes)"
                                                  : std::string(" is a ") + value_kind_name(k);
      std::string msg = what + is + "; " + r.spec->name + " needs " + wants;
      if (ref.defaulted) msg += " (set 'input:')";
      fail(r, ref.mark, msg);
    }
  }
  return order;
}

}  // namespace trellis::job
