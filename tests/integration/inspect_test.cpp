// oclip inspect end to end, on the golden files as upstream wrote them and on broken copies.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/local_hub_process.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace {

const std::filesystem::path kNative = std::filesystem::path(OCLIP_GOLDEN_DIR) /
                                      "cases/clip-tiny-native/source/open_clip_pytorch_model.bin";
const std::filesystem::path kOpenAi =
    std::filesystem::path(OCLIP_GOLDEN_DIR) / "cases/openai-vit-tiny/source/openai-vit-tiny.pt";

ProcessResult oclip(std::vector<std::string> args) {
  args.insert(args.begin(), oclip_binary());
  RunOptions options;
  options.unset_env = {"NO_COLOR"};
  return run_process(args, options);
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(Inspect, ShowsFormatSummaryAndTensorTable) {
  ProcessResult r = oclip({"inspect", kNative.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("torch-zip (archive 'open_clip_pytorch_model/')"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("parameters  282881"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("logit_scale"), std::string::npos);
  EXPECT_NE(r.out.find("visual.conv1.weight"), std::string::npos);
}

TEST(Inspect, JsonSummaryAndHashes) {
  ProcessResult summary = oclip({"inspect", "--json", "--summary", kOpenAi.string()});
  ASSERT_EQ(summary.exit_code, 0) << summary.err;
  nlohmann::json s = nlohmann::json::parse(summary.out);
  EXPECT_EQ(s["format"], "torchscript");
  EXPECT_EQ(s["tensor_count"], 65);
  EXPECT_EQ(s["parameters"], 967172);
  EXPECT_FALSE(s.contains("tensors"));
  EXPECT_EQ(s["bytes_by_dtype"]["i64"], 24);

  nlohmann::json full =
      nlohmann::json::parse(oclip({"inspect", "--json", "--hash", kOpenAi.string()}).out);
  nlohmann::json manifest =
      nlohmann::json::parse(slurp(kOpenAi.parent_path().parent_path() / "manifest.json"));
  ASSERT_EQ(full["tensors"].size(), manifest["tensors"].size());
  for (size_t i = 0; i < full["tensors"].size(); ++i)
    EXPECT_EQ(full["tensors"][i]["sha256"], manifest["tensors"][i]["sha256"]) << i;
}

TEST(Inspect, FolderListsEveryCheckpointInIt) {
  ProcessResult r = oclip({"inspect", "--json", "--summary", kNative.parent_path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["files"].size(), 1u);  // the config JSON beside it is not a checkpoint
  EXPECT_EQ(j["files"][0]["tensor_count"], 62);
}

TEST(Inspect, BadInputGetsOneLineAndTheRightExitCode) {
  TempDir dir;
  EXPECT_EQ(oclip({"inspect", (dir.path() / "missing.bin").string()}).exit_code, 3);
  spit(dir.path() / "notes.bin", "just some text, not weights");
  ProcessResult text = oclip({"inspect", (dir.path() / "notes.bin").string()});
  EXPECT_EQ(text.exit_code, 8);
  EXPECT_NE(text.err.find("not a checkpoint oclip knows"), std::string::npos) << text.err;
  EXPECT_EQ(oclip({"inspect", dir.path().string() + "/empty-folder-does-not-exist/"}).exit_code, 3);

  const std::string bytes = slurp(kNative);
  for (size_t cut :
       {size_t{4}, size_t{100}, bytes.size() / 2, bytes.size() - 30, bytes.size() - 1}) {
    const std::filesystem::path file = dir.path() / ("cut" + std::to_string(cut) + ".bin");
    spit(file, bytes.substr(0, cut));
    ProcessResult r = oclip({"inspect", file.string()});
    EXPECT_EQ(r.exit_code, 8) << cut << r.err;
    EXPECT_NE(r.err.find(file.string()), std::string::npos) << r.err;  // names the file
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
