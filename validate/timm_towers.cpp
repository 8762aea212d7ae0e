// timm image towers as open_clip creates them (architectures.md §5): SigLIP ViTs with a MAP
// head, the hybrid ViT of MobileCLIP-B, the CLIP-style ViT-L/14 and FastViT MCi.
#include <fmt/format.h>

#include "validate/layers.h"
#include "validate/towers.h"

namespace oclip::validate {
namespace {

const std::string kTrunk = "visual.trunk.";

Tensor patches_to_tokens(const Tensor& x) { return x.flatten(2).transpose(1, 2); }

Tensor timm_blocks(Weights& w, Tensor x, const TransformerSpec& t) {
  for (int64_t i = 0; i < t.layers; ++i)
    x = timm_block(w, fmt::format("{}blocks.{}.", kTrunk, i), x, t);
  return layer_norm(w, kTrunk + "norm.", x, t.eps);
}

}  // namespace

Tensor timm_siglip(const VisionSpec& spec, Weights& w, const Tensor& image) {
  const TransformerSpec& t = spec.transformer;
  const int64_t d = t.width, p = spec.patch_size, g = spec.image_size / spec.patch_size;
  Tensor x = torch::conv2d(image, w.get(kTrunk + "patch_embed.proj.weight", {d, 3, p, p}),
                           w.get(kTrunk + "patch_embed.proj.bias", {d}), p);
  x = patches_to_tokens(x) + w.get(kTrunk + "pos_embed", {1, g * g, d});
  x = timm_blocks(w, x, t);

  // MAP head: a learned query attends over the tokens, then an MLP with its own residual.
  const std::string a = kTrunk + "attn_pool.";
  Tensor q = linear(w, a + "q.", w.get(a + "latent", {1, 1, d}), d, d).expand({x.size(0), 1, d});
  std::vector<Tensor> kv = linear(w, a + "kv.", x, 2 * d, d).chunk(2, -1);
  Tensor y = linear(w, a + "proj.", attention(q, kv[0], kv[1], t.heads), d, d);
  Tensor h = layer_norm(w, a + "norm.", y, t.eps);
  h = linear(w, a + "mlp.fc2.",
             activate(linear(w, a + "mlp.fc1.", h, t.mlp_width, d), t.activation), d, t.mlp_width);
  return (y + h).select(1, 0);
}

Tensor timm_hybrid_mci(const VisionSpec& spec, int64_t embed_dim, Weights& w, const Tensor& image) {
  const TransformerSpec& t = spec.transformer;
  const int64_t d = t.width, g = spec.image_size / 16, stem = d / 4;
  const std::string b = kTrunk + "patch_embed.backbone.";
  Tensor x = torch::conv2d(image, w.get(b + "0.conv.weight", {stem, 3, 4, 4}), {}, 4);
  x = torch::gelu(batch_norm(w, b + "0.bn.", x));
  x = torch::conv2d(x, w.get(b + "1.conv.weight", {stem, stem, 2, 2}), {}, 2);
  x = torch::gelu(batch_norm(w, b + "1.bn.", x));
  x = torch::conv2d(x, w.get(b + "2.conv.weight", {d, stem, 2, 2}), w.get(b + "2.conv.bias", {d}),
                    2);
  // Positions are added to the patches only; the class token joins afterwards.
  x = patches_to_tokens(x) + w.get(kTrunk + "pos_embed", {1, g * g, d});
  x = torch::cat({w.get(kTrunk + "cls_token", {1, 1, d}).expand({x.size(0), 1, d}), x}, 1);
  x = timm_blocks(w, x, t);
  return linear(w, kTrunk + "head.", x.select(1, 0), embed_dim, d);
}

Tensor timm_clip_vit(const VisionSpec& spec, int64_t embed_dim, Weights& w, const Tensor& image) {
  const TransformerSpec& t = spec.transformer;
  const int64_t d = t.width, p = spec.patch_size, g = spec.image_size / p;
  Tensor x = torch::conv2d(image, w.get(kTrunk + "patch_embed.proj.weight", {d, 3, p, p}), {}, p);
  x = patches_to_tokens(x);
  x = torch::cat({w.get(kTrunk + "cls_token", {1, 1, d}).expand({x.size(0), 1, d}), x}, 1);
  x = x + w.get(kTrunk + "pos_embed", {1, g * g + 1, d});
  x = layer_norm(w, kTrunk + "norm_pre.", x, t.eps);
  x = timm_blocks(w, x, t);
  return linear(w, kTrunk + "head.", x.select(1, 0), embed_dim, d);
}

// ---- FastViT MCi, train-time form with the folded `reparam_conv` accepted per module (§5.6–5.7).
namespace {

// timm's "same" padding for odd kernels.
int64_t same_padding(int64_t k, int64_t stride) { return ((stride - 1) + (k - 1)) / 2; }

struct ConvShape {
  int64_t out, in, k, stride, groups;
};

Tensor conv_bn(Weights& w, const std::string& p, const Tensor& x, const ConvShape& c) {
  Tensor y = torch::conv2d(x, w.get(p + "conv.weight", {c.out, c.in / c.groups, c.k, c.k}), {},
                           c.stride, same_padding(c.k, c.stride), 1, c.groups);
  return batch_norm(w, p + "bn.", y);
}

Tensor squeeze_excite(Weights& w, const std::string& p, const Tensor& x) {
  const int64_t c = x.size(1),
                r = w.shape_of(p + "fc1.weight").empty() ? -1 : w.shape_of(p + "fc1.weight")[0];
  Tensor z = x.mean({2, 3}, /*keepdim=*/true);
  z = torch::relu(
      torch::conv2d(z, w.get(p + "fc1.weight", {r, c, 1, 1}), w.get(p + "fc1.bias", {r})));
  z = torch::sigmoid(
      torch::conv2d(z, w.get(p + "fc2.weight", {c, r, 1, 1}), w.get(p + "fc2.bias", {c})));
  return x * z;
}

// Folded form: one conv with bias in place of every branch.
bool reparameterised(Weights& w, const std::string& p) { return w.has(p + "reparam_conv.weight"); }

Tensor reparam_conv(Weights& w, const std::string& p, const Tensor& x, const ConvShape& c) {
  return torch::conv2d(x, w.get(p + "reparam_conv.weight", {c.out, c.in / c.groups, c.k, c.k}),
                       w.get(p + "reparam_conv.bias", {c.out}), c.stride,
                       same_padding(c.k, c.stride), 1, c.groups);
}

// MobileOneBlock: identity BN + 1x1 "scale" conv + k x k conv branches, then SE and GELU.
Tensor mobileone(Weights& w, const std::string& p, const Tensor& x, const ConvShape& c, bool act) {
  Tensor y;
  if (reparameterised(w, p)) {
    y = reparam_conv(w, p, x, c);
  } else {
    y = conv_bn(w, p + "conv_kxk.0.", x, c);
    if (w.has(p + "identity.weight")) y = y + batch_norm(w, p + "identity.", x);
    if (w.has(p + "conv_scale.conv.weight"))
      y = y + conv_bn(w, p + "conv_scale.", x, {c.out, c.in, 1, c.stride, c.groups});
  }
  if (w.has(p + "se.fc1.weight")) y = squeeze_excite(w, p + "se.", y);
  return act ? torch::gelu(y) : y;
}

// Downsampling PatchEmbed: 7x7 + 3x3 depthwise stride 2 (+SE), GELU, then a 1x1 MobileOne.
Tensor patch_embed(Weights& w, const std::string& p, const Tensor& x, int64_t out) {
  const int64_t in = x.size(1);
  const std::string large = p + "proj.0.";
  Tensor y;
  if (reparameterised(w, large)) {
    y = reparam_conv(w, large, x, {out, in, 7, 2, in});
  } else {
    y = conv_bn(w, large + "large_conv.", x, {out, in, 7, 2, in}) +
        conv_bn(w, large + "small_conv.", x, {out, in, 3, 2, in});
  }
  if (w.has(large + "se.fc1.weight")) y = squeeze_excite(w, large + "se.", y);
  y = torch::gelu(y);
  return mobileone(w, p + "proj.1.", y, {out, out, 1, 1, 1}, true);
}

Tensor conv_mlp(Weights& w, const std::string& p, const Tensor& x, int64_t ratio) {
  const int64_t c = x.size(1), hidden = ratio * c;
  Tensor y = conv_bn(w, p + "conv.", x, {c, c, 7, 1, c});
  y = torch::gelu(torch::conv2d(y, w.get(p + "fc1.weight", {hidden, c, 1, 1}),
                                w.get(p + "fc1.bias", {hidden})));
  return torch::conv2d(y, w.get(p + "fc2.weight", {c, hidden, 1, 1}), w.get(p + "fc2.bias", {c}));
}

Tensor layer_scale(Weights& w, const std::string& name, const Tensor& x) {
  return x * w.get(name, {x.size(1), 1, 1});
}

Tensor repmixer_block(Weights& w, const std::string& p, Tensor x, int64_t ratio) {
  const int64_t c = x.size(1);
  const std::string tm = p + "token_mixer.";
  if (reparameterised(w, tm)) {
    x = reparam_conv(w, tm, x, {c, c, 3, 1, c});
  } else {
    Tensor mixed = mobileone(w, tm + "mixer.", x, {c, c, 3, 1, c}, false);
    Tensor normed = batch_norm(w, tm + "norm.identity.", x);
    x = x + layer_scale(w, tm + "layer_scale.gamma", mixed - normed);
  }
  return x + layer_scale(w, p + "layer_scale.gamma", conv_mlp(w, p + "mlp.", x, ratio));
}

Tensor attention_block(Weights& w, const std::string& p, const Tensor& x, int64_t ratio) {
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
  Tensor t = w.has(p + "norm.running_mean") ? batch_norm(w, p + "norm.", x)
                                            : layer_norm_2d(w, p + "norm.", x, 1e-5);
  t = patches_to_tokens(t);
  std::vector<Tensor> qkv =
      linear(w, p + "token_mixer.qkv.", t, 3 * c, c, /*bias=*/false).chunk(3, -1);
  t = linear(w, p + "token_mixer.proj.", attention(qkv[0], qkv[1], qkv[2], c / 32), c, c);
  t = t.transpose(1, 2).reshape({b, c, h, wd});
  Tensor y = x + layer_scale(w, p + "layer_scale_1.gamma", t);
  return y + layer_scale(w, p + "layer_scale_2.gamma", conv_mlp(w, p + "mlp.", y, ratio));
}

Tensor conditional_position(Weights& w, const std::string& p, const Tensor& x) {
  const int64_t c = x.size(1);
  if (reparameterised(w, p)) return reparam_conv(w, p, x, {c, c, 7, 1, c});
  return x + torch::conv2d(x, w.get(p + "pos_enc.weight", {c, 1, 7, 7}),
                           w.get(p + "pos_enc.bias", {c}), 1, 3, 1, c);
}

}  // namespace

Tensor timm_fastvit(const VisionSpec& spec, int64_t embed_dim, Weights& w, const Tensor& image) {
  const std::vector<int64_t>& widths = spec.stage_widths;
  const int64_t c0 = widths[0];
  Tensor x = mobileone(w, kTrunk + "stem.0.", image, {c0, 3, 3, 2, 1}, true);
  x = mobileone(w, kTrunk + "stem.1.", x, {c0, c0, 3, 2, c0}, true);
  x = mobileone(w, kTrunk + "stem.2.", x, {c0, c0, 1, 1, 1}, true);
  for (size_t s = 0; s < widths.size(); ++s) {
    const std::string stage = fmt::format("{}stages.{}.", kTrunk, s);
    if (s > 0) x = patch_embed(w, stage + "downsample.", x, widths[s]);
    const bool attention_stage = s >= spec.first_attention_stage;
    if (attention_stage) x = conditional_position(w, stage + "pos_emb.", x);
    for (int64_t j = 0; j < spec.stage_blocks[s]; ++j) {
      const std::string block = fmt::format("{}blocks.{}.", stage, j);
      x = attention_stage ? attention_block(w, block, x, spec.mlp_ratio)
                          : repmixer_block(w, block, x, spec.mlp_ratio);
    }
  }
  const int64_t last = widths.back();
  x = mobileone(w, kTrunk + "final_conv.", x, {2 * last, last, 3, 1, last}, true);
  return linear(w, kTrunk + "head.fc.", x.mean({2, 3}), embed_dim, 2 * last);
}

}  // namespace oclip::validate
