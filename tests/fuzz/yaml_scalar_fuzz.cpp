// Every string oclip writes into a front matter reads back as itself through an independent
// YAML parser (yaml-cpp); base64 round-trips and refuses what it cannot decode.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "card/yaml.h"
#include "core/base64.h"

namespace {

// The emitter replaces invalid UTF-8 with U+FFFD; only valid text must come back unchanged.
bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    unsigned char next = n > 1 ? static_cast<unsigned char>(s[i + 1]) : 0;
    if (c == 0xc0 || c == 0xc1 || (c == 0xe0 && next < 0xa0) || (c == 0xed && next >= 0xa0) ||
        (c == 0xf0 && next < 0x90) || c > 0xf4 || (c == 0xf4 && next >= 0x90))
      return false;
    i += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (auto decoded = oclip::base64_decode(text)) {
    if (oclip::base64_encode(*decoded) != text) std::abort();
  }
  if (oclip::base64_decode(oclip::base64_encode(text)) != text) std::abort();

  std::string document = oclip::card::emit_yaml({{"key", text}});
  YAML::Node node;
  try {
    node = YAML::Load(document);
  } catch (const YAML::Exception&) {
    std::abort();  // the emitter wrote something that is not YAML
  }
  if (!node.IsMap() || !node["key"] || !node["key"].IsScalar()) std::abort();
  if (valid_utf8(text) && node["key"].as<std::string>() != text) std::abort();
  return 0;
}
