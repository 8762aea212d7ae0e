// validate/layers.h — the primitive operations of architectures.md §0.2–0.3 and the two
// transformer blocks (open_clip's and timm's), on state-dict tensors fetched by name.
#pragma once

#include <torch/torch.h>

#include <string>

#include "validate/model_spec.h"
#include "validate/weights.h"

namespace oclip::validate {

using torch::Tensor;

Tensor activate(const Tensor& x, Activation activation);

// Linear(x; P.weight [out, in], P.bias [out] when `bias`).
Tensor linear(Weights& w, const std::string& p, const Tensor& x, int64_t out, int64_t in,
              bool bias = true);
Tensor layer_norm(Weights& w, const std::string& p, const Tensor& x, double eps);
// LayerNorm over the channels of an NCHW tensor.
Tensor layer_norm_2d(Weights& w, const std::string& p, const Tensor& x, double eps);
// Eval-mode BatchNorm of an NCHW tensor with P.{weight,bias,running_mean,running_var}.
Tensor batch_norm(Weights& w, const std::string& p, const Tensor& x, double eps = 1e-5);

// Scaled dot-product attention of q [B, Lq, D] over k, v [B, Lk, D] split into `heads`;
// `mask` is additive ([Lq, Lk]) or undefined.
Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, int64_t heads,
                 const Tensor& mask = {});

// open_clip ResidualAttentionBlock (§1) at prefix P ("…resblocks.i.").
Tensor residual_block(Weights& w, const std::string& p, const Tensor& x,
                      const TransformerSpec& spec, const Tensor& mask);
// timm Block (§5.2) at prefix P ("…blocks.i.").
Tensor timm_block(Weights& w, const std::string& p, const Tensor& x, const TransformerSpec& spec);

}  // namespace oclip::validate
