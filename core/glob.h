// core/glob.h — shell-style patterns (*, ?, [seq], [!seq]).
#pragma once

#include <string_view>

namespace oclip {

// `*` also matches `/`, as Python's fnmatch does for the Hub's include/exclude patterns.
bool glob_match(std::string_view pattern, std::string_view text, bool ignore_case = false);

}  // namespace oclip
