// open_clip's own towers: VisionTransformer (§2), ModifiedResNet (§4), TextTransformer (§3).
#include <fmt/format.h>

#include <limits>

#include "core/error.h"
#include "validate/layers.h"
#include "validate/towers.h"

namespace oclip::validate {

Tensor native_vit(const VisionSpec& spec, int64_t embed_dim, Weights& w, const Tensor& image) {
  const TransformerSpec& t = spec.transformer;
  const int64_t d = t.width, p = spec.patch_size, g = spec.image_size / spec.patch_size;
  const std::string v = "visual.";
  Tensor x = torch::conv2d(image, w.get(v + "conv1.weight", {d, 3, p, p}), {}, p);
  x = x.flatten(2).transpose(1, 2);
  Tensor cls = w.get(v + "class_embedding", {d}).expand({x.size(0), 1, d});
  x = torch::cat({cls, x}, 1) + w.get(v + "positional_embedding", {g * g + 1, d});
  if (spec.ln_pre) x = layer_norm(w, v + "ln_pre.", x, t.eps);
  for (int64_t i = 0; i < t.layers; ++i)
    x = residual_block(w, fmt::format("{}transformer.resblocks.{}.", v, i), x, t, {});
  auto pool = [&](const Tensor& tokens) {
    return spec.avg_pool ? tokens.slice(1, 1).mean(1) : tokens.select(1, 0);
  };
  Tensor pooled = spec.final_ln_after_pool ? layer_norm(w, v + "ln_post.", pool(x), t.eps)
                                           : pool(layer_norm(w, v + "ln_post.", x, t.eps));
  return torch::matmul(pooled, w.get(v + "proj", {d, embed_dim}));
}

namespace {

Tensor conv_bn_relu(Weights& w, const std::string& p, const std::string& n, const Tensor& x,
                    int64_t out, int64_t k, int64_t stride) {
  Tensor y = torch::conv2d(x, w.get(p + "conv" + n + ".weight", {out, x.size(1), k, k}), {}, stride,
                           k / 2);
  return torch::relu(batch_norm(w, p + "bn" + n + ".", y));
}

Tensor bottleneck(Weights& w, const std::string& p, const Tensor& x, int64_t planes,
                  int64_t stride) {
  Tensor y = conv_bn_relu(w, p, "1", x, planes, 1, 1);
  y = conv_bn_relu(w, p, "2", y, planes, 3, 1);
  if (stride > 1) y = torch::avg_pool2d(y, stride, stride);
  y = batch_norm(w, p + "bn3.",
                 torch::conv2d(y, w.get(p + "conv3.weight", {4 * planes, planes, 1, 1})));
  Tensor shortcut = x;
  if (stride > 1 || x.size(1) != 4 * planes) {
    Tensor pooled = stride > 1 ? torch::avg_pool2d(x, stride, stride) : x;
    shortcut = batch_norm(
        w, p + "downsample.1.",
        torch::conv2d(pooled, w.get(p + "downsample.0.weight", {4 * planes, x.size(1), 1, 1})));
  }
  return torch::relu(y + shortcut);
}

}  // namespace

Tensor modified_resnet(const VisionSpec& spec, int64_t embed_dim, Weights& w, const Tensor& image) {
  const std::string v = "visual.";
  const int64_t width = spec.resnet_width;
  Tensor x = conv_bn_relu(w, v, "1", image, width / 2, 3, 2);
  x = conv_bn_relu(w, v, "2", x, width / 2, 3, 1);
  x = conv_bn_relu(w, v, "3", x, width, 3, 1);
  x = torch::avg_pool2d(x, 2, 2);
  for (int64_t stage = 0; stage < 4; ++stage) {
    const int64_t planes = width << stage;
    for (int64_t j = 0; j < spec.resnet_layers[stage]; ++j)
      x = bottleneck(w, fmt::format("{}layer{}.{}.", v, stage + 1, j), x, planes,
                     j == 0 && stage > 0 ? 2 : 1);
  }
  // AttentionPool2d: the mean token first, then the grid, one query (token 0) over all.
  const int64_t c = spec.transformer.width, g = spec.image_size / 32;
  Tensor t = x.flatten(2).transpose(1, 2);
  t = torch::cat({t.mean(1, /*keepdim=*/true), t}, 1) +
      w.get(v + "attnpool.positional_embedding", {g * g + 1, c});
  const std::string a = v + "attnpool.";
  Tensor q = linear(w, a + "q_proj.", t.slice(1, 0, 1), c, c);
  Tensor k = linear(w, a + "k_proj.", t, c, c);
  Tensor val = linear(w, a + "v_proj.", t, c, c);
  Tensor o = attention(q, k, val, spec.transformer.heads);
  return linear(w, a + "c_proj.", o, embed_dim, c).select(1, 0);
}

namespace {

Tensor text_transformer(const TextSpec& spec, int64_t embed_dim, Weights& w, const Tensor& tokens) {
  const TransformerSpec& t = spec.transformer;
  const std::string& p = spec.prefix;
  const int64_t d = t.width, l = tokens.size(1);
  if (l != spec.context_length)
    throw Error(ErrorKind::Usage, fmt::format("text input has {} tokens; the model takes {}", l,
                                              spec.context_length));
  Tensor x = torch::embedding(w.get(p + "token_embedding.weight", {spec.vocab_size, d}), tokens);
  x = x + w.get(p + "positional_embedding", {spec.context_length, d});
  Tensor mask;
  if (spec.causal)
    mask = torch::full({l, l}, -std::numeric_limits<float>::infinity(), x.options()).triu(1);
  for (int64_t i = 0; i < t.layers; ++i)
    x = residual_block(w, fmt::format("{}transformer.resblocks.{}.", p, i), x, t, mask);
  x = layer_norm(w, p + "ln_final.", x, t.eps);

  Tensor rows = torch::arange(tokens.size(0), tokens.options());
  Tensor position;
  switch (spec.pool) {
    case TextPool::Argmax:
      position = tokens.argmax(-1);
      break;
    case TextPool::Last:
      position = torch::full_like(rows, l - 1);
      break;
    case TextPool::First:
      position = torch::zeros_like(rows);
      break;
    case TextPool::Eos:
      position = (tokens == spec.eos_id).to(torch::kInt).argmax(-1);
      break;
  }
  Tensor pooled = x.index({rows, position});
  switch (spec.projection) {
    case TextProjection::Bare:
      return torch::matmul(pooled, w.get(p + "text_projection", {d, embed_dim}));
    case TextProjection::Linear:
      return linear(w, p + "text_projection.", pooled, embed_dim, d);
    case TextProjection::None:
      return pooled;
  }
  return pooled;
}

}  // namespace

Tensor encode_image(const ModelSpec& spec, Weights& w, const Tensor& image) {
  switch (spec.vision.kind) {
    case VisionKind::NativeVit:
      return native_vit(spec.vision, spec.embed_dim, w, image);
    case VisionKind::ModifiedResNet:
      return modified_resnet(spec.vision, spec.embed_dim, w, image);
    case VisionKind::TimmSiglip:
      return timm_siglip(spec.vision, w, image);
    case VisionKind::TimmHybridMci:
      return timm_hybrid_mci(spec.vision, spec.embed_dim, w, image);
    case VisionKind::TimmClipVit:
      return timm_clip_vit(spec.vision, spec.embed_dim, w, image);
    case VisionKind::TimmFastVit:
      return timm_fastvit(spec.vision, spec.embed_dim, w, image);
  }
  return {};
}

Tensor encode_text(const ModelSpec& spec, Weights& w, const Tensor& tokens) {
  return text_transformer(spec.text, spec.embed_dim, w, tokens);
}

}  // namespace oclip::validate
