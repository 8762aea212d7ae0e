#include "validate/layers.h"

#include <cmath>

namespace oclip::validate {

Tensor activate(const Tensor& x, Activation activation) {
  switch (activation) {
    case Activation::Gelu:
      return torch::gelu(x);
    case Activation::GeluTanh:
      return torch::gelu(x, "tanh");
    case Activation::QuickGelu:
      return x * torch::sigmoid(1.702 * x);
  }
  return x;
}

Tensor linear(Weights& w, const std::string& p, const Tensor& x, int64_t out, int64_t in,
              bool bias) {
  Tensor weight = w.get(p + "weight", {out, in});
  return bias ? torch::linear(x, weight, w.get(p + "bias", {out})) : torch::linear(x, weight);
}

Tensor layer_norm(Weights& w, const std::string& p, const Tensor& x, double eps) {
  const int64_t d = x.size(-1);
  return torch::layer_norm(x, {d}, w.get(p + "weight", {d}), w.get(p + "bias", {d}), eps);
}

Tensor layer_norm_2d(Weights& w, const std::string& p, const Tensor& x, double eps) {
  return layer_norm(w, p, x.permute({0, 2, 3, 1}), eps).permute({0, 3, 1, 2});
}

Tensor batch_norm(Weights& w, const std::string& p, const Tensor& x, double eps) {
  const int64_t c = x.size(1);
  w.get(p + "num_batches_tracked", {});  // loaded and unused (§0.2)
  return torch::batch_norm(x, w.get(p + "weight", {c}), w.get(p + "bias", {c}),
                           w.get(p + "running_mean", {c}), w.get(p + "running_var", {c}),
                           /*training=*/false, /*momentum=*/0.0, eps, /*cudnn_enabled=*/true);
}

Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, int64_t heads,
                 const Tensor& mask) {
  const int64_t b = q.size(0), lq = q.size(1), lk = k.size(1), d = q.size(2) / heads;
  auto split = [&](const Tensor& t, int64_t l) {
    return t.reshape({b, l, heads, d}).transpose(1, 2);
  };
  // Scaling q before the product, as PyTorch 1.13's math path does.
  Tensor scores = torch::matmul(split(q, lq) * (1.0 / std::sqrt(static_cast<double>(d))),
                                split(k, lk).transpose(-2, -1));
  if (mask.defined()) scores = scores + mask;
  Tensor out = torch::matmul(torch::softmax(scores, -1), split(v, lk));
  return out.transpose(1, 2).reshape({b, lq, heads * d});
}

namespace {

// MHA with packed q|k|v projections (§0.3).
Tensor packed_self_attention(const Tensor& qkv, int64_t heads, const Tensor& mask) {
  std::vector<Tensor> parts = qkv.chunk(3, -1);
  return attention(parts[0], parts[1], parts[2], heads, mask);
}

}  // namespace

Tensor residual_block(Weights& w, const std::string& p, const Tensor& x,
                      const TransformerSpec& spec, const Tensor& mask) {
  const int64_t d = spec.width, m = spec.mlp_width;
  Tensor h = layer_norm(w, p + "ln_1.", x, spec.eps);
  Tensor qkv = torch::linear(h, w.get(p + "attn.in_proj_weight", {3 * d, d}),
                             w.get(p + "attn.in_proj_bias", {3 * d}));
  Tensor a = linear(w, p + "attn.out_proj.", packed_self_attention(qkv, spec.heads, mask), d, d);
  if (spec.layer_scale) a = a * w.get(p + "ls_1.gamma", {d});
  Tensor y = x + a;
  h = layer_norm(w, p + "ln_2.", y, spec.eps);
  h = linear(w, p + "mlp.c_proj.", activate(linear(w, p + "mlp.c_fc.", h, m, d), spec.activation),
             d, m);
  if (spec.layer_scale) h = h * w.get(p + "ls_2.gamma", {d});
  return y + h;
}

Tensor timm_block(Weights& w, const std::string& p, const Tensor& x, const TransformerSpec& spec) {
  const int64_t d = spec.width, m = spec.mlp_width;
  Tensor h = layer_norm(w, p + "norm1.", x, spec.eps);
  Tensor qkv = linear(w, p + "attn.qkv.", h, 3 * d, d);
  Tensor y = x + linear(w, p + "attn.proj.", packed_self_attention(qkv, spec.heads, {}), d, d);
  h = layer_norm(w, p + "norm2.", y, spec.eps);
  h = linear(w, p + "mlp.fc2.", activate(linear(w, p + "mlp.fc1.", h, m, d), spec.activation), d,
             m);
  return y + h;
}

}  // namespace oclip::validate
