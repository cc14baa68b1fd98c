#include "mpi/agree.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "mpi/collectives.hpp"
#include "mpi/reduce.hpp"
#include "mpi/runtime.hpp"

namespace trellis::mpi {

namespace {

std::uint64_t fnv1a(const std::vector<std::string>& lines) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&](unsigned char c) {
    h ^= c;
    h *= 1099511628211ULL;
  };
  for (const auto& l : lines) {
    for (char c : l) mix(static_cast<unsigned char>(c));
    mix('\n');
  }
  return h;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    const std::size_t nl = s.find('\n', start);
    out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

}  // namespace

std::optional<Disagreement> first_disagreement(const std::vector<std::string>& lines) {
  const std::vector<std::uint64_t> hashes = allgatherv_values(std::vector<std::uint64_t>{fnv1a(lines)});
  if (std::all_of(hashes.begin(), hashes.end(), [&](std::uint64_t h) { return h == hashes.front(); }))
    return std::nullopt;
  // Rank 0's lines to every rank; each finds its first difference; the earliest wins.
  std::string text;
  if (Runtime::rank() == 0)
    for (const auto& l : lines) text += l + '\n';
  broadcast_string(text, 0);
  const std::vector<std::string> reference = split(text);
  std::size_t mine = std::numeric_limits<std::size_t>::max();
  for (std::size_t i = 0; i < std::max(lines.size(), reference.size()); ++i)
    if (i >= lines.size() || i >= reference.size() || lines[i] != reference[i]) {
      mine = i;
      break;
    }
  const auto first = static_cast<std::size_t>(allreduce_min(static_cast<std::int64_t>(
      std::min<std::size_t>(mine, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())))));
  Disagreement d;
  d.line = first;
  d.per_rank = allgather_strings(first < lines.size() ? lines[first] : std::string());
  return d;
}

}  // namespace trellis::mpi
