// stored_tokens is a file other programs write: whatever the parser accepts must be sections
// of clean keys, and anything else a Format error.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/error.h"
#include "hub/token_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    for (const oclip::hub::TokenSection& section : oclip::hub::parse_stored_tokens(text, "fuzz")) {
      for (const auto& [key, value] : section.entries) {
        if (key.empty() || key.find_first_of("=:") != std::string::npos) std::abort();
        if (std::isspace(static_cast<unsigned char>(key.front())) ||
            std::isspace(static_cast<unsigned char>(key.back())))
          std::abort();
        for (char c : key)
          if (std::isupper(static_cast<unsigned char>(c))) std::abort();
      }
    }
  } catch (const oclip::Error& e) {
    if (e.kind() != oclip::ErrorKind::Format) std::abort();
  }
  return 0;
}
