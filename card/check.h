// card/check.h — a README's front matter against the Hub's model-card metadata rules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace oclip::card {

// Empty when `id` is in the Hub's license list; else one line saying why, naming a near miss.
std::string license_id_problem(const std::string& id);

// One line per problem; empty when the front matter is valid.
std::vector<std::string> check_front_matter(std::string_view readme);

}  // namespace oclip::card
