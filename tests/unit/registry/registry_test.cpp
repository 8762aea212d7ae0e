#include "registry/registry.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "tests/support/temp_dir.h"

using oclip::Error;
using oclip::ErrorKind;
using oclip::registry::Registry;

namespace {

std::vector<std::string> names(const Registry& registry) {
  std::vector<std::string> out;
  for (const auto& m : registry.models()) out.push_back(m.name);
  return out;
}

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace

TEST(Registry, HasAllBuiltinArchitecturesInOrder) {
  Registry registry;
  std::vector<std::string> list = names(registry);
  ASSERT_EQ(list.size(), 144u);
  EXPECT_EQ(list[0], "coca_base");
  EXPECT_EQ(list[1], "coca_roberta-ViT-B-32");
  EXPECT_EQ(list[2], "coca_ViT-B-32");
  EXPECT_EQ(list[142], "xlm-roberta-base-ViT-B-32");
  EXPECT_EQ(list[143], "xlm-roberta-large-ViT-H-14");
}

TEST(Registry, PretrainedTableInOpenClipOrder) {
  Registry registry;
  const auto& table = registry.pretrained();
  ASSERT_EQ(table.size(), 196u);
  EXPECT_EQ(table.front().model, "RN50");
  EXPECT_EQ(table.front().tag, "openai");
  EXPECT_TRUE(table.front().quick_gelu);
  EXPECT_EQ(table[table.size() - 27].model, "RN50-quickgelu");
  EXPECT_EQ(table.back().model, "ViT-H-14-worldwide-quickgelu");
}

TEST(Registry, TagsAreCleanedLikeOpenClip) {
  Registry registry;
  const auto& entry = registry.find_pretrained("ViT-B-32", "LAION2B-S34B-B79K");
  EXPECT_EQ(entry.tag, "laion2b_s34b_b79k");
  EXPECT_EQ(entry.hf_hub_repo, "laion/CLIP-ViT-B-32-laion2B-s34B-b79K");
  EXPECT_DOUBLE_EQ(entry.mean[0], 0.48145466);
}

TEST(Registry, EntryNamingAFileKeepsIt) {
  Registry registry;
  const auto& entry = registry.find_pretrained("ViTamin-S", "datacomp1b");
  EXPECT_EQ(entry.hf_hub_repo, "jienengchen/ViTamin-S");
  EXPECT_EQ(entry.hf_hub_filename, "pytorch_model.bin");
}

TEST(Registry, UnknownModelSuggestsCloseNames) {
  Registry registry;
  try {
    registry.config("ViT-B-23");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    EXPECT_NE(e.hint().find("ViT-B-32"), std::string::npos) << e.hint();
  }
}

TEST(Registry, UnknownTagListsTheModelsTags) {
  Registry registry;
  try {
    registry.find_pretrained("ViT-B-32", "laion2b_s34b_b80k");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    EXPECT_NE(e.hint().find("did you mean laion2b_s34b_b79k"), std::string::npos) << e.hint();
  }
}

TEST(Registry, ConfigKeepsFileKeyOrder) {
  Registry registry;
  auto config = registry.config("ViT-B-32");
  EXPECT_EQ(config.begin().key(), "embed_dim");
  EXPECT_EQ(config["vision_cfg"]["patch_size"], 32);
}

TEST(Registry, ConfigDirAddsReplacesAndSkips) {
  TempDir dir;
  write(dir.path() / "my-model.json", R"({"embed_dim": 8, "vision_cfg": {}, "text_cfg": {}})");
  write(dir.path() / "ViT-B-32.json", R"({"embed_dim": 1, "vision_cfg": {}, "text_cfg": {}})");
  write(dir.path() / "not-a-model.json", R"({"embed_dim": 8})");
  write(dir.path() / "notes.txt", "ignored");
  Registry registry;
  registry.add_config_dir(dir.path());
  auto list = names(registry);
  EXPECT_EQ(list.size(), 145u);
  EXPECT_TRUE(registry.has_model("my-model"));
  EXPECT_FALSE(registry.has_model("not-a-model"));
  EXPECT_EQ(registry.config("ViT-B-32")["embed_dim"], 1);
}

TEST(Registry, BadJsonNamesFileAndLine) {
  TempDir dir;
  write(dir.path() / "broken.json", "{\n  \"embed_dim\": 8,\n  \"vision_cfg\": {,\n}\n");
  Registry registry;
  try {
    registry.add_config_dir(dir.path());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Format);
    EXPECT_NE(std::string(e.what()).find("broken.json:3:"), std::string::npos) << e.what();
  }
}

TEST(Registry, MissingConfigDirIsNotFound) {
  Registry registry;
  try {
    registry.add_config_dir("/nonexistent/oclip-configs");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
}
