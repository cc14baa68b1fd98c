#pragma once
// "Did you mean" suggestions for misspelt names (ops, parameters, step ids, choices).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trellis::job {

// Levenshtein edit distance, ignoring ASCII case.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` (first one on ties), if its distance is at most max(2, |word| / 3).
std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "" when nothing is close enough.
std::string did_you_mean_suffix(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace trellis::job
