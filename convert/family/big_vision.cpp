// Google big_vision SigLIP .npz -> open_clip ViT-*-SigLIP* (CustomTextCLIP with a timm ViT
// trunk and a MAP head): flax layouts transposed, q|k|v fused, scanned layouts sliced.
#include <cmath>
#include <functional>
#include <set>

#include "convert/family/families.h"
#include "core/error.h"

namespace oclip::convert {
namespace {

using Json = nlohmann::ordered_json;

class Source {
 public:
  Source(const Checkpoint& checkpoint, std::string root)
      : checkpoint_(checkpoint), root_(std::move(root)) {}

  bool has(const std::string& path) const { return checkpoint_.find(root_ + path) != nullptr; }
  const Tensor& get(const std::string& path) {
    const Tensor* t = checkpoint_.find(root_ + path);
    if (!t)
      throw Error(ErrorKind::Format, checkpoint_.label + " is missing '" + root_ + path +
                                         "' (big_vision SigLIP layout)")
          .with_file(checkpoint_.label);
    used_.insert(t->name);
    return *t;
  }
  std::vector<std::string> unused() const {
    std::vector<std::string> out;
    for (const Tensor& t : checkpoint_.tensors) {
      if (!used_.count(t.name)) out.push_back(t.name);
    }
    return out;
  }
  const Checkpoint& checkpoint() const { return checkpoint_; }

 private:
  const Checkpoint& checkpoint_;
  std::string root_;
  std::set<std::string> used_;
};

// One encoder block's arrays: encoderblock_{i}/... (unscanned) or encoderblock/...[i] (scanned).
using BlockGet = std::function<Tensor(const std::string&)>;

class Mapper {
 public:
  explicit Mapper(Source& source) : s_(source) {}

  std::vector<Planned> take() { return std::move(out_); }

  void emit(std::string name, std::vector<Tensor> parts, std::string transform) {
    Planned p;
    p.name = std::move(name);
    p.dtype = DType::F32;
    uint64_t rows = 0;
    for (const Tensor& t : parts) {
      rows += t.shape.empty() ? 1 : static_cast<uint64_t>(t.shape[0]);
      p.source += (p.source.empty() ? "" : " + ") + t.name;
    }
    p.shape = parts[0].shape;
    if (!p.shape.empty()) p.shape[0] = static_cast<int64_t>(rows);
    p.parts = std::move(parts);
    p.transform = std::move(transform);
    out_.push_back(std::move(p));
  }
  void copy(std::string name, const Tensor& t) { emit(std::move(name), {t}, "copy"); }
  void dense(const std::string& prefix, const Tensor& kernel, const Tensor& bias) {
    emit(prefix + ".weight", {transpose(kernel)}, "transpose");
    copy(prefix + ".bias", bias);
  }
  // q|k|v kernels [d, h, hd] -> [h*hd, d] each, concatenated; biases [h, hd] flattened.
  void fused(const std::string& weight, const std::string& bias, const BlockGet& g,
             const std::string& attention, std::initializer_list<const char*> names) {
    std::vector<Tensor> kernels, biases;
    for (const char* n : names) {
      const Tensor k = g(attention + n + "/kernel");
      expect_rank(k, 3);
      kernels.push_back(transpose(reshape(k, {k.shape[0], k.shape[1] * k.shape[2]})));
      const Tensor b = g(attention + n + "/bias");
      expect_rank(b, 2);
      biases.push_back(reshape(b, {b.shape[0] * b.shape[1]}));
    }
    emit(weight, kernels, "reshape [d,h,hd]->[d,h*hd], transpose, concatenate");
    emit(bias, biases, "flatten, concatenate");
  }
  // out kernel [h, hd, d] -> [d, h*hd].
  void out_projection(const std::string& prefix, const BlockGet& g, const std::string& attention) {
    const Tensor k = g(attention + "out/kernel");
    expect_rank(k, 3);
    emit(prefix + ".weight", {transpose(reshape(k, {k.shape[0] * k.shape[1], k.shape[2]}))},
         "reshape [h,hd,d]->[h*hd,d], transpose");
    copy(prefix + ".bias", g(attention + "out/bias"));
  }
  void norm(const std::string& prefix, const BlockGet& g, const std::string& path) {
    copy(prefix + ".weight", g(path + "/scale"));
    copy(prefix + ".bias", g(path + "/bias"));
  }
  void expect_rank(const Tensor& t, size_t rank) {
    if (t.shape.size() != rank)
      throw Error(ErrorKind::Format, s_.checkpoint().label + ": '" + t.name + "' has " +
                                         std::to_string(t.shape.size()) + " axes, " +
                                         std::to_string(rank) + " expected");
  }

