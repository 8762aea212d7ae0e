// oclip info MODEL [--pretrained TAG]: a model's config and its pretrained entry.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/output.h"

namespace oclip::cli {
namespace {

struct Options {
  std::string model;
  std::string tag;
};

std::string join(const std::vector<std::string_view>& items, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += separator;
    out += items[i];
  }
  return out;
}

std::string triple(const std::array<double, 3>& v) {
  return fmt::format("{} {} {}", v[0], v[1], v[2]);
}

nlohmann::ordered_json pretrained_json(const registry::PretrainedEntry& e) {
  nlohmann::ordered_json out = {{"tag", e.tag}, {"hf_hub", e.hf_hub_repo}};
  if (!e.hf_hub_filename.empty()) out["filename"] = e.hf_hub_filename;
  if (!e.url.empty()) out["url"] = e.url;
  out["quick_gelu"] = e.quick_gelu;
  out["mean"] = e.mean;
  out["std"] = e.std;
  out["interpolation"] = e.interpolation;
  out["resize_mode"] = e.resize_mode;
  return out;
}

int info(const Config& config, const Options& options) {
  if (options.model.rfind("hf-hub:", 0) == 0 || options.model.rfind("local-dir:", 0) == 0) {
    throw Error(ErrorKind::Unsupported,
                "info takes a built-in architecture name, not '" + options.model + "'")
        .with_hint("'oclip list-models' shows the built-in names");
  }
  registry::Registry registry = load_registry(config);
  nlohmann::ordered_json model_cfg = registry.config(options.model);
  std::vector<std::string_view> tags = registry.tags_for(options.model);
  const registry::PretrainedEntry* entry =
      options.tag.empty() ? nullptr : &registry.find_pretrained(options.model, options.tag);

  std::string source;
  for (const registry::ModelInfo& m : registry.models()) {
    if (m.name == options.model) source = m.source;
  }

  if (config.json) {
    nlohmann::ordered_json out = {{"model", options.model},
                                  {"source", source},
                                  {"config", model_cfg},
                                  {"pretrained_tags", tags}};
    if (entry) out["pretrained"] = pretrained_json(*entry);
    print_json(out);
    return 0;
  }

  std::vector<std::vector<std::string>> rows = {
      {"model", options.model},
      {"source", source},
      {"embed_dim", model_cfg.value("embed_dim", nlohmann::ordered_json()).dump()},
      {"pretrained", tags.empty() ? "(none)" : join(tags, " ")},
  };
  if (entry) {
    rows.push_back({"tag", std::string(entry->tag)});
    rows.push_back({"hf-hub", std::string(entry->hf_hub_repo)});
    if (!entry->hf_hub_filename.empty())
      rows.push_back({"file", std::string(entry->hf_hub_filename)});
    if (!entry->url.empty()) rows.push_back({"url", std::string(entry->url)});
    rows.push_back({"quick_gelu", entry->quick_gelu ? "true" : "false"});
    rows.push_back({"mean", triple(entry->mean)});
    rows.push_back({"std", triple(entry->std)});
    rows.push_back({"interpolation", std::string(entry->interpolation)});
    rows.push_back({"resize_mode", std::string(entry->resize_mode)});
  }
  std::cout << format_table(rows) << bold(config, "config") << "\n" << model_cfg.dump(2) << "\n";
  return 0;
}

}  // namespace

Command add_info_command(CLI::App& parent) {
  auto options = std::make_shared<Options>();
  CLI::App* app = parent.add_subcommand("info", "Show a model's config and pretrained entry");
  app->add_option("MODEL", options->model, "Built-in architecture name, e.g. ViT-B-32")->required();
  app->add_option("--pretrained", options->tag,
                  "Pretrained tag (case and '-'/'_' are normalised as open_clip does)");
  app->footer("Example: oclip info ViT-B-32 --pretrained laion2b_s34b_b79k --json");
  return {app, [options](const Config& config) { return info(config, *options); }};
}

}  // namespace oclip::cli
