#include "registry/registry.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/file_io.h"
#include "registry/builtin_data.h"
#include "registry/natural_sort.h"

namespace oclip::registry {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbours cost 1 each, so "ViT-B-23" is one step from "ViT-B-32".
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// 1-based line of byte `offset` in `text`.
size_t line_of(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
}

bool is_model_config(const nlohmann::ordered_json& config) {
  return config.is_object() && config.contains("embed_dim") && config.contains("vision_cfg") &&
         config.contains("text_cfg");
}

}  // namespace

std::string clean_tag(std::string_view tag) {
  std::string out = lower(tag);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

Registry::Registry() {
  entries_.reserve(kBuiltinConfigCount);
  for (size_t i = 0; i < kBuiltinConfigCount; ++i) {
    entries_.push_back({kBuiltinConfigs[i].name, "built-in", kBuiltinConfigs[i].json, {}});
  }
  pretrained_.assign(kBuiltinPretrained, kBuiltinPretrained + kBuiltinPretrainedCount);
}

void Registry::add_config_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw Error(ErrorKind::NotFound, "model config folder not found: " + dir.string())
        .with_file(dir.string());
  }
  std::vector<std::filesystem::path> files;
  for (const auto& item : std::filesystem::directory_iterator(dir)) {
    if (item.path().extension() == ".json" && item.is_regular_file()) files.push_back(item.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::string text = read_file(path);
    nlohmann::ordered_json config;
    try {
      config = nlohmann::ordered_json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      throw Error(ErrorKind::Format, path.string() + ":" + std::to_string(line_of(text, e.byte)) +
                                         ": invalid JSON in model config")
          .with_file(path.string());
    }
    if (!is_model_config(config)) continue;
    std::string name = path.stem().string();
    Entry entry{name, path.string(), nullptr, std::move(config)};
    auto existing = std::find_if(entries_.begin(), entries_.end(),
                                 [&](const Entry& e) { return e.name == name; });
    if (existing != entries_.end()) {
      *existing = std::move(entry);
    } else {
      entries_.push_back(std::move(entry));
    }
  }
}

std::vector<ModelInfo> Registry::models() const {
  std::vector<std::string> names;
  names.reserve(entries_.size());
  for (const Entry& e : entries_) names.push_back(e.name);
  natural_sort(names);
  std::vector<ModelInfo> out;
  out.reserve(names.size());
  for (const std::string& name : names) out.push_back({name, find(name)->source});
  return out;
}

const Registry::Entry* Registry::find(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

bool Registry::has_model(std::string_view name) const { return find(name) != nullptr; }

nlohmann::ordered_json Registry::config(std::string_view name) const {
  const Entry* entry = find(name);
  if (!entry) {
    std::vector<std::string> names;
    for (const Entry& e : entries_) names.push_back(e.name);
    Error error(ErrorKind::NotFound, "unknown model '" + std::string(name) + "'");
    std::vector<std::string> close = suggest(name, names);
    if (!close.empty()) {
      std::string hint = "did you mean ";
      for (size_t i = 0; i < close.size(); ++i) hint += (i ? ", " : "") + close[i];
      error.with_hint(hint + "? ('oclip list-models' shows them all)");
    } else {
      error.with_hint("'oclip list-models' shows the built-in architectures");
    }
    throw error;
  }
  if (entry->builtin_json) return nlohmann::ordered_json::parse(entry->builtin_json);
  return entry->parsed;
}

std::vector<std::string_view> Registry::tags_for(std::string_view model) const {
  std::vector<std::string_view> tags;
  for (const PretrainedEntry& e : pretrained_) {
    if (e.model == model) tags.push_back(e.tag);
  }
  return tags;
}

const PretrainedEntry& Registry::find_pretrained(std::string_view model,
                                                 std::string_view tag) const {
  std::string wanted = clean_tag(tag);
  for (const PretrainedEntry& e : pretrained_) {
    if (e.model == model && e.tag == wanted) return e;
  }
  std::vector<std::string_view> tags = tags_for(model);
  Error error(ErrorKind::NotFound, "model '" + std::string(model) + "' has no pretrained tag '" +
                                       std::string(tag) + "'");
  if (tags.empty()) {
    error.with_hint("'" + std::string(model) + "' has no pretrained weights in the registry");
  } else {
    std::vector<std::string> names(tags.begin(), tags.end());
    std::vector<std::string> close = suggest(wanted, names, 1);
    std::string hint = close.empty() ? "" : "did you mean " + close[0] + "? ";
    hint += "tags:";
    for (std::string_view t : tags) hint += " " + std::string(t);
    error.with_hint(hint);
  }
  throw error;
}

std::vector<std::string> suggest(std::string_view wanted, const std::vector<std::string>& names,
                                 size_t limit) {
  std::string key = lower(wanted);
  // Beyond a third of the name's length a suggestion is more noise than help.
  size_t max_distance = std::max<size_t>(2, key.size() / 3);
  std::vector<std::pair<size_t, std::string>> scored;
  for (const std::string& name : names) {
    size_t distance = edit_distance(key, lower(name));
    if (distance <= max_distance) scored.emplace_back(distance, name);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < limit; ++i) out.push_back(scored[i].second);
  return out;
}

}  // namespace oclip::registry
