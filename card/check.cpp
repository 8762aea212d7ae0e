#include "card/check.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>

#include "card/hub_lists.h"

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

bool listed(const std::vector<std::string_view>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Lower case without separators, so "Apache 2" and "apache-2.0" are one edit apart.
std::string squeezed(std::string_view id) {
  std::string out;
  for (unsigned char c : id)
    if (std::isalnum(c)) out.push_back(static_cast<char>(std::tolower(c)));
  return out;
}

// " (did you mean 'x'?)" for a near miss, else "".
std::string suggestion(const std::vector<std::string_view>& ids, const std::string& id) {
  const std::string wanted = squeezed(id);
  std::string_view best;
  size_t best_distance = std::max<size_t>(3, wanted.size() / 3);  // beyond: a different word
  for (std::string_view candidate : ids) {
    size_t d = edit_distance(wanted, squeezed(candidate));
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return best.empty() ? "" : " (did you mean '" + std::string(best) + "'?)";
}

}  // namespace

std::string license_id_problem(const std::string& id) {
  if (listed(hub_licenses(), id)) return "";
  return "license '" + id + "' is not in the Hub's license list" + suggestion(hub_licenses(), id) +
         "; for another license use 'other' with license_name and license_link";
}

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
    if (!is_string(license)) {
      problems.push_back("license must be a string");
    } else if (std::string problem = license_id_problem(license.Scalar()); !problem.empty()) {
      problems.push_back(problem);
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
    if (!listed(hub_tasks(), pipeline.Scalar())) {
      problems.push_back("pipeline_tag '" + pipeline.Scalar() + "' is not one of the Hub's tasks" +
                         suggestion(hub_tasks(), pipeline.Scalar()));
    }
  }
  return problems;
}

}  // namespace oclip::card
