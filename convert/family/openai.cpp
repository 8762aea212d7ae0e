// OpenAI CLIP (TorchScript archives, or their state dicts) -> open_clip CLIP with QuickGELU.
// Names are kept, floats become f32, the three config buffers are dropped; the config is
// inferred from shapes as open_clip's build_model_from_openai_state_dict does.
#include <cmath>
#include <cstring>
#include <set>

#include "convert/family/families.h"
#include "convert/readers.h"
#include "core/error.h"

namespace oclip::convert {
namespace {

using Json = nlohmann::ordered_json;

const std::set<std::string> kConfigBuffers = {"input_resolution", "context_length", "vocab_size"};

const Tensor& need(const Checkpoint& source, const std::string& name) {
  const Tensor* t = source.find(name);
  if (!t) throw format_error(source, "not an OpenAI CLIP state dict: '" + name + "' is missing");
  return *t;
}

// Distinct values of the dot-component at `index` among names starting with `prefix`.
int64_t count_distinct(const Checkpoint& source, const std::string& prefix, size_t index) {
  std::set<std::string> seen;
  for (const Tensor& t : source.tensors) {
    if (!t.name.starts_with(prefix)) continue;
    size_t start = 0;
    for (size_t i = 0; i < index && start != std::string::npos; ++i) {
      start = t.name.find('.', start);
      if (start != std::string::npos) ++start;
    }
    if (start == std::string::npos) continue;
    seen.insert(t.name.substr(start, t.name.find('.', start) - start));
  }
  return static_cast<int64_t>(seen.size());
}

int64_t grid_of(const Checkpoint& source, const Tensor& positional) {
  const int64_t tokens = positional.shape.at(0) - 1;
  const auto grid = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(tokens))));
  if (grid * grid != tokens)
    throw format_error(source, "'" + positional.name + "' has " + std::to_string(tokens + 1) +
                                   " rows, not a square grid plus one");
  return grid;
}

Json infer_config(const Checkpoint& source) {
  const bool vit = source.find("visual.proj") != nullptr;
  Json vision;
  if (vit) {
    const Tensor& conv = need(source, "visual.conv1.weight");
    int64_t layers = 0;
    for (const Tensor& t : source.tensors)
      layers += t.name.starts_with("visual.") && t.name.ends_with(".attn.in_proj_weight");
    const int64_t patch = conv.shape.back();
    vision = {{"image_size", patch * grid_of(source, need(source, "visual.positional_embedding"))},
              {"layers", layers},
              {"width", conv.shape[0]},
              {"patch_size", patch}};
  } else {
    Json layers = Json::array();
    for (int b = 1; b <= 4; ++b)
      layers.push_back(count_distinct(source, "visual.layer" + std::to_string(b) + ".", 2));
    vision = {
        {"image_size", 32 * grid_of(source, need(source, "visual.attnpool.positional_embedding"))},
        {"layers", layers},
        {"width", need(source, "visual.layer1.0.conv1.weight").shape[0]},
        {"patch_size", nullptr}};
  }
  const int64_t text_width = need(source, "ln_final.weight").shape[0];
  const int64_t vision_heads_width =
      vit ? vision["width"].get<int64_t>() : vision["width"].get<int64_t>() * 32;
  if (text_width % 64 != 0 || vision_heads_width % 64 != 0)
    throw Error(ErrorKind::Unsupported,
                source.label +
                    ": a width is not a multiple of 64, so open_clip cannot "
                    "derive the attention heads (width / 64)");
  Json text = {{"context_length", need(source, "positional_embedding").shape[0]},
               {"vocab_size", need(source, "token_embedding.weight").shape[0]},
               {"width", text_width},
               {"heads", text_width / 64},
               {"layers", count_distinct(source, "transformer.resblocks.", 2)}};
  return Json{{"embed_dim", need(source, "text_projection").shape.at(1)},
              {"quick_gelu", true},
              {"vision_cfg", vision},
              {"text_cfg", text}};
}

// The built-in *-quickgelu config equal to the inferred one, if any.
std::string matching_builtin(const Json& inferred, const registry::Registry& registry) {
  const nlohmann::json want = nlohmann::json::parse(inferred.dump());
  for (const registry::ModelInfo& m : registry.models()) {
    if (!m.name.ends_with("-quickgelu")) continue;
    if (nlohmann::json::parse(registry.config(m.name).dump()) == want) return m.name;
  }
  return "";
}

}  // namespace

Conversion convert_openai(const Checkpoint& source, const ConvertOptions& options,
                          const registry::Registry& registry) {
  Conversion c;
  c.family = Family::OpenAi;
  const Json inferred = infer_config(source);
  c.model_name = matching_builtin(inferred, registry);
  c.model_cfg = inferred;
  if (!options.model.empty()) {
    const Json wanted = registry.config(options.model);
    if (nlohmann::json::parse(wanted.dump()) != nlohmann::json::parse(inferred.dump()))
      throw Error(ErrorKind::Usage,
                  source.label + " has the shapes of " +
                      (c.model_name.empty() ? std::string("a custom config ") + inferred.dump()
                                            : c.model_name) +
                      ", not of --model " + options.model);
    c.model_name = options.model;
    c.model_cfg = wanted;
  } else if (!c.model_name.empty()) {
    c.model_cfg = registry.config(c.model_name);
  } else {
    c.notes.push_back("no built-in config has these shapes; writing the inferred config");
  }
  c.preprocess_cfg = openai_preprocess();

  for (const Tensor& t : source.tensors) {
    if (kConfigBuffers.count(t.name)) {
      c.dropped.push_back(t.name);
      continue;
    }
    c.tensors.push_back(copy_of(t, t.name));
  }
  // The config buffers must agree with the shapes they describe.
  auto check_buffer = [&](const char* name, int64_t want) {
    const Tensor* t = source.find(name);
    if (!t || t->dtype != DType::I64 || t->numel() != 1 || t->offset < 0 ||
        t->storage.size() < static_cast<size_t>(t->offset + 1) * 8)
      return;
    int64_t value = 0;
    std::memcpy(&value, t->storage.data() + t->offset * 8, 8);
    if (value != want)
      throw format_error(source, std::string(name) + " says " + std::to_string(value) +
                                     " but the shapes say " + std::to_string(want));
  };
  check_buffer("input_resolution", inferred["vision_cfg"]["image_size"].get<int64_t>());
  check_buffer("context_length", inferred["text_cfg"]["context_length"].get<int64_t>());
  check_buffer("vocab_size", inferred["text_cfg"]["vocab_size"].get<int64_t>());

  std::string why;
  std::optional<std::vector<ExpectedTensor>> layout = native_clip_layout(c.model_cfg, &why);
  if (!layout)
    throw Error(ErrorKind::Unsupported, "cannot lay out " + c.model_cfg.dump() + ": " + why);
  c.tensors = check_layout(std::move(c.tensors), *layout, "an OpenAI CLIP of these shapes", source);
  return c;
}

}  // namespace oclip::convert
