// natural_less must be a strict weak order on any bytes, or std::stable_sort is undefined:
// irreflexive, asymmetric, and transitive on the three strings cut from the input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "registry/natural_sort.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::string parts[3];
  size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    size_t end = input.find('\n', at);
    if (end == std::string::npos) end = input.size();
    parts[i] = input.substr(std::min(at, input.size()), end - std::min(at, input.size()));
    at = end + 1;
  }
  using oclip::registry::natural_less;
  const std::string &a = parts[0], &b = parts[1], &c = parts[2];
  if (natural_less(a, a)) std::abort();
  if (natural_less(a, b) && natural_less(b, a)) std::abort();
  if (natural_less(a, b) && natural_less(b, c) && !natural_less(a, c)) std::abort();
  // Equivalence (neither less) must be transitive too.
  bool ab = !natural_less(a, b) && !natural_less(b, a);
  bool bc = !natural_less(b, c) && !natural_less(c, b);
  bool ac = !natural_less(a, c) && !natural_less(c, a);
  if (ab && bc && !ac) std::abort();
  return 0;
}
