#include "job/registry.hpp"

#include <algorithm>
#include <stdexcept>

namespace trellis::job {

void Registry::add(OpSpec spec) {
  if (spec.name.empty()) throw std::logic_error("op registry: an op without a name");
  std::vector<std::string> keys{spec.name};
  keys.insert(keys.end(), spec.aliases.begin(), spec.aliases.end());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (by_name_.count(keys[i]))
      throw std::logic_error("op registry: '" + keys[i] + "' (of op '" + spec.name +
                             "') is already the name or an alias of op '" + by_name_.at(keys[i])->name + "'");
    if (std::find(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(i), keys[i]) !=
        keys.begin() + static_cast<std::ptrdiff_t>(i))
      throw std::logic_error("op registry: op '" + spec.name + "' lists '" + keys[i] + "' twice");
  }
  ops_.push_back(std::make_unique<OpSpec>(std::move(spec)));
  const OpSpec* p = ops_.back().get();
  for (const auto& k : keys) by_name_[k] = p;
}

const OpSpec* Registry::find(const std::string& name_or_alias) const {
  auto it = by_name_.find(name_or_alias);
  return it == by_name_.end() ? nullptr : it->second;
}

std::vector<const OpSpec*> Registry::all() const {
  std::vector<const OpSpec*> out;
  out.reserve(ops_.size());
  for (const auto& o : ops_) out.push_back(o.get());
  std::sort(out.begin(), out.end(), [](const OpSpec* a, const OpSpec* b) { return a->name < b->name; });
  return out;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  out.reserve(by_name_.size());
  for (const auto& [k, v] : by_name_) out.push_back(k);
  return out;
}

}  // namespace trellis::job
