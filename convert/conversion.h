// convert/conversion.h — third-party and training checkpoints to open_clip state dicts and
// configs: family detection, the per-family rules, precision, and the Hub folder.
#pragma once

#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "convert/checkpoint.h"
#include "convert/views.h"
#include "registry/registry.h"

namespace oclip::convert {

enum class Family { OpenAi, OpenClip, MobileClip, BigVision };
std::string_view family_name(Family family);  // openai, open_clip, mobileclip, big_vision
std::optional<Family> family_from_name(std::string_view name);

struct ConvertOptions {
  std::optional<Family> family;  // --from; detected when empty
  std::string model;             // --model; inferred when the family allows
  std::string precision = "fp32";
  std::string pretrained_tag;
  std::optional<std::array<double, 3>> image_mean, image_std;
  std::string image_interpolation, image_resize_mode;
  // open_clip_config.json found beside an open_clip checkpoint: its model_cfg stands in for
  // --model, its preprocess_cfg for the pretrained table.
  std::optional<nlohmann::ordered_json> folder_config;
};

struct Conversion {
  Family family = Family::OpenClip;
  std::string precision = "fp32";
  std::string model_name;  // built-in config name; empty for an inferred custom config
  nlohmann::ordered_json model_cfg;
  nlohmann::ordered_json preprocess_cfg;
  std::vector<Planned> tensors;      // in open_clip state-dict order
  std::vector<std::string> dropped;  // source tensors deliberately not carried over
  std::vector<std::string> notes;    // what was assumed or adjusted
};

// The family from marker tensors (first match wins), or nothing.
std::optional<Family> detect_family(const Checkpoint& source);

// Maps every tensor by the family's rules and checks the result against the architecture.
// Throws Error(Format) when the file matches no family or only partly (with the first
// offending names), Error(Usage) for options that contradict the file, Error(Unsupported)
// for architectures open_clip cannot represent.
Conversion plan_conversion(const Checkpoint& source, const ConvertOptions& options,
                           const registry::Registry& registry);

// A file written into the folder beside the model: a copy of `source`, or `content` when
// `source` is empty.
struct ExtraFile {
  std::string name;
  std::filesystem::path source;
  std::string content;
};

struct FolderOptions {
  bool write_bin = false;              // also open_clip_pytorch_model.bin
  bool force = false;                  // replace an existing non-empty folder
  std::string source_sha256;           // hashed from the mapped source while writing when empty
  std::vector<ExtraFile> extra_files;  // the tokenizer files
  std::string readme;                  // README.md's text; empty: none
  // Files the command still needs (the source, a reference): --force never deletes a folder
  // holding one of them.
  std::vector<std::filesystem::path> inputs;
};

// Writes open_clip_model.safetensors (+ .bin) and open_clip_config.json into a temporary
// sibling of `dir`, then renames it into place: `dir` never holds a half-written model.
// An existing `dir` must be an empty folder, or any folder with `force` unless it holds one
// of the inputs or the current folder.
void write_folder(const Conversion& conversion, const Checkpoint& source,
                  const std::filesystem::path& dir, const FolderOptions& options);

// open_clip_config.json as open_clip's push_to_hf_hub writes it (json.dump, indent 2).
std::string config_json(const Conversion& conversion);

}  // namespace oclip::convert
