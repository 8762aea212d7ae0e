// registry/registry.h — open_clip's architectures and pretrained table, compiled in, plus
// configs added from folders at run time (like open_clip's add_model_config).
#pragma once

#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oclip::registry {

struct PretrainedEntry {
  std::string_view model;
  std::string_view tag;              // normal form: lower case, '_' not '-'
  std::string_view hf_hub_repo;      // "org/name"
  std::string_view hf_hub_filename;  // empty: the default weight file
  std::string_view url;              // legacy direct download, often empty
  bool quick_gelu;
  std::array<double, 3> mean;
  std::array<double, 3> std;
  std::string_view interpolation;
  std::string_view resize_mode;
};

struct ModelInfo {
  std::string name;
  std::string source;  // "built-in" or the path of the file it came from
};

// open_clip's `_clean_tag`: lower case, '-' becomes '_'.
std::string clean_tag(std::string_view tag);

class Registry {
 public:
  // The 144 built-in architectures and 196 pretrained pairs of open_clip v3.3.0.
  Registry();

  // Adds every *.json in `dir` (sorted by name); a file with an existing stem replaces the
  // earlier config. Files without embed_dim/vision_cfg/text_cfg are skipped, as open_clip does.
  // A file that is not JSON throws Error(Format) naming its path and line.
  void add_config_dir(const std::filesystem::path& dir);

  // list_models(): natural-sort order.
  std::vector<ModelInfo> models() const;
  bool has_model(std::string_view name) const;
  // Throws Error(NotFound) with "did you mean" hints for an unknown name.
  nlohmann::ordered_json config(std::string_view name) const;

  // list_pretrained(): table order.
  const std::vector<PretrainedEntry>& pretrained() const { return pretrained_; }
  std::vector<std::string_view> tags_for(std::string_view model) const;
  // Tag is matched after clean_tag(). Throws Error(NotFound) listing the model's tags.
  const PretrainedEntry& find_pretrained(std::string_view model, std::string_view tag) const;

 private:
  struct Entry {
    std::string name;
    std::string source;
    const char* builtin_json = nullptr;  // built-ins are parsed only when asked for
    nlohmann::ordered_json parsed;
  };
  const Entry* find(std::string_view name) const;

  std::vector<Entry> entries_;
  std::vector<PretrainedEntry> pretrained_;
};

// Up to `limit` names closest to `wanted` (case-insensitive edit distance), best first.
std::vector<std::string> suggest(std::string_view wanted, const std::vector<std::string>& names,
                                 size_t limit = 3);

}  // namespace oclip::registry
