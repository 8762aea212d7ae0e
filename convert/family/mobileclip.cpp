// Apple MobileCLIP (training-form state dicts) -> open_clip MobileCLIP-S1, -S2, -B: timm's
// fastvit / vision_transformer_hybrid renames for the image tower, open_clip's for the text
// tower, the bare image projection transposed into a Linear with a new zero bias.
#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "convert/family/families.h"
#include "convert/readers.h"
#include "core/error.h"

namespace oclip::convert {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kImagePrefix = "image_encoder.model.";
constexpr const char* kTextPrefix = "text_encoder.";

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

// timm fastvit.checkpoint_filter_fn, then the split of Apple's flat `network` list into stages.
std::string fastvit_name(std::string key, const std::vector<int>& downsamples) {
  static const std::pair<const char*, const char*> kRenames[] = {
      {"patch_embed", "stem"},  {"rbr_conv", "conv_kxk"},   {"rbr_scale", "conv_scale"},
      {"rbr_skip", "identity"}, {"conv_exp", "final_conv"}, {"lkb_origin", "large_conv"},
      {"convffn", "mlp"},       {"se.reduce", "se.fc1"},    {"se.expand", "se.fc2"},
  };
  for (const auto& [from, to] : kRenames) replace_all(key, from, to);
  static const std::regex kLayerScaleN(R"(layer_scale_(\d))");
  key = std::regex_replace(key, kLayerScaleN, "layer_scale_$1.gamma");
  if (key.ends_with("layer_scale")) key += ".gamma";
  static const std::regex kNetwork(R"(^network\.(\d+)\.(.*)$)");
  std::smatch m;
  if (std::regex_match(key, m, kNetwork)) {
    const int k = std::stoi(m[1]);
    const auto stage =
        std::upper_bound(downsamples.begin(), downsamples.end(), k) - downsamples.begin();
    const std::string rest = m[2];
    const std::string s = "stages." + std::to_string(stage);
    if (rest.starts_with("proj")) return s + ".downsample." + rest;
    if (rest.starts_with("pe")) return s + ".pos_emb.pos_enc" + rest.substr(2);
    return s + ".blocks." + rest;
  }
  return key;
}

// timm vision_transformer_hybrid._convert_mobileclip (MobileCLIP-B and B-LT).
std::string hybrid_name(std::string key) {
  static const std::pair<const char*, const char*> kRenames[] = {
      {"patch_emb.", "patch_embed.backbone."},
      {"block.conv", "conv"},
      {"block.norm", "bn"},
      {"post_transformer_norm.", "norm."},
      {"pre_norm_mha.0", "norm1"},
      {"pre_norm_mha.1", "attn"},
      {"pre_norm_ffn.0", "norm2"},
      {"pre_norm_ffn.1", "mlp.fc1"},
      {"pre_norm_ffn.4", "mlp.fc2"},
      {"qkv_proj.", "qkv."},
      {"out_proj.", "proj."},
      {"transformer.", "blocks."},
  };
  for (const auto& [from, to] : kRenames) replace_all(key, from, to);
  return key;
}

// open_clip convert_mobile_clip_state_dict, text part.
std::string text_name(std::string key) {
  static const std::pair<const char*, const char*> kRenames[] = {
      {"projection_layer", "text_projection"},
      {"embedding_layer", "token_embedding"},
      {"final_layer_norm", "ln_final"},
      {"pre_norm_mha.0", "ln_1"},
      {"pre_norm_mha.1", "attn"},
      {"pre_norm_ffn.0", "ln_2"},
      {"pre_norm_ffn.1", "mlp.c_fc"},
      {"pre_norm_ffn.4", "mlp.c_proj"},
      {"qkv_proj.weight", "in_proj_weight"},
      {"qkv_proj.bias", "in_proj_bias"},
      {"transformer.", "transformer.resblocks."},
  };
  if (key.starts_with("positional_embedding.pos_embed.pos_embed")) return "positional_embedding";
  for (const auto& [from, to] : kRenames) replace_all(key, from, to);
  return key;
}

// The new zero bias and the transposed projection that make Apple's `x @ W` a timm head.
void add_head(std::vector<Planned>& out, const Tensor& projection, const std::string& prefix) {
  Planned weight = copy_of(projection, prefix + ".weight");
  weight.parts = {transpose(projection)};
  weight.shape = weight.parts[0].shape;
  weight.transform = "transpose (x @ W -> Linear)";
  out.push_back(std::move(weight));
  Planned bias;
  bias.name = prefix + ".bias";
  bias.shape = {projection.shape.at(1)};
  bias.source = "(new)";
  bias.transform = "zeros";
  out.push_back(std::move(bias));
}

// Blocks of one kind must hold the same tensors: RepMixer blocks (FastViT stages 0-2) alike,
// attention blocks (stage 3, or every block of the hybrid ViT) alike. A block that lacks a
// tensor its siblings have is a damaged file, not a different model.
void check_uniform_blocks(const std::vector<Planned>& image, bool hybrid,
                          const Checkpoint& source) {
  static const std::regex kFastVit(R"(^visual\.trunk\.stages\.(\d+)\.blocks\.(\d+)\.(.*)$)");
  static const std::regex kHybrid(R"(^visual\.trunk\.blocks\.(\d+)\.(.*)$)");
  // kind -> block -> target name within the block -> source name
  std::map<std::string, std::map<std::string, std::map<std::string, std::string>>> kinds;
  for (const Planned& p : image) {
    std::smatch m;
    if (hybrid && std::regex_match(p.name, m, kHybrid)) {
      kinds["attention"][m[1]][m[2]] = p.source;
    } else if (!hybrid && std::regex_match(p.name, m, kFastVit)) {
      kinds[m[1] == "3" ? "attention" : "RepMixer"][m[1].str() + "." + m[2].str()][m[3]] = p.source;
    }
  }
  for (const auto& [kind, blocks] : kinds) {
    const auto& [first_block, first] = *blocks.begin();
    for (const auto& [block, names] : blocks) {
      for (const auto& [name, from] : first) {
        if (!names.count(name))
          throw format_error(source, kind + " block " + block + " lacks '" + name + "' (block " +
                                         first_block + " has it, from " + from + ")");
      }
      for (const auto& [name, from] : names) {
        if (!first.count(name))
          throw format_error(source, kind + " block " + block + " has an extra '" + name +
                                         "' (from " + from + ") that block " + first_block +
                                         " does not have");
      }
    }
  }
}

std::string variant(const Checkpoint& source) {
  if (source.find("image_encoder.model.patch_emb.0.block.conv.weight")) return "MobileCLIP-B";
  static const std::regex kBlock(R"(^image_encoder\.model\.network\.(\d+)\.(\d+)\.)");
  std::map<int, std::set<int>> blocks;
  for (const Tensor& t : source.tensors) {
    std::smatch m;
    if (std::regex_search(t.name, m, kBlock)) blocks[std::stoi(m[1])].insert(std::stoi(m[2]));
  }
  std::vector<size_t> counts;
  for (const auto& [k, b] : blocks) counts.push_back(b.size());
  for (const Tensor& t : source.tensors) {
    if (t.name.find("reparam_conv") != std::string::npos)
      throw Error(ErrorKind::Unsupported,
                  source.label + " is a reparameterized MobileCLIP (it has '" + t.name +
                      "'); open_clip needs the training form with rbr_* branches")
          .with_hint(
              "convert Apple's released mobileclip_*.pt as downloaded, before "
              "reparameterize_model()");
  }
  const Tensor* stem = source.find("image_encoder.model.patch_embed.0.rbr_conv.0.conv.weight");
  const int64_t width = stem ? stem->shape.at(0) : 0;
  if (counts == std::vector<size_t>{4, 12, 20, 4} && width == 64) return "MobileCLIP-S1";
  if (counts == std::vector<size_t>{4, 12, 24, 4} && width == 80) return "MobileCLIP-S2";
  if (counts == std::vector<size_t>{2, 6, 10, 2} ||
      source.find("text_encoder.transformer.0.token_mixer.layer_scale"))
    throw Error(ErrorKind::Unsupported,
                source.label +
                    " is MobileCLIP-S0, whose RepMixer text encoder open_clip v3.3.0 "
                    "cannot represent (it ships no MobileCLIP-S0 config)")
        .with_hint(
            "use MobileCLIP2-S0, which is published in open_clip format, or MobileCLIP-S1/S2/B");
  std::string seen;
  for (size_t c : counts) seen += (seen.empty() ? "" : ",") + std::to_string(c);
  throw format_error(source, "MobileCLIP image tower with block counts [" + seen +
                                 "] and stem width " + std::to_string(width) +
                                 " is neither S1 (4,12,20,4 / 64) nor S2 (4,12,24,4 / 80)");
}

}  // namespace

