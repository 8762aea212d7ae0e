// card/yaml.h — the small YAML a model card's front matter needs: a mapping of strings and
// lists of strings, each scalar quoted exactly when a YAML 1.1 or 1.2 reader would otherwise
// read it as something else (a number, a boolean, null, a comment, a nested structure).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace oclip::card {

using YamlValue = std::variant<std::string, std::vector<std::string>>;
using YamlMapping = std::vector<std::pair<std::string, YamlValue>>;  // keys in order

// A scalar as it must be written: plain when that reads back as the same string, else
// double-quoted with escapes.
std::string yaml_scalar(std::string_view text);

// "key: value" and "key:\n- item" lines; an empty list is written as [].
std::string emit_yaml(const YamlMapping& mapping);

}  // namespace oclip::card
