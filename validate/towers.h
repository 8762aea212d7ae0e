// validate/towers.h — encode_image and encode_text of every family the validator builds.
#pragma once

#include <torch/torch.h>

#include "validate/model_spec.h"
#include "validate/weights.h"

namespace oclip::validate {

// image [B, 3, S, S] float32 -> [B, E]; tokens [B, context_length] int64 -> [B, E].
// Neither normalises (architectures.md §0.5).
torch::Tensor encode_image(const ModelSpec& spec, Weights& weights, const torch::Tensor& image);
torch::Tensor encode_text(const ModelSpec& spec, Weights& weights, const torch::Tensor& tokens);

// Per family (native_towers.cpp, timm_towers.cpp).
torch::Tensor native_vit(const VisionSpec& spec, int64_t embed_dim, Weights& w,
                         const torch::Tensor& image);
torch::Tensor modified_resnet(const VisionSpec& spec, int64_t embed_dim, Weights& w,
                              const torch::Tensor& image);
torch::Tensor timm_siglip(const VisionSpec& spec, Weights& w, const torch::Tensor& image);
torch::Tensor timm_hybrid_mci(const VisionSpec& spec, int64_t embed_dim, Weights& w,
                              const torch::Tensor& image);
torch::Tensor timm_clip_vit(const VisionSpec& spec, int64_t embed_dim, Weights& w,
                            const torch::Tensor& image);
torch::Tensor timm_fastvit(const VisionSpec& spec, int64_t embed_dim, Weights& w,
                           const torch::Tensor& image);

}  // namespace oclip::validate
