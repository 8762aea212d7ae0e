#include "card/card.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "card/check.h"
#include "card/yaml.h"
#include "core/error.h"

namespace oclip::card {
namespace {

using json = nlohmann::ordered_json;

std::string text_of(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::vector<std::string> string_list(const json& value, const std::string& key) {
  std::vector<std::string> out;
  if (value.is_string()) return {value.get<std::string>()};
  if (!value.is_array()) {
    throw Error(ErrorKind::Format, "model card: \"" + key + "\" must be a string or a list");
  }
  for (const json& item : value) {
    if (!item.is_string()) {
      throw Error(ErrorKind::Format, "model card: \"" + key + "\" must list strings only");
    }
    out.push_back(item);
  }
  return out;
}

// open_clip's generate_readme keys, in its order; `datasets` from details.Dataset.
YamlMapping front_matter(const CardInput& input) {
  const json& card = input.model_card;
  auto get = [&](const char* key) { return card.is_object() && card.contains(key); };
  YamlMapping mapping;
  std::vector<std::string> tags =
      get("tags") ? string_list(card["tags"], "tags") : std::vector<std::string>{"clip"};
  if (!tags.empty()) mapping.emplace_back("tags", tags);
  mapping.emplace_back("library_name", "open_clip");
  mapping.emplace_back("pipeline_tag", get("pipeline_tag") ? text_of(card["pipeline_tag"])
                                                           : "zero-shot-image-classification");
  mapping.emplace_back("license", input.license);
  for (const char* key : {"license_name", "license_link"}) {
    if (get(key)) mapping.emplace_back(key, text_of(card[key]));
  }
  if (get("details") && card["details"].is_object() && card["details"].contains("Dataset")) {
    std::vector<std::string> datasets;
    for (const std::string& d : string_list(card["details"]["Dataset"], "details.Dataset")) {
      datasets.push_back(lower(d));
    }
    mapping.emplace_back("datasets", datasets);
  }
  return mapping;
}

std::string numbers(const json& values) {
  std::string out;
  if (!values.is_array()) return text_of(values);
  for (const json& v : values) out += (out.empty() ? "" : ", ") + text_of(v);
  return out;
}

std::string preprocess_summary(const json& config) {
  json pre = config.value("preprocess_cfg", json::object());
  json vision = config.value("model_cfg", json::object()).value("vision_cfg", json::object());
  std::string size = vision.contains("image_size") ? text_of(vision["image_size"]) : "224";
  return fmt::format(
      "- **Image size:** {}\n- **Mean:** {}\n- **Std:** {}\n- **Interpolation:** {}\n"
      "- **Resize mode:** {}\n",
      size, pre.contains("mean") ? numbers(pre["mean"]) : "OpenAI's (default)",
      pre.contains("std") ? numbers(pre["std"]) : "OpenAI's (default)",
      pre.value("interpolation", "bicubic"), pre.value("resize_mode", "shortest"));
}

// open_clip's "- **Key:** value" lines, lists and dicts indented below.
std::string details_lines(const json& details) {
  std::string out;
  for (const auto& [key, value] : details.items()) {
    if (value.is_array()) {
      out += "- **" + key + ":**\n";
      for (const json& item : value) out += "  - " + text_of(item) + "\n";
    } else if (value.is_object()) {
      out += "- **" + key + ":**\n";
      for (const auto& [k, v] : value.items()) out += "  - " + k + ": " + text_of(v) + "\n";
    } else {
      out += "- **" + key + ":** " + text_of(value) + "\n";
    }
  }
  return out;
}

std::string usage_section(const CardInput& input) {
  if (input.repo_id.empty()) {
    return "Load the folder with open_clip:\n\n```python\nimport open_clip\n\n"
           "model, preprocess = open_clip.create_model_from_pretrained('local-dir:PATH')\n"
           "tokenizer = open_clip.get_tokenizer('local-dir:PATH')\n```\n";
  }
  const std::string& id = input.repo_id;
  return "With open_clip:\n\n```python\nimport open_clip\n\n"
         "model, preprocess = open_clip.create_model_from_pretrained('hf-hub:" +
         id + "')\ntokenizer = open_clip.get_tokenizer('hf-hub:" + id +
         "')\n```\n\nWith oclip, into the cache `huggingface_hub` shares:\n\n```sh\noclip pull "
         "hf-hub:" +
         id + "\noclip validate hf-hub:" + id + "\n```\n";
}

}  // namespace

std::string architecture_summary(const json& model_cfg) {
  json vision = model_cfg.value("vision_cfg", json::object());
  json text = model_cfg.value("text_cfg", json::object());
  std::string image;
  if (vision.contains("timm_model_name")) {
    image = "timm `" + text_of(vision["timm_model_name"]) + "`";
  } else if (vision.contains("layers") && vision["layers"].is_array()) {
    image = "ModifiedResNet (layers " + numbers(vision["layers"]) + ", width " +
            text_of(vision.value("width", json(64))) + ")";
  } else {
    image = fmt::format(
        "ViT (width {}, {} layers, patch {})", text_of(vision.value("width", json(768))),
        text_of(vision.value("layers", json(12))), text_of(vision.value("patch_size", json(16))));
  }
  image += ", " + text_of(vision.value("image_size", json(224))) + " px";
  std::string words;
  if (text.contains("hf_model_name")) {
    words = "Hugging Face `" + text_of(text["hf_model_name"]) + "`";
  } else {
    words = fmt::format(
        "transformer (width {}, {} layers, {} heads)", text_of(text.value("width", json(512))),
        text_of(text.value("layers", json(12))), text_of(text.value("heads", json(8))));
  }
  words += ", context " + text_of(text.value("context_length", json(77)));
  return fmt::format("- **Image tower:** {}\n- **Text tower:** {}\n- **Embedding:** {}\n", image,
                     words, text_of(model_cfg.value("embed_dim", json(nullptr))));
}

std::optional<std::string> card_license(const json& model_card) {
  if (model_card.is_object() && model_card.contains("license") &&
      model_card["license"].is_string() && !model_card["license"].get<std::string>().empty()) {
    return model_card["license"].get<std::string>();
  }
  return std::nullopt;
}

std::optional<std::string> front_matter_license(std::string_view readme) {
  if (readme.substr(0, 4) != "---\n" && readme.substr(0, 5) != "---\r\n") return std::nullopt;
  size_t start = readme.find('\n') + 1;
  size_t end = readme.find("\n---", start - 1);
  if (end == std::string_view::npos) return std::nullopt;
  try {
    YAML::Node node = YAML::Load(std::string(readme.substr(start, end - start + 1)));
    if (node.IsMap() && node["license"] && node["license"].IsScalar()) {
      std::string license = node["license"].as<std::string>();
      if (!license.empty()) return license;
    }
  } catch (const YAML::Exception&) {
  }
  return std::nullopt;
}

std::string render_readme(const CardInput& input) {
  if (input.license.empty()) {
    throw Error(ErrorKind::Usage, "no license known for the model card")
        .with_hint(
            "pass --license ID (e.g. mit, apache-2.0, other) or a --model-card JSON with one");
  }
  if (std::string problem = license_id_problem(input.license); !problem.empty())
    throw Error(ErrorKind::Usage, problem);
  const json& card = input.model_card;
  if (!card.is_null() && !card.is_object()) {
    throw Error(ErrorKind::Format, "the model card JSON must be an object");
  }
  auto get = [&](const char* key) { return card.is_object() && card.contains(key); };
  std::string out = "---\n" + emit_yaml(front_matter(input)) + "---\n";
  out += "# Model card for " + input.model_name + "\n";
  out += "\n" +
         (get("description") ? text_of(card["description"]) : "An OpenCLIP image-text model.") +
         "\n";
  out += "\n## Model Details\n\n";
  if (get("details")) {
    if (!card["details"].is_object()) {
      throw Error(ErrorKind::Format, "model card: \"details\" must be an object");
    }
    out += details_lines(card["details"]);
  }
  json model_cfg = input.config.value("model_cfg", json::object());
  out += architecture_summary(model_cfg);
  out += "\n## Preprocessing\n\n" + preprocess_summary(input.config);
  out += "\n## How to use\n\n" + usage_section(input);
  if (get("usage")) out += "\n## Model Usage\n\n" + text_of(card["usage"]) + "\n";
  if (get("comparison")) out += "\n## Model Comparison\n\n" + text_of(card["comparison"]) + "\n";
  if (get("citation")) {
    out += "\n## Citation\n";
    for (const std::string& c : string_list(card["citation"], "citation")) {
      out += "\n```bibtex\n" + c + "\n```\n";
    }
  }
  return out;
}

}  // namespace oclip::card
