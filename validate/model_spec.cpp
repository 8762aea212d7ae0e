#include "validate/model_spec.h"

#include <fmt/format.h>

#include <cmath>
#include <regex>

#include "core/error.h"

namespace oclip::validate {
namespace {

using Json = nlohmann::json;

[[noreturn]] void cannot_validate(const std::string& what) {
  throw Error(ErrorKind::Unsupported, "cannot validate " + what + " yet");
}

template <typename T>
T value_or(const Json& cfg, const char* key, T fallback) {
  auto it = cfg.find(key);
  if (it == cfg.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const Json::exception&) {
    throw Error(ErrorKind::Format,
                fmt::format("open_clip_config.json: '{}' has the wrong type", key));
  }
}

const Json& object_or_empty(const Json& cfg, const char* key) {
  static const Json empty = Json::object();
  auto it = cfg.find(key);
  if (it == cfg.end() || !it->is_object()) return empty;
  return *it;
}

// Native towers: QuickGELU with quick_gelu, else exact GELU, then the tower's act_kwargs.
Activation native_activation(const Json& model_cfg, const Json& tower_cfg) {
  const Json& act_kwargs = object_or_empty(tower_cfg, "act_kwargs");
  if (value_or<std::string>(act_kwargs, "approximate", "none") == "tanh")
    return Activation::GeluTanh;
  return value_or(model_cfg, "quick_gelu", false) ? Activation::QuickGelu : Activation::Gelu;
}

double native_eps(const Json& tower_cfg) {
  return value_or(object_or_empty(tower_cfg, "norm_kwargs"), "eps", 1e-5);
}

void refuse_custom_blocks(const Json& tower_cfg, const char* tower) {
  for (const char* key : {"qk_norm", "scaled_cosine_attn", "scale_heads", "scale_attn_inner",
                          "scale_attn", "scale_fc"}) {
    if (value_or(tower_cfg, key, false))
      cannot_validate(fmt::format("the custom attention block ({} {})", tower, key));
  }
  if (value_or<std::string>(tower_cfg, "block_type", "") == "custom")
    cannot_validate(fmt::format("the custom attention block ({})", tower));
}

int64_t mlp_width(int64_t width, double ratio) {
  return static_cast<int64_t>(std::floor(static_cast<double>(width) * ratio));
}

// timm SigLIP ViTs by name (architectures.md §5.3).
void parse_siglip_name(const std::string& name, VisionSpec& v) {
  static const std::regex pattern("vit_(base|large|so400m|giantopt)_patch(\\d+)_siglip_(\\d+)");
  std::smatch m;
  if (!std::regex_match(name, m, pattern)) cannot_validate("the timm image tower " + name);
  const std::string size = m[1];
  v.patch_size = std::stoll(m[2]);
  v.image_size = std::stoll(m[3]);
  TransformerSpec& t = v.transformer;
  t.eps = 1e-6;
  t.activation = Activation::Gelu;
  if (size == "base") {
    t.width = 768, t.layers = 12, t.heads = 12, t.mlp_width = 3072;
    if (v.patch_size == 32) t.activation = Activation::GeluTanh;
  } else if (size == "large") {
    t.width = 1024, t.layers = 24, t.heads = 16, t.mlp_width = 4096;
    if (v.image_size == 512) t.activation = Activation::GeluTanh;
  } else if (size == "so400m") {
    t.width = 1152, t.layers = 27, t.heads = 16, t.mlp_width = 4304;
    if (v.patch_size == 16) t.activation = Activation::GeluTanh;
  } else {
    t.width = 1536, t.layers = 40, t.heads = 16, t.mlp_width = 6144;
    t.activation = Activation::GeluTanh;
  }
}

// FastViT MCi variants (architectures.md §5.6.1).
void parse_fastvit_name(const std::string& name, VisionSpec& v) {
  struct Variant {
    const char* name;
    std::vector<int64_t> blocks, widths;
    size_t first_attention_stage;
    int64_t mlp_ratio;
  };
  static const Variant variants[] = {
      {"fastvit_mci0", {2, 6, 10, 2}, {64, 128, 256, 512}, 3, 3},
      {"fastvit_mci1", {4, 12, 20, 4}, {64, 128, 256, 512}, 3, 3},
      {"fastvit_mci2", {4, 12, 24, 4}, {80, 160, 320, 640}, 3, 3},
      {"fastvit_mci3", {2, 12, 24, 4, 2}, {96, 192, 384, 768, 1536}, 3, 4},
      {"fastvit_mci4", {2, 12, 24, 4, 4}, {128, 256, 512, 1024, 2048}, 3, 4},
  };
  for (const Variant& variant : variants) {
    if (name != variant.name) continue;
    v.stage_blocks = variant.blocks;
    v.stage_widths = variant.widths;
    v.first_attention_stage = variant.first_attention_stage;
    v.mlp_ratio = variant.mlp_ratio;
    return;
  }
  cannot_validate("the timm image tower " + name);
}

void expect_timm_head(const Json& vision_cfg, const std::string& name, const char* pool,
                      const char* proj) {
  const std::string got_pool = value_or<std::string>(vision_cfg, "timm_pool", "avg");
  auto it = vision_cfg.find("timm_proj");
  const std::string got_proj =
      it == vision_cfg.end() ? "linear" : (it->is_null() ? "null" : it->get<std::string>());
  if (got_pool != pool || got_proj != proj)
    cannot_validate(
        fmt::format("{} with timm_pool '{}' and timm_proj '{}'", name, got_pool, got_proj));
}

VisionSpec parse_timm_vision(const Json& vision_cfg) {
  VisionSpec v;
  v.timm_name = vision_cfg["timm_model_name"].get<std::string>();
  const std::string& name = v.timm_name;
  if (name.find("_siglip_") != std::string::npos && name.find("_gap_") == std::string::npos) {
    v.kind = VisionKind::TimmSiglip;
    parse_siglip_name(name, v);
    expect_timm_head(vision_cfg, name, "map", "none");
  } else if (name == "vit_base_mci_224") {
    v.kind = VisionKind::TimmHybridMci;
    v.image_size = 224, v.patch_size = 16;
    v.transformer = {768, 12, 12, 3072, Activation::Gelu, 1e-6, false};
    expect_timm_head(vision_cfg, name, "token", "null");
  } else if (name == "vit_large_patch14_clip_224") {
    v.kind = VisionKind::TimmClipVit;
    v.image_size = 224, v.patch_size = 14;
    v.transformer = {1024, 24, 16, 4096, Activation::Gelu, 1e-5, false};
    expect_timm_head(vision_cfg, name, "token", "null");
  } else if (name.starts_with("fastvit_mci")) {
    v.kind = VisionKind::TimmFastVit;
    v.image_size = 256;
    parse_fastvit_name(name, v);
    expect_timm_head(vision_cfg, name, "avg", "null");
  } else {
    cannot_validate("the timm image tower " + name);
  }
  const int64_t configured = value_or<int64_t>(vision_cfg, "image_size", v.image_size);
  if (configured != v.image_size)
    throw Error(ErrorKind::Format,
                fmt::format("open_clip_config.json: image_size {} but {} is built for {}",
                            configured, name, v.image_size));
  return v;
}

VisionSpec parse_native_vision(const Json& model_cfg, const Json& vision_cfg) {
  VisionSpec v;
  refuse_custom_blocks(vision_cfg, "vision");
  if (value_or(vision_cfg, "attentional_pool", false))
    cannot_validate("the attentional pooler of CoCa");
  v.image_size = value_or<int64_t>(vision_cfg, "image_size", 224);
  const int64_t width = value_or<int64_t>(vision_cfg, "width", 768);
  const int64_t head_width = value_or<int64_t>(vision_cfg, "head_width", 64);
  if (width <= 0 || head_width <= 0)
    throw Error(ErrorKind::Format,
                "open_clip_config.json: vision width and head_width must be positive");
  if (vision_cfg.contains("layers") && vision_cfg["layers"].is_array()) {
    v.kind = VisionKind::ModifiedResNet;
    v.resnet_layers = vision_cfg["layers"].get<std::vector<int64_t>>();
    if (v.resnet_layers.size() != 4)
      throw Error(ErrorKind::Format, "open_clip_config.json: ResNet layers must list 4 stages");
    v.resnet_width = width;
    if ((32 * width) % head_width != 0)
      throw Error(ErrorKind::Format,
                  "open_clip_config.json: 32 * width is not a multiple of head_width");
    v.transformer.heads = 32 * width / head_width;
    v.transformer.width = 32 * width;
    return v;
  }
  v.kind = VisionKind::NativeVit;
  if (width % head_width != 0)
    throw Error(ErrorKind::Format,
                "open_clip_config.json: vision width is not a multiple of head_width");
  v.patch_size = value_or<int64_t>(vision_cfg, "patch_size", 16);
  TransformerSpec& t = v.transformer;
  t.width = width;
  t.layers = value_or<int64_t>(vision_cfg, "layers", 12);
  t.heads = width / head_width;
  t.mlp_width = mlp_width(width, value_or(vision_cfg, "mlp_ratio", 4.0));
  t.activation = native_activation(model_cfg, vision_cfg);
  t.eps = native_eps(vision_cfg);
  t.layer_scale = vision_cfg.contains("ls_init_value") && !vision_cfg["ls_init_value"].is_null();
  v.ln_pre = !value_or(vision_cfg, "no_ln_pre", false);
  const std::string pool = value_or<std::string>(vision_cfg, "pool_type", "tok");
  if (pool != "tok" && pool != "avg") cannot_validate("vision pool_type '" + pool + "'");
  v.avg_pool = pool == "avg";
  v.final_ln_after_pool = value_or(vision_cfg, "final_ln_after_pool", false);
  return v;
}

TextSpec parse_text(const Json& model_cfg, const Json& text_cfg, bool custom_text) {
  TextSpec s;
  refuse_custom_blocks(text_cfg, "text");
  if (value_or(text_cfg, "embed_cls", false)) cannot_validate("the CoCa text tower (embed_cls)");
  s.prefix = custom_text ? "text." : "";
  s.context_length = value_or<int64_t>(text_cfg, "context_length", 77);
  s.vocab_size = value_or<int64_t>(text_cfg, "vocab_size", 49408);
  TransformerSpec& t = s.transformer;
  t.width = value_or<int64_t>(text_cfg, "width", 512);
  t.heads = value_or<int64_t>(text_cfg, "heads", 8);
  t.layers = value_or<int64_t>(text_cfg, "layers", 12);
  if (t.width <= 0 || t.heads <= 0 || t.width % t.heads != 0)
    throw Error(ErrorKind::Format, "open_clip_config.json: text width is not a multiple of heads");
  t.mlp_width = mlp_width(t.width, value_or(text_cfg, "mlp_ratio", 4.0));
  t.activation = native_activation(model_cfg, text_cfg);
  t.eps = native_eps(text_cfg);
  t.layer_scale = text_cfg.contains("ls_init_value") && !text_cfg["ls_init_value"].is_null();
  s.causal = !value_or(text_cfg, "no_causal_mask", false);
  const std::string pool = value_or<std::string>(text_cfg, "pool_type", "argmax");
  if (pool == "argmax")
    s.pool = TextPool::Argmax;
  else if (pool == "last")
    s.pool = TextPool::Last;
  else if (pool == "first")
    s.pool = TextPool::First;
  else if (pool == "eos")
    s.pool = TextPool::Eos;
  else
    cannot_validate("text pool_type '" + pool + "'");
  s.eos_id = value_or<int64_t>(text_cfg, "eos_id", 2);
  if (value_or<std::string>(text_cfg, "proj_type", "linear") == "none")
    s.projection = TextProjection::None;
  else
    s.projection =
        value_or(text_cfg, "proj_bias", false) ? TextProjection::Linear : TextProjection::Bare;
  return s;
}

}  // namespace

std::string_view vision_kind_name(VisionKind kind) {
  switch (kind) {
    case VisionKind::NativeVit:
      return "vit";
    case VisionKind::ModifiedResNet:
      return "modified-resnet";
    case VisionKind::TimmSiglip:
      return "timm-siglip";
    case VisionKind::TimmHybridMci:
      return "timm-hybrid-mci";
    case VisionKind::TimmClipVit:
      return "timm-clip-vit";
    case VisionKind::TimmFastVit:
      return "timm-fastvit";
  }
  return "?";
}

ModelSpec parse_model_spec(const Json& model_cfg) {
  if (!model_cfg.is_object() || !model_cfg.contains("vision_cfg") ||
      !model_cfg["vision_cfg"].is_object() || !model_cfg.contains("text_cfg") ||
      !model_cfg["text_cfg"].is_object())
    throw Error(ErrorKind::Format,
                "open_clip_config.json: model_cfg needs vision_cfg and text_cfg");
  const Json& vision_cfg = model_cfg["vision_cfg"];
  const Json& text_cfg = model_cfg["text_cfg"];
  const bool hf_text = text_cfg.contains("hf_model_name");
  const bool custom_text = value_or(model_cfg, "custom_text", false) || hf_text;
  if (custom_text && model_cfg.contains("multimodal_cfg")) cannot_validate("CoCa");
  if (hf_text) cannot_validate("the Hugging Face text tower " + text_cfg["hf_model_name"].dump());

  ModelSpec spec;
  spec.embed_dim = value_or<int64_t>(model_cfg, "embed_dim", 512);
  spec.vision = vision_cfg.contains("timm_model_name") && !vision_cfg["timm_model_name"].is_null()
                    ? parse_timm_vision(vision_cfg)
                    : parse_native_vision(model_cfg, vision_cfg);
  spec.text = parse_text(model_cfg, text_cfg, custom_text);
  spec.logit_bias =
      model_cfg.contains("init_logit_bias") && !model_cfg["init_logit_bias"].is_null();
  return spec;
}

}  // namespace oclip::validate
