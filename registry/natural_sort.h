// registry/natural_sort.h — open_clip's list_models() order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace oclip::registry {

// open_clip's `_natural_key`: lower-case, then compare alternating text and digit runs, text
// as strings and digit runs by numeric value (of any length).
bool natural_less(std::string_view a, std::string_view b);

// Stable, like Python's sort: names with equal keys keep their input order.
void natural_sort(std::vector<std::string>& names);

}  // namespace oclip::registry