Conversion convert_mobileclip(const Checkpoint& source, const ConvertOptions& options,
                              const registry::Registry& registry) {
  const std::string name = variant(source);
  if (!options.model.empty() && options.model != name)
    throw Error(ErrorKind::Usage, source.label + " is " + name + ", not --model " + options.model);
  const bool hybrid = name == "MobileCLIP-B";

  std::vector<int> downsamples;
  static const std::regex kDownsample(R"(^image_encoder\.model\.network\.(\d+)\.proj)");
  for (const Tensor& t : source.tensors) {
    std::smatch m;
    if (std::regex_search(t.name, m, kDownsample)) downsamples.push_back(std::stoi(m[1]));
  }
  std::sort(downsamples.begin(), downsamples.end());
  downsamples.erase(std::unique(downsamples.begin(), downsamples.end()), downsamples.end());

  Conversion c;
  c.family = Family::MobileClip;
  c.model_name = name;
  c.model_cfg = registry.config(name);
  c.preprocess_cfg = preprocess({0, 0, 0}, {1, 1, 1}, "bilinear", "shortest");
  std::vector<Planned> image, text;
  for (const Tensor& t : source.tensors) {
    if (t.name == "logit_scale") {
      c.tensors.push_back(copy_of(t, "logit_scale"));
    } else if (t.name.starts_with(kImagePrefix)) {
      const std::string key = t.name.substr(std::string(kImagePrefix).size());
      if (!hybrid && key == "head.proj") {
        add_head(image, t, "visual.trunk.head.fc");
      } else if (hybrid && key.find("classifier.proj") != std::string::npos) {
        add_head(image, t, "visual.trunk.head");
      } else if (hybrid && key == "pos_embed.pos_embed.pos_embed") {
        Planned p = copy_of(t, "visual.trunk.pos_embed");
        std::vector<int64_t> shape(t.shape.begin() + 1, t.shape.end());
        p.parts = {reshape(t, shape)};
        p.shape = shape;
        p.transform = "drop axis 0";
        image.push_back(std::move(p));
      } else {
        image.push_back(copy_of(
            t, "visual.trunk." + (hybrid ? hybrid_name(key) : fastvit_name(key, downsamples))));
      }
    } else if (t.name.starts_with(kTextPrefix)) {
      const std::string key = text_name(t.name.substr(std::string(kTextPrefix).size()));
      Planned p = copy_of(t, "text." + key);
      if (key == "positional_embedding") {
        p.parts = {squeeze_all(t)};
        p.shape = p.parts[0].shape;
        p.transform = "squeeze";
      }
      text.push_back(std::move(p));
    } else {
      c.dropped.push_back(t.name);
    }
  }
  if (!c.dropped.empty()) {
    throw format_error(source, "tensors outside image_encoder./text_encoder./logit_scale: " +
                                   first_names(c.dropped, ", "));
  }
  if (c.tensors.size() != 1)
    throw format_error(source, "MobileCLIP state dict without a single logit_scale");
  check_uniform_blocks(image, hybrid, source);
  c.tensors.insert(c.tensors.end(), std::make_move_iterator(image.begin()),
                   std::make_move_iterator(image.end()));

  // The text tower is open_clip's own TextTransformer: its names can be checked exactly.
  Json text_only = {{"embed_dim", c.model_cfg["embed_dim"]},
                    {"custom_text", true},
                    {"text_cfg", c.model_cfg["text_cfg"]}};
  std::string why;
  std::optional<std::vector<ExpectedTensor>> layout = native_clip_layout(text_only, &why);
  std::vector<ExpectedTensor> text_layout;
  if (layout) {
    for (ExpectedTensor& e : *layout) {
      if (e.name.starts_with("text.")) text_layout.push_back(std::move(e));
    }
  }
  text = check_layout(std::move(text), text_layout, name + "'s text tower", source);
  c.tensors.insert(c.tensors.end(), std::make_move_iterator(text.begin()),
                   std::make_move_iterator(text.end()));
  return c;
}

}  // namespace oclip::convert
