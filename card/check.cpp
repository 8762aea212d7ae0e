#include "card/check.h"

#include <yaml-cpp/yaml.h>

#include <regex>

namespace oclip::card {
namespace {

bool is_string(const YAML::Node& node) { return node.IsScalar(); }

bool is_string_list(const YAML::Node& node) {
  if (!node.IsSequence()) return false;
  for (const YAML::Node& item : node) {
    if (!item.IsScalar()) return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> check_front_matter(std::string_view readme) {
  std::vector<std::string> problems;
  size_t first_break = readme.find('\n');
  std::string_view opening = readme.substr(0, first_break);
  if (!opening.empty() && opening.back() == '\r') opening.remove_suffix(1);
  if (opening != "---" || first_break == std::string_view::npos) {
    return {"no front matter: the file must start with a '---' line"};
  }
  size_t start = first_break + 1;
  size_t end = readme.find("\n---", first_break);
  if (end == std::string_view::npos) return {"the front matter has no closing '---' line"};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(readme.substr(start, end + 1 - start)));
  } catch (const YAML::Exception& e) {
    return {"the front matter is not YAML: " + std::string(e.what())};
  }
  if (root.IsNull()) return {"the front matter is empty"};
  if (!root.IsMap()) return {"the front matter must be a mapping of keys to values"};

  if (const YAML::Node license = root["license"]) {
    static const std::regex kLicenseId("[a-z0-9][a-z0-9.+-]*");
    if (!is_string(license)) {
      problems.push_back("license must be a string");
    } else if (!std::regex_match(license.Scalar(), kLicenseId)) {
      problems.push_back("license '" + license.Scalar() +
                         "' is not a license identifier (lowercase, e.g. mit, apache-2.0, other)");
    } else if (license.Scalar() == "other" &&
               (!root["license_name"] || !is_string(root["license_name"]))) {
      problems.push_back("license 'other' needs license_name (and usually license_link)");
    }
  } else {
    problems.push_back("no license: the Hub asks every model card for one");
  }
  for (const char* key : {"tags", "datasets", "languages", "language", "metrics"}) {
    const YAML::Node node = root[key];
    if (node && !is_string_list(node) && !(std::string(key) == "language" && is_string(node))) {
      problems.push_back(std::string(key) + " must be a list of strings");
    }
  }
  for (const char* key : {"pipeline_tag", "library_name", "license_name", "license_link"}) {
    const YAML::Node node = root[key];
    if (node && !is_string(node)) problems.push_back(std::string(key) + " must be a string");
  }
  if (const YAML::Node pipeline = root["pipeline_tag"]; pipeline && is_string(pipeline)) {
    static const std::regex kTask("[a-z0-9]+(-[a-z0-9]+)*");
    if (!std::regex_match(pipeline.Scalar(), kTask)) {
      problems.push_back("pipeline_tag '" + pipeline.Scalar() + "' is not a task id");
    }
  }
  return problems;
}

}  // namespace oclip::card
