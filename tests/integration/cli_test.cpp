// oclip end to end: the built binary, run as a user would.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/local_hub_process.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace {

ProcessResult oclip(std::vector<std::string> args, RunOptions options = {}) {
  args.insert(args.begin(), oclip_binary());
  options.unset_env.insert(options.unset_env.end(),
                           {"OCLIP_MODEL_CONFIG_PATH", "NO_COLOR", "HF_TOKEN"});
  return run_process(args, options);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::filesystem::path data_dir() { return source_dir() / "registry" / "data"; }

}  // namespace

TEST(ListModels, OrderMatchesOpenClipNaturalKeyInPython) {
  // An independent implementation: open_clip's _natural_key, run by Python on the file names.
  std::string script =
      "import os, re, sys\n"
      "key = lambda s: [int(t) if t.isdigit() else t for t in re.split(r'(\\d+)', s.lower())]\n"
      "names = [f[:-5] for f in os.listdir(sys.argv[1]) if f.endswith('.json')]\n"
      "print('\\n'.join(sorted(names, key=key)))\n";
  ProcessResult python =
      run_process({"python3", "-c", script, (data_dir() / "model_configs").string()});
  ASSERT_EQ(python.exit_code, 0) << python.err;
  ProcessResult result = oclip({"list-models"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, python.out);
  EXPECT_EQ(lines(result.out).size(), 144u);
}

TEST(ListModels, CountEqualsConfigFiles) {
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(data_dir() / "model_configs")) {
    files += e.path().extension() == ".json";
  }
  EXPECT_EQ(lines(oclip({"list-models"}).out).size(), files);
}

