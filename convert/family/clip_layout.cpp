// The state dict of open_clip's native CLIP (VisionTransformer or ModifiedResNet, and the text
// transformer) for a model_cfg: names and shapes in state-dict order. Conversions check their
// output against it, so a file that matches a family only partly is refused.
#include <algorithm>
#include <map>
#include <set>

#include "convert/family/families.h"
#include "core/error.h"

namespace oclip::convert {
namespace {

using Json = nlohmann::ordered_json;

// Keys that do not change names or shapes, and the ones handled below.
const std::set<std::string> kVisionKeys = {
    "image_size",    "layers",        "width",         "patch_size",          "head_width",
    "mlp_ratio",     "ls_init_value", "patch_dropout", "final_ln_after_pool", "pool_type",
    "output_tokens", "act_kwargs",    "norm_kwargs"};
const std::set<std::string> kTextKeys = {"context_length",
                                         "vocab_size",
                                         "width",
                                         "heads",
                                         "layers",
                                         "mlp_ratio",
                                         "ls_init_value",
                                         "no_causal_mask",
                                         "pool_type",
                                         "proj_bias",
                                         "proj_type",
                                         "output_tokens",
                                         "norm_kwargs",
                                         "act_kwargs",
                                         "tokenizer_kwargs",
                                         "hf_tokenizer_name",
                                         "pad_id",
                                         "final_ln_after_pool"};
const std::set<std::string> kModelKeys = {"embed_dim",       "vision_cfg",  "text_cfg",
                                          "quick_gelu",      "custom_text", "init_logit_scale",
                                          "init_logit_bias", "cast_dtype"};

class Layout {
 public:
  void add(std::string name, std::vector<int64_t> shape) {
    out_.push_back({std::move(name), std::move(shape)});
  }
  void norm(const std::string& prefix, int64_t width) {
    add(prefix + ".weight", {width});
    add(prefix + ".bias", {width});
  }
  void batch_norm(const std::string& prefix, int64_t width) {
    norm(prefix, width);
    add(prefix + ".running_mean", {width});
    add(prefix + ".running_var", {width});
    add(prefix + ".num_batches_tracked", {});
  }
  void linear(const std::string& prefix, int64_t out, int64_t in) {
    add(prefix + ".weight", {out, in});
    add(prefix + ".bias", {out});
  }
  void transformer(const std::string& prefix, int64_t width, int64_t layers, int64_t mlp,
                   bool layer_scale) {
    for (int64_t i = 0; i < layers; ++i) {
      const std::string b = prefix + ".resblocks." + std::to_string(i);
      norm(b + ".ln_1", width);
      add(b + ".attn.in_proj_weight", {3 * width, width});
      add(b + ".attn.in_proj_bias", {3 * width});
      linear(b + ".attn.out_proj", width, width);
      if (layer_scale) add(b + ".ls_1.gamma", {width});
      norm(b + ".ln_2", width);
      linear(b + ".mlp.c_fc", mlp, width);
      linear(b + ".mlp.c_proj", width, mlp);
      if (layer_scale) add(b + ".ls_2.gamma", {width});
    }
  }
  std::vector<ExpectedTensor> take() { return std::move(out_); }

