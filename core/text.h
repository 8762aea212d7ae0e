// core/text.h — small string helpers shared by the modules.
#pragma once

#include <string>
#include <string_view>

namespace oclip {

// Python's str.strip(): ASCII whitespace (space, \t, \n, \r, \v, \f) off both ends.
std::string strip(std::string_view text);

// nlohmann::json's exception text without its "[json.exception.parse_error.101] " tag.
std::string json_error_message(std::string_view what);

}  // namespace oclip
