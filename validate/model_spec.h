// validate/model_spec.h — what open_clip would build from an open_clip_config.json, as plain
// numbers the towers read (architectures.md §0.4). No LibTorch here.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace oclip::validate {

enum class Activation { Gelu, GeluTanh, QuickGelu };

// A stack of pre-norm attention blocks (open_clip's or timm's; same arithmetic).
struct TransformerSpec {
  int64_t width = 0;
  int64_t layers = 0;
  int64_t heads = 0;
  int64_t mlp_width = 0;
  Activation activation = Activation::Gelu;
  double eps = 1e-5;
  bool layer_scale = false;
};

enum class VisionKind {
  NativeVit,       // open_clip VisionTransformer (§2)
  ModifiedResNet,  // OpenAI RN50 family (§4)
  TimmSiglip,      // vit_*_siglip_*: MAP head (§5.3)
  TimmHybridMci,   // vit_base_mci_224 (§5.4)
  TimmClipVit,     // vit_large_patch14_clip_224 (§5.5)
  TimmFastVit,     // fastvit_mci0..4 (§5.6)
};

struct VisionSpec {
  VisionKind kind = VisionKind::NativeVit;
  std::string timm_name;  // for timm towers
  int64_t image_size = 224;
  int64_t patch_size = 16;
  TransformerSpec transformer;  // ViT trunks
  // Native ViT options.
  bool ln_pre = true;
  bool avg_pool = false;  // mean of patch tokens instead of the class token
  bool final_ln_after_pool = false;
  // ModifiedResNet.
  std::vector<int64_t> resnet_layers;
  int64_t resnet_width = 64;
  // FastViT: blocks and widths per stage, which stages hold attention blocks.
  std::vector<int64_t> stage_blocks;
  std::vector<int64_t> stage_widths;
  size_t first_attention_stage = 0;
  int64_t mlp_ratio = 3;
};

enum class TextPool { Argmax, Last, First, Eos };
enum class TextProjection { Bare, Linear, None };

struct TextSpec {
  std::string prefix;  // "" for CLIP, "text." for CustomTextCLIP
  int64_t context_length = 77;
  int64_t vocab_size = 49408;
  TransformerSpec transformer;
  bool causal = true;
  TextPool pool = TextPool::Argmax;
  int64_t eos_id = 2;
  TextProjection projection = TextProjection::Bare;
};

struct ModelSpec {
  int64_t embed_dim = 512;
  VisionSpec vision;
  TextSpec text;
  bool logit_bias = false;
};

// Throws Error(Unsupported) "cannot validate X yet" for architectures with no builder, and
// Error(Format) for configs that are not open_clip's.
ModelSpec parse_model_spec(const nlohmann::json& model_cfg);

std::string_view vision_kind_name(VisionKind kind);

}  // namespace oclip::validate
