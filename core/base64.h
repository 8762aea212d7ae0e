// core/base64.h — standard base64 (RFC 4648, padded), for the Hub's upload payloads.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace oclip {

std::string base64_encode(std::string_view bytes);
// nullopt unless `text` is padded standard base64 in its canonical form.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace oclip
