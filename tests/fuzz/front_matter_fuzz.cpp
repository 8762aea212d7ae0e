// A README's front matter comes from anyone's repo: checking it and reading its license must
// never crash, hang or throw, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "card/card.h"
#include "card/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> problems = oclip::card::check_front_matter(text);
  std::optional<std::string> license = oclip::card::front_matter_license(text);
  // A README that passes the check has a license, and the reader finds the same one.
  if (problems.empty() && !license) std::abort();
  return 0;
}
