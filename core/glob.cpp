#include "core/glob.h"

#include <fnmatch.h>

#include <string>

namespace oclip {

bool glob_match(std::string_view pattern, std::string_view text, bool ignore_case) {
  std::string p(pattern), t(text);
  return ::fnmatch(p.c_str(), t.c_str(), ignore_case ? FNM_CASEFOLD : 0) == 0;
}

}  // namespace oclip
