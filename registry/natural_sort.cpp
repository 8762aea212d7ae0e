#include "registry/natural_sort.h"

#include <algorithm>
#include <cctype>

namespace oclip::registry {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Cuts the next run (all digits, or no digits) off the front of `s`.
std::string_view take_run(std::string_view& s, bool digits) {
  size_t n = 0;
  while (n < s.size() && is_digit(s[n]) == digits) ++n;
  std::string_view run = s.substr(0, n);
  s.remove_prefix(n);
  return run;
}

// <0, 0, >0 by numeric value, however long the runs are.
int compare_numbers(std::string_view a, std::string_view b) {
  auto strip = [](std::string_view s) {
    size_t i = 0;
    while (i + 1 < s.size() && s[i] == '0') ++i;
    return s.substr(i);
  };
  a = strip(a);
  b = strip(b);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b);
}

int compare_lowered(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    unsigned char ca = static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(a[i])));
    unsigned char cb = static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(b[i])));
    if (ca != cb) return ca < cb ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

}  // namespace

bool natural_less(std::string_view a, std::string_view b) {
  // Keys always alternate text, number, text, ... and start and end with (possibly empty)
  // text. A key that ends first, equal so far, is the smaller one.
  bool digits = false;
  while (true) {
    if (a.empty() && b.empty()) return false;
    std::string_view run_a = take_run(a, digits);
    std::string_view run_b = take_run(b, digits);
    int order = digits ? compare_numbers(run_a, run_b) : compare_lowered(run_a, run_b);
    if (order != 0) return order < 0;
    // Equal runs: the key with no more pieces is shorter. A text run always exists after a
    // number, so only check after a text run.
    if (!digits && (a.empty() || b.empty())) return a.empty() && !b.empty();
    digits = !digits;
  }
}

void natural_sort(std::vector<std::string>& names) {
  std::stable_sort(names.begin(), names.end(),
                   [](const std::string& a, const std::string& b) { return natural_less(a, b); });
}

}  // namespace oclip::registry
