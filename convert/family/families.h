// convert/family/families.h — one function per source family (not a public header).
#pragma once

#include "convert/conversion.h"

namespace oclip::convert {

Conversion convert_openai(const Checkpoint& source, const ConvertOptions& options,
                          const registry::Registry& registry);
Conversion convert_open_clip(const Checkpoint& source, const ConvertOptions& options,
                             const registry::Registry& registry);
Conversion convert_mobileclip(const Checkpoint& source, const ConvertOptions& options,
                              const registry::Registry& registry);
Conversion convert_big_vision(const Checkpoint& source, const ConvertOptions& options,
                              const registry::Registry& registry);

// Shared helpers.
Planned copy_of(const Tensor& t, std::string name);  // as it is, float types become f32
// The native CLIP (ViT or ModifiedResNet + text transformer) state dict a model_cfg implies,
// as names and shapes in state-dict order; nothing when the config uses options oclip cannot
// lay out (the reason goes into `why`).
struct ExpectedTensor {
  std::string name;
  std::vector<int64_t> shape;
};
std::optional<std::vector<ExpectedTensor>> native_clip_layout(
    const nlohmann::ordered_json& model_cfg, std::string* why);
// Checks planned tensors against an expected layout (same names and shapes; the error lists
// the first offenders) and returns them in the layout's order.
std::vector<Planned> check_layout(std::vector<Planned> planned,
                                  const std::vector<ExpectedTensor>& expected,
                                  const std::string& what, const Checkpoint& source);
// "a, b, c; and 4 more": the first `limit` names for a message.
std::string first_names(const std::vector<std::string>& names, std::string_view separator,
                        size_t limit = 5);

// Preprocessing of a family or a pretrained entry: {"mean", "std", "interpolation", "resize_mode"}.
nlohmann::ordered_json preprocess(const std::array<double, 3>& mean,
                                  const std::array<double, 3>& std, std::string_view interpolation,
                                  std::string_view resize_mode);
nlohmann::ordered_json openai_preprocess();

}  // namespace oclip::convert
