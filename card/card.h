// card/card.h — README.md for an OpenCLIP model folder: YAML front matter with the keys
// open_clip's push writes, and a body describing the model (open-clip.md §4.3, §4.4).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace oclip::card {

struct CardInput {
  std::string model_name;             // the heading: the repo name, or the folder's name
  std::string repo_id;                // for the usage snippets; empty: the folder is not on the Hub
  nlohmann::ordered_json config;      // open_clip_config.json: {model_cfg, preprocess_cfg}
  nlohmann::ordered_json model_card;  // --model-card JSON, or null
  std::string license;                // required: never defaulted
};

// The whole README. Throws Error(Format) for a model card JSON of the wrong shape and
// Error(Usage) when no license is given.
std::string render_readme(const CardInput& input);

// The license a model card JSON names, if any.
std::optional<std::string> card_license(const nlohmann::ordered_json& model_card);

// The `license` of a README's front matter, if it has one (a plain or quoted scalar).
std::optional<std::string> front_matter_license(std::string_view readme);

// One line per tower and the embedding width, e.g. "ViT (width 768, 12 layers, patch 32, 224 px)".
std::string architecture_summary(const nlohmann::ordered_json& model_cfg);

}  // namespace oclip::card
