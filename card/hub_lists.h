// card/hub_lists.h — the Hub's license identifiers and task ids, compiled in from card/data
// (no network at run time).
#pragma once

#include <string_view>
#include <vector>

namespace oclip::card {

const std::vector<std::string_view>& hub_licenses();
const std::vector<std::string_view>& hub_tasks();

}  // namespace oclip::card
