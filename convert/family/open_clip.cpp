// open_clip's own checkpoints (training epochs, Hub files) -> a Hub folder: unwrapped and
// unprefixed by the reader; here the architecture comes from --model (or the folder's config)
// and the names are checked against it.
#include "convert/family/families.h"
#include "core/error.h"

namespace oclip::convert {
namespace {

using Json = nlohmann::ordered_json;

// The five flat text groups that convert_to_custom_text_state_dict moves under "text.".
bool flat_text_name(const std::string& name) {
  for (const char* prefix : {"positional_embedding", "token_embedding.", "transformer.",
                             "ln_final.", "text_projection"}) {
    if (name.starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace

Conversion convert_open_clip(const Checkpoint& source, const ConvertOptions& options,
                             const registry::Registry& registry) {
  Conversion c;
  c.family = Family::OpenClip;
  if (!options.model.empty()) {
    c.model_name = options.model;
    c.model_cfg = registry.config(options.model);
  } else if (options.folder_config) {
    c.model_cfg = options.folder_config->at("model_cfg");
    c.notes.push_back("architecture from the open_clip_config.json beside the checkpoint");
  } else {
    throw Error(
        ErrorKind::Usage,
        source.label + " is an open_clip checkpoint, which does not record its architecture")
        .with_hint(
            "name it with --model (a training run's params.txt has it), e.g. --model ViT-B-32");
  }
  const bool custom_text = c.model_cfg.value("custom_text", false);
  const bool flat = source.find("positional_embedding") != nullptr;
  if (custom_text && flat)
    c.notes.push_back("moved the flat text tower under 'text.' (custom_text config)");

  for (const Tensor& t : source.tensors) {
    if (t.name == "text.transformer.embeddings.position_ids") {
      c.dropped.push_back(t.name);
      continue;
    }
    std::string name = custom_text && flat && flat_text_name(t.name) ? "text." + t.name : t.name;
    Planned p = copy_of(t, name);
    if ((name == "logit_scale" || name == "logit_bias") && p.shape == std::vector<int64_t>{1}) {
      p.shape = {};
      p.parts[0] = reshape(t, {});
      p.transform += ", [1] -> []";
    }
    c.tensors.push_back(std::move(p));
  }

  std::string why;
  if (std::optional<std::vector<ExpectedTensor>> layout = native_clip_layout(c.model_cfg, &why)) {
    c.tensors = check_layout(
        std::move(c.tensors), *layout,
        c.model_name.empty() ? std::string("the folder's config") : c.model_name, source);
  } else {
    c.notes.push_back("names were not checked against the architecture (" + why +
                      "); they are kept as they are");
  }
  return c;
}

}  // namespace oclip::convert
