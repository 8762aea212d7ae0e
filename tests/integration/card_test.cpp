// oclip card: README.md front matter read back by a real YAML parser (Debian's python3-yaml),
// model card JSON fields in the body, an existing README kept, and --check.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/file_io.h"
#include "tests/support/local_hub_process.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

class Card : public ::testing::Test {
 protected:
  Card() {
    write(folder() / "open_clip_config.json",
          R"({"model_cfg": {"embed_dim": 512, "vision_cfg": {"image_size": 224, "layers": 12,)"
          R"( "width": 768, "patch_size": 32}, "text_cfg": {"context_length": 77, "width": 512,)"
          R"( "heads": 8, "layers": 12}}, "preprocess_cfg": {"mean": [0.48145466, 0.4578275,)"
          R"( 0.40821073], "std": [0.26862954, 0.26130258, 0.27577711], "interpolation":)"
          R"( "bicubic", "resize_mode": "shortest"}})");
  }

  fs::path folder() const { return dir_.path() / "ViT-B-32-run"; }

  ProcessResult oclip(std::vector<std::string> args) const {
    args.insert(args.begin(), oclip_binary());
    return run_process(args);
  }

  // The front matter as PyYAML's safe_load reads it.
  json front_matter() const {
    ProcessResult r = run_process({"/usr/bin/python3", "-c",
                                   "import json, sys, yaml\n"
                                   "text = open(sys.argv[1], encoding='utf-8').read()\n"
                                   "assert text.startswith('---\\n'), 'no front matter'\n"
                                   "print(json.dumps(yaml.safe_load(text.split('---\\n')[1])))",
                                   (folder() / "README.md").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  TempDir dir_;
};

TEST_F(Card, FrontMatterHasOpenClipsKeysAndTypes) {
  ProcessResult r = oclip({"card", folder().string(), "--license", "apache-2.0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, (folder() / "README.md").string() + "\n");
  json yaml = front_matter();
  EXPECT_EQ(yaml, json({{"tags", {"clip"}},
                        {"library_name", "open_clip"},
                        {"pipeline_tag", "zero-shot-image-classification"},
                        {"license", "apache-2.0"}}));
  std::string readme = oclip::read_file(folder() / "README.md");
  EXPECT_NE(readme.find("# Model card for ViT-B-32-run"), std::string::npos);
  EXPECT_NE(readme.find("ViT (width 768, 12 layers, patch 32), 224 px"), std::string::npos);
  EXPECT_NE(readme.find("- **Mean:** 0.48145466, 0.4578275, 0.40821073"), std::string::npos);
  EXPECT_NE(readme.find("local-dir:"), std::string::npos);
}

TEST_F(Card, ModelCardFieldsAppearAndEveryStringSurvivesYaml) {
  // Strings a careless emitter would turn into booleans, numbers, nulls, comments or
  // structure; PyYAML must read each back unchanged.
  std::vector<std::string> tags = {
      "clip",       "yes",         "No",        "1.0",         "0x1f",
      "12:30",      "2024-01-01",  "null",      "~",           "a: b",
      "#hash",      "- dash",      "[list]",    "{map}",       "'single'",
      "\"double\"", "back\\slash", "tab\there", "line\nbreak", " padded ",
      "ünïcødé",    "&anchor",     "*alias",    "!tag",        "%percent",
      "@at",        "`tick`",      "",          "|",           ">",
      "?"};
  json card = {{"license", "other"},
               {"license_name", "apple-amlr: sample code"},
               {"tags", tags},
               {"pipeline_tag", "zero-shot-image-classification"},
               {"description", "MobileCLIP run with a description."},
               {"details",
                {{"Dataset", "DataCompDR-1B"},
                 {"Papers", {"MobileCLIP: Fast Image-Text Models"}},
                 {"Resolution", {{"train", 224}, {"eval", 256}}}}},
               {"usage", "Use it well."},
               {"comparison", "Better than before."},
               {"citation", {"@article{a, title={A}}", "@article{b, title={B}}"}}};
  write(dir_.path() / "card.json", card.dump());
  ProcessResult r =
      oclip({"card", folder().string(), "--model-card", (dir_.path() / "card.json").string(),
             "--repo-id", "alice/MobileCLIP-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json yaml = front_matter();
  EXPECT_EQ(yaml["tags"], json(tags));
  EXPECT_EQ(yaml["license"], "other");
  EXPECT_EQ(yaml["license_name"], "apple-amlr: sample code");
  EXPECT_EQ(yaml["datasets"], json::array({"datacompdr-1b"}));
  std::string readme = oclip::read_file(folder() / "README.md");
  for (const char* part :
       {"# Model card for MobileCLIP-run", "MobileCLIP run with a description.",
        "- **Dataset:** DataCompDR-1B", "- **Papers:**\n  - MobileCLIP: Fast Image-Text Models",
        "  - train: 224", "## Model Usage\n\nUse it well.", "## Model Comparison",
        "```bibtex\n@article{b, title={B}}\n```", "hf-hub:alice/MobileCLIP-run"}) {
    EXPECT_NE(readme.find(part), std::string::npos) << part << "\n" << readme;
  }
  EXPECT_EQ(oclip({"card", "--check", folder().string()}).exit_code, 0);
}

TEST_F(Card, AnExistingReadmeIsKeptWithoutForce) {
  write(folder() / "README.md", "mine\n");
  ProcessResult refused = oclip({"card", folder().string(), "--license", "mit"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;
  EXPECT_EQ(oclip::read_file(folder() / "README.md"), "mine\n");
  ASSERT_EQ(oclip({"card", folder().string(), "--license", "mit", "--force"}).exit_code, 0);
  EXPECT_EQ(front_matter()["license"], "mit");
}

TEST_F(Card, ConvertWithALicenseWritesTheModelCardIntoTheFolder) {
  fs::path out = dir_.path() / "converted";
  ProcessResult r = oclip({"convert",
                           (fs::path(OCLIP_GOLDEN_DIR) / "cases/clip-tiny-native/source/"
                                                         "open_clip_pytorch_model.bin")
                               .string(),
                           "-o", out.string(), "--no-validate", "--license", "cc-by-4.0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string readme = oclip::read_file(out / "README.md");
  EXPECT_EQ(readme.rfind("---\ntags:\n- clip\nlibrary_name: open_clip\n", 0), 0u) << readme;
  EXPECT_NE(readme.find("license: cc-by-4.0\n"), std::string::npos) << readme;
  EXPECT_NE(readme.find("# Model card for converted"), std::string::npos) << readme;
  EXPECT_EQ(oclip({"card", "--check", out.string()}).exit_code, 0);
}

TEST_F(Card, NoLicenseIsRefusedAndNothingWritten) {
  ProcessResult r = oclip({"card", folder().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no license"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--license"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(folder() / "README.md"));
  // A license the Hub does not know is refused too, with the near miss named.
  r = oclip({"card", folder().string(), "--license", "Apache-2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean 'apache-2.0'?"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(folder() / "README.md"));
}

TEST_F(Card, BadModelCardsAndConfigsAreFormatErrors) {
  write(dir_.path() / "bad.json", "{not json");
  write(dir_.path() / "list.json", "[1, 2]");
  write(dir_.path() / "tags.json", R"({"license": "mit", "tags": [1, 2]})");
  for (const char* card : {"bad.json", "list.json", "tags.json"}) {
    ProcessResult r = oclip({"card", folder().string(), "--license", "mit", "--model-card",
                             (dir_.path() / card).string()});
    EXPECT_EQ(r.exit_code, 8) << card << r.err;
  }
  write(folder() / "open_clip_config.json", "[]");
  EXPECT_EQ(oclip({"card", folder().string(), "--license", "mit"}).exit_code, 8);
  EXPECT_FALSE(fs::exists(folder() / "README.md"));
}

TEST_F(Card, CheckReportsEachProblem) {
  struct Case {
    std::string readme;
    std::string problem;  // empty: valid
  };
  for (const Case& c : std::vector<Case>{
           {"---\nlicense: mit\ntags:\n- clip\n---\n# x\n", ""},
           {"# no front matter\n", "no front matter"},
           {"---\nlicense: mit\n", "no closing"},
           {"---\nlicense: [mit\n---\n", "not YAML"},
           {"---\n- a\n- b\n---\n", "mapping"},
           {"---\ntags: [clip]\n---\n", "no license"},
           {"---\nlicense: MIT License\n---\n", "not in the Hub's license list"},
           {"---\nlicense: apache2.0\n---\n", "did you mean 'apache-2.0'?"},
           {"---\nlicense: Apache 2\n---\n", "did you mean 'apache-2.0'?"},
           {"---\nlicense: cc-by-4\n---\n", "did you mean 'cc-by-4.0'?"},
           {"---\nlicense: cc-by-nc-4.0\npipeline_tag: zero-shot-image-classification\n---\n", ""},
           {"---\nlicense: mit\npipeline_tag: zero-shot-image-classifier\n---\n",
            "did you mean 'zero-shot-image-classification'?"},
           {"---\nlicense: mit\npipeline_tag: clip\n---\n", "not one of the Hub's tasks"},
           {"---\nlicense: other\n---\n", "license_name"},
           {"---\nlicense: mit\ntags: clip\n---\n", "tags must be a list of strings"},
           {"---\nlicense: mit\ndatasets:\n- {a: 1}\n---\n", "datasets must be a list"},
           {"---\nlicense: mit\npipeline_tag: [a]\n---\n", "pipeline_tag must be a string"},
           {"---\nlicense: mit\nlibrary_name: {a: 1}\n---\n", "library_name must be a string"},
       }) {
    write(folder() / "README.md", c.readme);
    ProcessResult r = oclip({"card", "--check", folder().string(), "--json"});
    json report = json::parse(r.out, nullptr, false);
    EXPECT_EQ(r.exit_code, c.problem.empty() ? 0 : 8) << c.readme << r.out;
    EXPECT_EQ(report["ok"], c.problem.empty()) << c.readme;
    if (!c.problem.empty()) {
      EXPECT_NE(report["problems"].dump().find(c.problem), std::string::npos)
          << c.readme << report.dump();
    }
  }
}

}  // namespace