 private:
  Source& s_;
  std::vector<Planned> out_;
};

struct Tower {
  BlockGet block(int64_t i) const {
    return [this, i](const std::string& path) { return get(i, path); };
  }
  std::function<Tensor(int64_t, const std::string&)> get;
  int64_t depth = 0;
};

// encoderblock_{i} or the scanned encoderblock with a leading depth axis.
Tower tower(Source& s, const std::string& encoder) {
  Tower t;
  if (s.has(encoder + "encoderblock/LayerNorm_0/scale")) {
    t.depth = s.get(encoder + "encoderblock/LayerNorm_0/scale").shape.at(0);
    t.get = [&s, encoder](int64_t i, const std::string& path) {
      return select_first_axis(s.get(encoder + "encoderblock/" + path), i);
    };
    return t;
  }
  while (s.has(encoder + "encoderblock_" + std::to_string(t.depth) + "/LayerNorm_0/scale"))
    ++t.depth;
  t.get = [&s, encoder](int64_t i, const std::string& path) {
    return s.get(encoder + "encoderblock_" + std::to_string(i) + "/" + path);
  };
  return t;
}

void map_block(Mapper& m, const std::string& prefix, const BlockGet& g, bool timm) {
  const std::string a = "MultiHeadDotProductAttention_0/";
  m.norm(prefix + (timm ? ".norm1" : ".ln_1"), g, "LayerNorm_0");
  m.fused(prefix + (timm ? ".attn.qkv.weight" : ".attn.in_proj_weight"),
          prefix + (timm ? ".attn.qkv.bias" : ".attn.in_proj_bias"), g, a,
          {"query", "key", "value"});
  m.out_projection(prefix + (timm ? ".attn.proj" : ".attn.out_proj"), g, a);
  m.norm(prefix + (timm ? ".norm2" : ".ln_2"), g, "LayerNorm_1");
  m.dense(prefix + (timm ? ".mlp.fc1" : ".mlp.c_fc"), g("MlpBlock_0/Dense_0/kernel"),
          g("MlpBlock_0/Dense_0/bias"));
  m.dense(prefix + (timm ? ".mlp.fc2" : ".mlp.c_proj"), g("MlpBlock_0/Dense_1/kernel"),
          g("MlpBlock_0/Dense_1/bias"));
}

struct Shapes {
  int64_t width, patch, grid, depth, text_vocab, text_context, text_depth;
  bool text_head;
};

// The SigLIP (not SigLIP2) configs these shapes fit.
std::vector<std::string> candidates(const Shapes& s, const registry::Registry& registry) {
  std::vector<std::string> out;
  for (const registry::ModelInfo& m : registry.models()) {
    if (m.name.find("SigLIP") == std::string::npos || m.name.find("SigLIP2") != std::string::npos)
      continue;
    const Json cfg = registry.config(m.name);
    if (!cfg.contains("vision_cfg") || !cfg["vision_cfg"].contains("timm_model_name")) continue;
    const Json& v = cfg["vision_cfg"];
    const Json& t = cfg["text_cfg"];
    const std::string timm = v["timm_model_name"];
    const bool head = t.value("proj_type", std::string("linear")) != "none";
    if (cfg.value("embed_dim", 0) == s.width && v.value("image_size", 0) / s.patch == s.grid &&
        timm.find("patch" + std::to_string(s.patch) + "_") != std::string::npos &&
        t.value("vocab_size", 0) == s.text_vocab &&
        t.value("context_length", 0) == s.text_context && t.value("layers", 0) == s.text_depth &&
        head == s.text_head && t.value("width", 0) == s.width)
      out.push_back(m.name);
  }
  return out;
}

std::string choose_model(const Shapes& shapes, const ConvertOptions& options,
                         const registry::Registry& registry, const Checkpoint& source) {
  const std::vector<std::string> fits = candidates(shapes, registry);
  std::string list;
  for (const std::string& n : fits) list += (list.empty() ? "" : ", ") + n;
  const std::string shape_text =
      "width " + std::to_string(shapes.width) + ", patch " + std::to_string(shapes.patch) +
      ", grid " + std::to_string(shapes.grid) + ", vocab " + std::to_string(shapes.text_vocab) +
      ", context " + std::to_string(shapes.text_context);
  if (!options.model.empty()) {
    if (std::find(fits.begin(), fits.end(), options.model) == fits.end())
      throw Error(ErrorKind::Usage, source.label + " (" + shape_text + ") does not fit --model " +
                                        options.model + (fits.empty() ? "" : "; it fits " + list));
    return options.model;
  }
  if (fits.empty())
    throw Error(
        ErrorKind::Unsupported,
        source.label + ": no open_clip SigLIP config has these shapes (" + shape_text + ")");
  if (fits.size() == 1) return fits[0];
  // Same grid at two resolutions (So400m/14 at 378 and 384): the file name usually says which.
  for (const std::string& n : fits) {
    const std::string resolution =
        std::to_string(registry.config(n)["vision_cfg"]["image_size"].get<int64_t>());
    if (source.label.find("_" + resolution + "_") != std::string::npos) return n;
  }
  throw Error(ErrorKind::Usage, source.label + " fits several configs: " + list)
      .with_hint("choose one with --model");
}

}  // namespace

Conversion convert_big_vision(const Checkpoint& checkpoint, const ConvertOptions& options,
                              const registry::Registry& registry) {
  const std::string root = checkpoint.find("params/b") ? "params/" : "";
  Source s(checkpoint, root);
  Tower image = tower(s, "img/Transformer/");
  Tower text = tower(s, "txt/Encoder_0/");
  if (image.depth == 0 || text.depth == 0)
    throw Error(ErrorKind::Format,
                checkpoint.label + ": no encoder blocks under img/Transformer/ or txt/Encoder_0/")
        .with_file(checkpoint.label);

  const Tensor& embedding = s.get("img/embedding/kernel");
  const Tensor& pos = s.get("img/pos_embedding");
  const Tensor& text_pos = s.get("txt/pos_embedding");
  if (embedding.shape.size() != 4 || pos.shape.size() != 3 || text_pos.shape.size() != 3)
    throw Error(ErrorKind::Format,
                checkpoint.label + ": embedding arrays do not have big_vision's shapes")
        .with_file(checkpoint.label);
  const auto grid =
      static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(pos.shape[1]))));
  if (grid * grid != pos.shape[1])
    throw Error(ErrorKind::Format, checkpoint.label + ": img/pos_embedding is not a square grid")
        .with_file(checkpoint.label);
  const Shapes shapes{embedding.shape[3],
                      embedding.shape[0],
                      grid,
                      image.depth,
                      s.get("txt/Embed_0/embedding").shape.at(0),
                      text_pos.shape[1],
                      text.depth,
                      s.has("txt/head/kernel")};

  Conversion c;
  c.family = Family::BigVision;
  c.model_name = choose_model(shapes, options, registry, checkpoint);
  c.model_cfg = registry.config(c.model_name);
  c.preprocess_cfg = preprocess({0.5, 0.5, 0.5}, {0.5, 0.5, 0.5}, "bicubic", "squash");

  Mapper m(s);
  auto top = [&](const std::string& path) { return s.get(path); };
  m.emit("logit_scale", {reshape(s.get("t"), {})}, "[1] -> [] (already log scale)");
  m.emit("logit_bias", {reshape(s.get("b"), {})}, "[1] -> []");
  m.copy("visual.trunk.pos_embed", pos);
  m.emit("visual.trunk.patch_embed.proj.weight", {permute(embedding, {3, 2, 0, 1})},
         "HWIO -> OIHW");
  m.copy("visual.trunk.patch_embed.proj.bias", s.get("img/embedding/bias"));
  for (int64_t i = 0; i < image.depth; ++i)
    map_block(m, "visual.trunk.blocks." + std::to_string(i), image.block(i), true);
  m.norm("visual.trunk.norm", top, "img/Transformer/encoder_norm");
  const std::string head = "img/MAPHead_0/";
  const std::string a = head + "MultiHeadDotProductAttention_0/";
  m.copy("visual.trunk.attn_pool.latent", s.get(head + "probe"));
  m.fused("visual.trunk.attn_pool.q.weight", "visual.trunk.attn_pool.q.bias", top, a, {"query"});
  m.fused("visual.trunk.attn_pool.kv.weight", "visual.trunk.attn_pool.kv.bias", top, a,
          {"key", "value"});
  m.out_projection("visual.trunk.attn_pool.proj", top, a);
  m.norm("visual.trunk.attn_pool.norm", top, head + "LayerNorm_0");
  m.dense("visual.trunk.attn_pool.mlp.fc1", s.get(head + "MlpBlock_0/Dense_0/kernel"),
          s.get(head + "MlpBlock_0/Dense_0/bias"));
  m.dense("visual.trunk.attn_pool.mlp.fc2", s.get(head + "MlpBlock_0/Dense_1/kernel"),
          s.get(head + "MlpBlock_0/Dense_1/bias"));

  m.emit("text.positional_embedding", {reshape(text_pos, {text_pos.shape[1], text_pos.shape[2]})},
         "[1,L,d] -> [L,d]");
  m.copy("text.token_embedding.weight", s.get("txt/Embed_0/embedding"));
  for (int64_t i = 0; i < text.depth; ++i)
    map_block(m, "text.transformer.resblocks." + std::to_string(i), text.block(i), false);
  m.norm("text.ln_final", top, "txt/Encoder_0/encoder_norm");
  if (shapes.text_head)
    m.dense("text.text_projection", s.get("txt/head/kernel"), s.get("txt/head/bias"));

  c.tensors = m.take();
  c.dropped = s.unused();
  if (!c.dropped.empty()) {
    c.notes.push_back(
        std::to_string(c.dropped.size()) +
        " arrays open_clip does not use were left out: " + first_names(c.dropped, ", "));
  }
  return c;
}

}  // namespace oclip::convert
