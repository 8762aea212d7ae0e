// Choosing the open_clip architecture from shapes alone, for the real-size models the golden
// fixtures do not cover: planning reads no tensor bytes, so shape-only checkpoints suffice.
#include "convert/conversion.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.h"

namespace oclip::convert {
namespace {

using ::testing::HasSubstr;

// A checkpoint of shapes only; planning never reads the (absent) bytes.
class ShapeCheckpoint {
 public:
  explicit ShapeCheckpoint(Format format, std::string label = "model.npz") {
    c_.format = format;
    c_.label = std::move(label);
  }
  void add(const std::string& name, std::vector<int64_t> shape, DType dtype = DType::F32) {
    Tensor t;
    t.name = name;
    t.dtype = dtype;
    t.shape = std::move(shape);
    t.strides = contiguous_strides(t.shape);
    c_.tensors.push_back(std::move(t));
  }
  const Checkpoint& get() const { return c_; }

 private:
  Checkpoint c_;
};

struct SigLipShape {
  int64_t width, depth, heads, mlp, patch, grid, vocab, context;
  bool head;
  bool scanned;
};

ShapeCheckpoint big_vision(const SigLipShape& s, const std::string& label) {
  ShapeCheckpoint c(Format::Npz, label);
  const int64_t d = s.width, hd = d / s.heads;
  c.add("params/t", {1});
  c.add("params/b", {1});
  c.add("params/img/embedding/kernel", {s.patch, s.patch, 3, d});
  c.add("params/img/embedding/bias", {d});
  c.add("params/img/pos_embedding", {1, s.grid * s.grid, d});
  auto block = [&](const std::string& base, int64_t depth) {
    std::vector<int64_t> lead = s.scanned ? std::vector<int64_t>{depth} : std::vector<int64_t>{};
    auto shape = [&](std::vector<int64_t> tail) {
      std::vector<int64_t> out = lead;
      out.insert(out.end(), tail.begin(), tail.end());
      return out;
    };
    const int64_t blocks = s.scanned ? 1 : depth;
    for (int64_t i = 0; i < blocks; ++i) {
      const std::string b =
          base + (s.scanned ? "encoderblock/" : "encoderblock_" + std::to_string(i) + "/");
      for (const char* n : {"LayerNorm_0", "LayerNorm_1"}) {
        c.add(b + n + "/scale", shape({d}));
        c.add(b + n + "/bias", shape({d}));
      }
      const std::string a = b + "MultiHeadDotProductAttention_0/";
      for (const char* n : {"query", "key", "value"}) {
        c.add(a + n + "/kernel", shape({d, s.heads, hd}));
        c.add(a + n + "/bias", shape({s.heads, hd}));
      }
      c.add(a + "out/kernel", shape({s.heads, hd, d}));
      c.add(a + "out/bias", shape({d}));
      c.add(b + "MlpBlock_0/Dense_0/kernel", shape({d, s.mlp}));
      c.add(b + "MlpBlock_0/Dense_0/bias", shape({s.mlp}));
      c.add(b + "MlpBlock_0/Dense_1/kernel", shape({s.mlp, d}));
      c.add(b + "MlpBlock_0/Dense_1/bias", shape({d}));
    }
  };
  block("params/img/Transformer/", s.depth);
  c.add("params/img/Transformer/encoder_norm/scale", {d});
  c.add("params/img/Transformer/encoder_norm/bias", {d});
  const std::string m = "params/img/MAPHead_0/";
  c.add(m + "probe", {1, 1, d});
  for (const char* n : {"query", "key", "value"}) {
    c.add(m + "MultiHeadDotProductAttention_0/" + n + "/kernel", {d, s.heads, hd});
    c.add(m + "MultiHeadDotProductAttention_0/" + n + "/bias", {s.heads, hd});
  }
  c.add(m + "MultiHeadDotProductAttention_0/out/kernel", {s.heads, hd, d});
  c.add(m + "MultiHeadDotProductAttention_0/out/bias", {d});
  c.add(m + "LayerNorm_0/scale", {d});
  c.add(m + "LayerNorm_0/bias", {d});
  c.add(m + "MlpBlock_0/Dense_0/kernel", {d, s.mlp});
  c.add(m + "MlpBlock_0/Dense_0/bias", {s.mlp});
  c.add(m + "MlpBlock_0/Dense_1/kernel", {s.mlp, d});
  c.add(m + "MlpBlock_0/Dense_1/bias", {d});
  c.add("params/txt/Embed_0/embedding", {s.vocab, d});
  c.add("params/txt/pos_embedding", {1, s.context, d});
  block("params/txt/Encoder_0/", s.depth);
  c.add("params/txt/Encoder_0/encoder_norm/scale", {d});
  c.add("params/txt/Encoder_0/encoder_norm/bias", {d});
  if (s.head) {
    c.add("params/txt/head/kernel", {d, d});
    c.add("params/txt/head/bias", {d});
  }
  return c;
}

TEST(ConvertBigVision, PicksTheSigLipConfigFromShapes) {
  const registry::Registry registry;
  struct Case {
    SigLipShape shape;
    const char* label;
    const char* model;
  };
  const std::vector<Case> cases = {
      {{768, 12, 12, 3072, 16, 14, 32000, 64, true, false},
       "webli_en_b16_224_63724782.npz",
       "ViT-B-16-SigLIP"},
      {{768, 12, 12, 3072, 16, 16, 32000, 64, true, true},
       "webli_en_b16_256_60500360.npz",
       "ViT-B-16-SigLIP-256"},
      {{768, 12, 12, 3072, 16, 24, 32000, 64, true, false},
       "webli_en_b16_384_68578854.npz",
       "ViT-B-16-SigLIP-384"},
      {{768, 12, 12, 3072, 16, 32, 32000, 64, true, false},
       "webli_en_b16_512_68580893.npz",
       "ViT-B-16-SigLIP-512"},
      {{1024, 24, 16, 4096, 16, 16, 32000, 64, true, true},
       "webli_en_l16_256_60552751.npz",
       "ViT-L-16-SigLIP-256"},
      {{1024, 24, 16, 4096, 16, 24, 32000, 64, true, false},
       "webli_en_l16_384_63634585.npz",
       "ViT-L-16-SigLIP-384"},
      {{1152, 27, 16, 4304, 14, 16, 32000, 16, true, false},
       "webli_en_so400m_224_57633886.npz",
       "ViT-SO400M-14-SigLIP"},
      {{1152, 27, 16, 4304, 14, 27, 32000, 64, true, true},
       "webli_en_so400m_384_58765454.npz",
       "ViT-SO400M-14-SigLIP-384"},
      {{768, 12, 12, 3072, 16, 16, 250000, 64, true, false},
       "webli_i18n_b16_256_66117334.npz",
       "ViT-B-16-SigLIP-i18n-256"},
      {{1152, 27, 16, 4304, 16, 16, 250000, 64, false, false},
       "webli_i18n_so400m_16_256_78061115.npz",
       "ViT-SO400M-16-SigLIP-i18n-256"},
  };
  for (const Case& c : cases) {
    const ShapeCheckpoint source = big_vision(c.shape, c.label);
    const Conversion conversion = plan_conversion(source.get(), {}, registry);
    EXPECT_EQ(conversion.model_name, c.model) << c.label;
    EXPECT_EQ(conversion.family, Family::BigVision);
    EXPECT_TRUE(conversion.dropped.empty()) << c.label;
    const bool has_projection =
        std::any_of(conversion.tensors.begin(), conversion.tensors.end(),
                    [](const Planned& p) { return p.name == "text.text_projection.weight"; });
    EXPECT_EQ(has_projection, c.shape.head) << c.label;
  }
}

TEST(ConvertBigVision, AmbiguousOrForeignShapesNeedAName) {
  const registry::Registry registry;
  // So400m/14 with a 27x27 grid fits both -378 and -384; without a hint in the name it asks.
  const ShapeCheckpoint same_grid =
      big_vision({1152, 27, 16, 4304, 14, 27, 32000, 64, true, false}, "checkpoint.npz");
  try {
    plan_conversion(same_grid.get(), {}, registry);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
    EXPECT_THAT(e.what(), HasSubstr("ViT-SO400M-14-SigLIP-378, ViT-SO400M-14-SigLIP-384"));
  }
  ConvertOptions named;
  named.model = "ViT-SO400M-14-SigLIP-378";
  EXPECT_EQ(plan_conversion(same_grid.get(), named, registry).model_name,
            "ViT-SO400M-14-SigLIP-378");
  named.model = "ViT-B-16-SigLIP";
  EXPECT_THROW(plan_conversion(same_grid.get(), named, registry), Error);
  const ShapeCheckpoint odd =
      big_vision({256, 2, 4, 1024, 16, 14, 1000, 16, true, false}, "tiny.npz");
  try {
    plan_conversion(odd.get(), {}, registry);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_THAT(e.what(), HasSubstr("no open_clip SigLIP config has these shapes"));
  }
}

// OpenAI's real releases, by shape: ViT-B/32 and RN50 must map to the -quickgelu names.
ShapeCheckpoint openai_vit(int64_t width, int64_t layers, int64_t patch, int64_t grid,
                           int64_t embed) {
  ShapeCheckpoint c(Format::TorchScript, "ViT.pt");
  c.add("positional_embedding", {77, 512});
  c.add("text_projection", {512, embed}, DType::F16);
  c.add("logit_scale", {});
  c.add("input_resolution", {}, DType::I64);
  c.add("context_length", {}, DType::I64);
  c.add("vocab_size", {}, DType::I64);
  c.add("visual.class_embedding", {width});
  c.add("visual.positional_embedding", {grid * grid + 1, width});
  c.add("visual.proj", {width, embed}, DType::F16);
  c.add("visual.conv1.weight", {width, 3, patch, patch}, DType::F16);
  c.add("visual.ln_pre.weight", {width});
  c.add("visual.ln_pre.bias", {width});
  auto transformer = [&](const std::string& prefix, int64_t w, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      const std::string b = prefix + ".resblocks." + std::to_string(i);
      c.add(b + ".attn.in_proj_weight", {3 * w, w}, DType::F16);
      c.add(b + ".attn.in_proj_bias", {3 * w}, DType::F16);
      c.add(b + ".attn.out_proj.weight", {w, w}, DType::F16);
      c.add(b + ".attn.out_proj.bias", {w}, DType::F16);
      for (const char* ln : {".ln_1", ".ln_2"}) {
        c.add(b + ln + ".weight", {w});
        c.add(b + ln + ".bias", {w});
      }
      c.add(b + ".mlp.c_fc.weight", {4 * w, w}, DType::F16);
      c.add(b + ".mlp.c_fc.bias", {4 * w}, DType::F16);
      c.add(b + ".mlp.c_proj.weight", {w, 4 * w}, DType::F16);
      c.add(b + ".mlp.c_proj.bias", {w}, DType::F16);
    }
  };
  transformer("visual.transformer", width, layers);
  c.add("visual.ln_post.weight", {width});
  c.add("visual.ln_post.bias", {width});
  transformer("transformer", 512, 12);
  c.add("token_embedding.weight", {49408, 512});
  c.add("ln_final.weight", {512});
  c.add("ln_final.bias", {512});
  return c;
}

TEST(ConvertOpenAi, RealViTShapesMatchTheQuickGeluConfigs) {
  const registry::Registry registry;
  EXPECT_EQ(plan_conversion(openai_vit(768, 12, 32, 7, 512).get(), {}, registry).model_name,
            "ViT-B-32-quickgelu");
  EXPECT_EQ(plan_conversion(openai_vit(768, 12, 16, 14, 512).get(), {}, registry).model_name,
            "ViT-B-16-quickgelu");
  const Conversion b32 = plan_conversion(openai_vit(768, 12, 32, 7, 512).get(), {}, registry);
  EXPECT_EQ(b32.tensors.size(), 302u);  // 305 minus the three config buffers
  EXPECT_EQ(b32.model_cfg, registry.config("ViT-B-32-quickgelu"));
}

TEST(ConvertOpenAi, WidthsThatAreNotMultiplesOf64AreRefused) {
  const registry::Registry registry;
  try {
    plan_conversion(openai_vit(96, 2, 8, 4, 32).get(), {}, registry);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_THAT(e.what(), HasSubstr("multiple of 64"));
  }
}

}  // namespace
}  // namespace oclip::convert
