// oclip list-models: the built-in architectures (open_clip's list_models) or, with
// --pretrained, every (model, tag) pair (list_pretrained).
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/output.h"
#include "core/error.h"
#include "core/glob.h"

namespace oclip::cli {
namespace {

struct Options {
  bool pretrained = false;
  std::string filter;
};

nlohmann::ordered_json to_json(const registry::PretrainedEntry& e) {
  nlohmann::ordered_json row = {{"model", e.model}, {"tag", e.tag}, {"hf_hub", e.hf_hub_repo}};
  if (!e.hf_hub_filename.empty()) row["filename"] = e.hf_hub_filename;
  if (!e.url.empty()) row["url"] = e.url;
  row["quick_gelu"] = e.quick_gelu;
  row["mean"] = e.mean;
  row["std"] = e.std;
  row["interpolation"] = e.interpolation;
  row["resize_mode"] = e.resize_mode;
  return row;
}

int list_pretrained(const Config& config, const registry::Registry& registry,
                    const Options& options) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  std::vector<std::vector<std::string>> table;
  for (const registry::PretrainedEntry& e : registry.pretrained()) {
    std::string pair = std::string(e.model) + ":" + std::string(e.tag);
    if (!options.filter.empty() && !glob_match(options.filter, e.model, true) &&
        !glob_match(options.filter, pair, true)) {
      continue;
    }
    if (config.json) {
      rows.push_back(to_json(e));
    } else {
      std::string hub = "hf-hub:" + std::string(e.hf_hub_repo);
      if (!e.hf_hub_filename.empty()) hub += " (" + std::string(e.hf_hub_filename) + ")";
      table.push_back({std::string(e.model), std::string(e.tag), hub});
    }
  }
  if (config.json) {
    print_json(rows);
  } else {
    std::cout << format_table(table);
  }
  return 0;
}

int list_models(const Config& config, const Options& options) {
  registry::Registry registry = load_registry(config);
  if (options.pretrained) return list_pretrained(config, registry, options);
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  std::string text;
  for (const registry::ModelInfo& model : registry.models()) {
    if (!options.filter.empty() && !glob_match(options.filter, model.name, true)) continue;
    if (config.json) {
      rows.push_back({{"name", model.name},
                      {"source", model.source},
                      {"pretrained_tags", registry.tags_for(model.name)}});
    } else {
      text += model.name + "\n";
    }
  }
  if (config.json) {
    print_json(rows);
  } else {
    std::cout << text;
  }
  return 0;
}

}  // namespace

Command add_list_models_command(CLI::App& parent) {
  auto options = std::make_shared<Options>();
  CLI::App* app = parent.add_subcommand(
      "list-models",
      "List built-in architectures (natural order), or pretrained (model, tag) pairs");
  app->add_flag("--pretrained", options->pretrained,
                "List every (model, tag) pair with its Hub repo, in open_clip's table order");
  app->add_option("--filter", options->filter,
                  "Only names matching this glob (case-insensitive; with --pretrained also "
                  "MODEL:TAG)");
  app->footer("Example: oclip list-models --pretrained --filter 'ViT-B-32*'");
  return {app, [options](const Config& config) { return list_models(config, *options); }};
}

registry::Registry load_registry(const Config& config) {
  registry::Registry registry;
  for (const auto& dir : config.model_config_dirs) registry.add_config_dir(dir);
  return registry;
}

PretrainedOnHub pretrained_on_hub(const registry::Registry& registry, const std::string& model,
                                  const std::string& tag) {
  const registry::PretrainedEntry& entry = registry.find_pretrained(model, tag);
  if (entry.hf_hub_repo.empty()) {
    throw Error(ErrorKind::Unsupported, model + ":" + std::string(entry.tag) +
                                            " has no Hub copy, only " + std::string(entry.url));
  }
  return {std::string(entry.hf_hub_repo), std::string(entry.hf_hub_filename)};
}

}  // namespace oclip::cli