TEST(ListModels, PretrainedJsonMatchesTheTable) {
  std::ifstream in(data_dir() / "pretrained.json");
  nlohmann::json table = nlohmann::json::parse(in);
  ProcessResult result = oclip({"list-models", "--pretrained", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  nlohmann::json listed = nlohmann::json::parse(result.out);
  ASSERT_EQ(listed.size(), table.size());
  for (size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(listed[i]["model"], table[i]["model"]) << i;
    EXPECT_EQ(listed[i]["tag"], table[i]["tag"]) << i;
    EXPECT_EQ(listed[i]["hf_hub"], table[i]["hf_hub"]["repo_id"]) << i;
    EXPECT_EQ(listed[i].value("filename", ""), table[i]["hf_hub"].value("filename", "")) << i;
    EXPECT_EQ(listed[i]["mean"], table[i]["mean"]) << i;
    EXPECT_EQ(listed[i]["quick_gelu"], table[i]["quick_gelu"]) << i;
    EXPECT_EQ(listed[i].value("url", ""), table[i].value("url", "")) << i;
  }
}

TEST(ListModels, DataMatchesTheSharedReference) {
  auto reference = source_dir().parent_path() / "shared" / "reference" / "open_clip";
  if (!std::filesystem::exists(reference)) GTEST_SKIP() << "no shared reference beside the tree";
  auto read = [](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(read(reference / "pretrained.json"), read(data_dir() / "pretrained.json"));
  size_t compared = 0;
  for (const auto& e : std::filesystem::directory_iterator(reference / "model_configs")) {
    EXPECT_EQ(read(e.path()), read(data_dir() / "model_configs" / e.path().filename())) << e.path();
    ++compared;
  }
  EXPECT_EQ(compared, 144u);
}

TEST(ListModels, PretrainedTextShowsHubIds) {
  ProcessResult result = oclip({"list-models", "--pretrained", "--filter", "ViTamin-S"});
  ASSERT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("hf-hub:jienengchen/ViTamin-S (pytorch_model.bin)"), std::string::npos)
      << result.out;
}

TEST(ListModels, FilterIsCaseInsensitiveGlob) {
  ProcessResult result = oclip({"list-models", "--filter", "rn50*"});
  auto names = lines(result.out);
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "RN50");
  EXPECT_EQ(names.back(), "RN50x64-quickgelu");
  ProcessResult pairs =
      oclip({"list-models", "--pretrained", "--filter", "*:laion2b_s34b_b79k", "--json"});
  for (const auto& row : nlohmann::json::parse(pairs.out))
    EXPECT_EQ(row["tag"], "laion2b_s34b_b79k");
}

TEST(ListModels, JsonHasFields) {
  auto rows = nlohmann::json::parse(oclip({"list-models", "--json"}).out);
  ASSERT_EQ(rows.size(), 144u);
  for (const auto& row : rows) {
    if (row["name"] != "ViT-B-32") continue;
    EXPECT_EQ(row["source"], "built-in");
    EXPECT_EQ(row["pretrained_tags"][0], "openai");
  }
}

TEST(ListModels, ConfigDirFromFlagAndEnvironment) {
  TempDir dir;
  std::ofstream(dir.path() / "My-Arch.json")
      << R"({"embed_dim": 8, "vision_cfg": {}, "text_cfg": {}})";
  ProcessResult flag =
      oclip({"list-models", "--config-dir", dir.path().string(), "--filter", "my-*"});
  EXPECT_EQ(flag.out, "My-Arch\n");
  RunOptions env;
  env.env["OCLIP_MODEL_CONFIG_PATH"] = dir.path().string();
  ProcessResult from_env = run_process({oclip_binary(), "list-models", "--filter", "my-*"}, env);
  EXPECT_EQ(from_env.out, "My-Arch\n");
}

TEST(ListModels, BadConfigFileIsFormatErrorWithLine) {
  TempDir dir;
  std::ofstream(dir.path() / "bad.json") << "{\n\"embed_dim\": 8,\n]";
  ProcessResult result = oclip({"list-models", "--config-dir", dir.path().string()});
  EXPECT_EQ(result.exit_code, 8);
  EXPECT_NE(result.err.find("bad.json:3: invalid JSON"), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty());
}

TEST(Info, TextShowsConfigAndEntry) {
  ProcessResult result = oclip({"info", "ViT-B-32", "--pretrained", "laion2b-s34b-b79k"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("laion/CLIP-ViT-B-32-laion2B-s34B-b79K"), std::string::npos);
  EXPECT_NE(result.out.find("0.48145466 0.4578275 0.40821073"), std::string::npos);
  EXPECT_NE(result.out.find("\"patch_size\": 32"), std::string::npos);
  EXPECT_EQ(result.out.find("license"), std::string::npos);  // the table has none
}

TEST(Info, JsonShowsEntryFields) {
  auto out = nlohmann::json::parse(
      oclip({"info", "ViTamin-S", "--pretrained", "datacomp1b", "--json"}).out);
  EXPECT_EQ(out["pretrained"]["hf_hub"], "jienengchen/ViTamin-S");
  EXPECT_EQ(out["pretrained"]["filename"], "pytorch_model.bin");
  EXPECT_EQ(out["config"]["embed_dim"], out["config"]["embed_dim"]);
  EXPECT_TRUE(out["pretrained"].contains("resize_mode"));
  auto openai =
      nlohmann::json::parse(oclip({"info", "ViT-B-32", "--pretrained", "openai", "--json"}).out);
  EXPECT_EQ(openai["pretrained"]["quick_gelu"], true);
  EXPECT_EQ(openai["pretrained"]["interpolation"], "bicubic");
}

TEST(Info, UnknownModelSuggests) {
  ProcessResult result = oclip({"info", "ViT-B-23"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("error: unknown model 'ViT-B-23'"), std::string::npos);
  EXPECT_NE(result.err.find("hint: did you mean ViT-B-32"), std::string::npos) << result.err;
}

TEST(Info, UnknownTagListsTags) {
  ProcessResult result = oclip({"info", "RN50", "--pretrained", "nope", "--json"});
  EXPECT_EQ(result.exit_code, 3);
  auto error = nlohmann::json::parse(result.out)["error"];
  EXPECT_EQ(error["kind"], "not-found");
  EXPECT_EQ(error["exit_code"], 3);
  EXPECT_NE(error["hint"].get<std::string>().find("openai yfcc15m cc12m"), std::string::npos);
}

TEST(Info, HubNamesAreNotBuiltIn) {
  ProcessResult result = oclip({"info", "hf-hub:laion/tiny"});
  EXPECT_EQ(result.exit_code, 10);
  EXPECT_NE(result.err.find("hint:"), std::string::npos);
}

TEST(Cli, UsageErrorsExit2) {
  EXPECT_EQ(oclip({"--bogus"}).exit_code, 2);
  EXPECT_EQ(oclip({"info"}).exit_code, 2);
  EXPECT_EQ(oclip({}).exit_code, 2);
  ProcessResult json = oclip({"list-models", "--nope", "--json"});
  EXPECT_EQ(json.exit_code, 2);
  EXPECT_EQ(nlohmann::json::parse(json.out)["error"]["kind"], "usage");
}

TEST(Cli, BadEnvironmentValueIsUsageError) {
  RunOptions env;
  env.env["HF_HUB_ETAG_TIMEOUT"] = "soon";
  ProcessResult result = oclip({"list-models"}, env);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("HF_HUB_ETAG_TIMEOUT"), std::string::npos);
}

TEST(Cli, VersionAndHelp) {
  ProcessResult version = oclip({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("oclip ", 0), 0u);
  EXPECT_NE(version.out.find("\nvalidator: "), std::string::npos) << version.out;
  RunOptions missing;
  missing.env["OCLIP_VALIDATOR"] = "/nonexistent/oclip-validate";
  version = oclip({"--version"}, missing);
  EXPECT_TRUE(version.out.find("but not found") != std::string::npos ||
              version.out.find("not built") != std::string::npos)
      << version.out;
  ProcessResult help = oclip({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("11  conflict"), std::string::npos);
  EXPECT_NE(help.out.find("Example: "), std::string::npos);
  for (const char* command : {"list-models", "info", "pull", "inspect", "convert", "validate",
                              "login", "logout", "whoami"}) {
    ProcessResult sub = oclip({command, "--help"});
    EXPECT_EQ(sub.exit_code, 0) << command;
    EXPECT_NE(sub.out.find("Example: oclip "), std::string::npos) << command;
  }
}

TEST(Cli, GlobalFlagsWorkAfterTheCommand) {
  ProcessResult result = oclip({"list-models", "--json", "--filter", "RN50"});
  EXPECT_EQ(nlohmann::json::parse(result.out).size(), 1u);
}

TEST(Cli, ErrorsAreOneLinePlusHintWithoutColorWhenPiped) {
  ProcessResult result = oclip({"info", "nope-model-xyz"});
  auto err = lines(result.err);
  ASSERT_GE(err.size(), 1u);
  EXPECT_LE(err.size(), 2u);
  EXPECT_EQ(result.err.find('\x1b'), std::string::npos);
}

TEST(Cli, DoesNotLinkLibTorch) {
  ProcessResult ldd = run_process({"ldd", oclip_binary()});
  ASSERT_EQ(ldd.exit_code, 0);
  // Library names only: load addresses in ldd's output may contain any hex digits.
  EXPECT_EQ(ldd.out.find("libtorch"), std::string::npos) << ldd.out;
  EXPECT_EQ(ldd.out.find("libc10"), std::string::npos) << ldd.out;
}