 private:
  std::vector<ExpectedTensor> out_;
};

std::optional<std::string> unknown_key(const Json& cfg, const std::set<std::string>& known,
                                       const std::string& where) {
  for (auto it = cfg.begin(); it != cfg.end(); ++it) {
    if (!known.count(it.key())) return where + " option '" + it.key() + "'";
  }
  return std::nullopt;
}

int64_t int_of(const Json& cfg, const char* key, int64_t fallback) {
  auto it = cfg.find(key);
  return it == cfg.end() || it->is_null() ? fallback : it->get<int64_t>();
}

}  // namespace

std::optional<std::vector<ExpectedTensor>> native_clip_layout(const Json& model_cfg,
                                                              std::string* why) {
  const Json& vision = model_cfg.contains("vision_cfg") ? model_cfg["vision_cfg"] : Json::object();
  const Json& text = model_cfg.contains("text_cfg") ? model_cfg["text_cfg"] : Json::object();
  for (const auto& problem :
       {unknown_key(model_cfg, kModelKeys, "model"), unknown_key(vision, kVisionKeys, "vision"),
        unknown_key(text, kTextKeys, "text")}) {
    if (problem) {
      *why = *problem;
      return std::nullopt;
    }
  }
  if (vision.contains("image_size") && !vision["image_size"].is_number_integer()) {
    *why = "non-square image_size";
    return std::nullopt;
  }
  const int64_t embed = model_cfg.at("embed_dim").get<int64_t>();
  const int64_t image = int_of(vision, "image_size", 224);
  const int64_t vision_width = int_of(vision, "width", 768);
  const bool custom_text = model_cfg.value("custom_text", false);
  const std::string t = custom_text ? "text." : "";
  const int64_t text_width = int_of(text, "width", 512);
  const int64_t context = int_of(text, "context_length", 77);
  const int64_t vocab = int_of(text, "vocab_size", 49408);
  const int64_t text_layers = int_of(text, "layers", 12);
  const auto text_mlp =
      static_cast<int64_t>(static_cast<double>(text_width) * text.value("mlp_ratio", 4.0));
  const bool text_ls = text.contains("ls_init_value") && !text["ls_init_value"].is_null();
  const std::string proj_type = text.value("proj_type", std::string("linear"));
  const bool proj_linear = text.value("proj_bias", false);
  if (proj_type != "linear" && proj_type != "none") {
    *why = "text proj_type '" + proj_type + "'";
    return std::nullopt;
  }

  Layout l;
  // Top-level parameters come first, then children in registration order.
  if (!custom_text) {
    l.add("positional_embedding", {context, text_width});
    if (proj_type != "none") l.add("text_projection", {text_width, embed});
  }
  l.add("logit_scale", {});
  if (model_cfg.contains("init_logit_bias") && !model_cfg["init_logit_bias"].is_null())
    l.add("logit_bias", {});

  const Json& layers = vision.contains("layers") ? vision["layers"] : Json(12);
  if (layers.is_array()) {  // ModifiedResNet
    if (layers.size() != 4) {
      *why = "ResNet with " + std::to_string(layers.size()) + " stages";
      return std::nullopt;
    }
    const int64_t w = vision_width;
    l.add("visual.conv1.weight", {w / 2, 3, 3, 3});
    l.batch_norm("visual.bn1", w / 2);
    l.add("visual.conv2.weight", {w / 2, w / 2, 3, 3});
    l.batch_norm("visual.bn2", w / 2);
    l.add("visual.conv3.weight", {w, w / 2, 3, 3});
    l.batch_norm("visual.bn3", w);
    int64_t inplanes = w;
    for (int64_t stage = 0; stage < 4; ++stage) {
      const int64_t planes = w << stage;
      for (int64_t b = 0; b < layers[stage].get<int64_t>(); ++b) {
        const std::string p = "visual.layer" + std::to_string(stage + 1) + "." + std::to_string(b);
        l.add(p + ".conv1.weight", {planes, inplanes, 1, 1});
        l.batch_norm(p + ".bn1", planes);
        l.add(p + ".conv2.weight", {planes, planes, 3, 3});
        l.batch_norm(p + ".bn2", planes);
        l.add(p + ".conv3.weight", {planes * 4, planes, 1, 1});
        l.batch_norm(p + ".bn3", planes * 4);
        if (b == 0) {
          l.add(p + ".downsample.0.weight", {planes * 4, inplanes, 1, 1});
          l.batch_norm(p + ".downsample.1", planes * 4);
        }
        inplanes = planes * 4;
      }
    }
    const int64_t pool_width = w * 32;
    const int64_t grid = image / 32;
    l.add("visual.attnpool.positional_embedding", {grid * grid + 1, pool_width});
    for (const char* proj : {"k_proj", "q_proj", "v_proj"})
      l.linear(std::string("visual.attnpool.") + proj, pool_width, pool_width);
    l.linear("visual.attnpool.c_proj", embed, pool_width);
  } else {  // VisionTransformer
    const int64_t patch = int_of(vision, "patch_size", 16);
    const int64_t grid = image / patch;
    const auto mlp =
        static_cast<int64_t>(static_cast<double>(vision_width) * vision.value("mlp_ratio", 4.0));
    l.add("visual.class_embedding", {vision_width});
    l.add("visual.positional_embedding", {grid * grid + 1, vision_width});
    l.add("visual.proj", {vision_width, embed});
    l.add("visual.conv1.weight", {vision_width, 3, patch, patch});
    l.norm("visual.ln_pre", vision_width);
    const bool ls = vision.contains("ls_init_value") && !vision["ls_init_value"].is_null();
    l.transformer("visual.transformer", vision_width, layers.get<int64_t>(), mlp, ls);
    l.norm("visual.ln_post", vision_width);
  }

  if (custom_text) {
    l.add("text.positional_embedding", {context, text_width});
    if (proj_type != "none" && !proj_linear) l.add("text.text_projection", {text_width, embed});
    l.add("text.token_embedding.weight", {vocab, text_width});
  }
  l.transformer(t + "transformer", text_width, text_layers, text_mlp, text_ls);
  if (!custom_text) l.add("token_embedding.weight", {vocab, text_width});
  l.norm(t + "ln_final", text_width);
  if (custom_text && proj_type != "none" && proj_linear)
    l.linear("text.text_projection", embed, text_width);
  return l.take();
}

std::vector<Planned> check_layout(std::vector<Planned> planned,
                                  const std::vector<ExpectedTensor>& expected,
                                  const std::string& what, const Checkpoint& source) {
  std::map<std::string, const ExpectedTensor*> want;
  for (const ExpectedTensor& e : expected) want[e.name] = &e;
  std::vector<std::string> problems;
  std::set<std::string> seen;
  for (const Planned& p : planned) {
    auto it = want.find(p.name);
    if (it == want.end()) {
      problems.push_back("unexpected '" + p.name + "'");
    } else if (it->second->shape != p.shape) {
      std::string have, need;
      for (int64_t d : p.shape) have += (have.empty() ? "" : ",") + std::to_string(d);
      for (int64_t d : it->second->shape) need += (need.empty() ? "" : ",") + std::to_string(d);
      problems.push_back("'" + p.name + "' is [" + have + "], " + what + " needs [" + need + "]");
    }
    seen.insert(p.name);
  }
  for (const ExpectedTensor& e : expected) {
    if (!seen.count(e.name)) problems.push_back("missing '" + e.name + "'");
  }
  if (problems.empty()) {
    std::map<std::string, size_t> position;
    for (size_t i = 0; i < expected.size(); ++i) position[expected[i].name] = i;
    std::stable_sort(planned.begin(), planned.end(), [&](const Planned& a, const Planned& b) {
      return position[a.name] < position[b.name];
    });
    return planned;
  }
  throw Error(ErrorKind::Format,
              source.label + " does not match " + what + ": " + first_names(problems, "; "))
      .with_file(source.label);
}

std::string first_names(const std::vector<std::string>& names, std::string_view separator,
                        size_t limit) {
  std::string list;
  for (size_t i = 0; i < names.size() && i < limit; ++i)
    list += (i ? std::string(separator) : "") + names[i];
  if (names.size() > limit)
    list += std::string(separator) + "and " + std::to_string(names.size() - limit) + " more";
  return list;
}

Planned copy_of(const Tensor& t, std::string name) {
  Planned p;
  p.name = std::move(name);
  p.dtype = is_float(t.dtype) ? DType::F32 : t.dtype;
  p.shape = t.shape;
  p.parts = {t};
  p.source = t.name;
  p.transform = p.dtype == t.dtype ? "copy" : std::string(dtype_name(t.dtype)) + "->f32";
  return p;
}

Json preprocess(const std::array<double, 3>& mean, const std::array<double, 3>& std,
                std::string_view interpolation, std::string_view resize_mode) {
  return Json{
      {"mean", mean}, {"std", std}, {"interpolation", interpolation}, {"resize_mode", resize_mode}};
}

Json openai_preprocess() {
  return preprocess({0.48145466, 0.4578275, 0.40821073}, {0.26862954, 0.26130258, 0.27577711},
                    "bicubic", "shortest");
}

}  // namespace oclip::convert
