// core/text.h — small string helpers shared by the modules.
#pragma once

#include <string>
#include <string_view>

namespace oclip {

// Python's str.strip(): ASCII whitespace (space, \t, \n, \r, \v, \f) off both ends.
std::string strip(std::string_view text);

}  // namespace oclip
