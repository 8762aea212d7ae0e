// oclip convert on the golden cases that ship their sources: the folder holds exactly
// open_clip's state dict (target.json) and config, whatever the family.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "convert/checkpoint.h"
#include "core/file_io.h"
#include "core/hash.h"
#include "tests/golden/golden.h"
#include "tests/support/local_hub_process.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace oclip::golden {
namespace {

const std::filesystem::path kCases = std::filesystem::path(OCLIP_GOLDEN_DIR) / "cases";

ProcessResult oclip(std::vector<std::string> args) {
  args.insert(args.begin(), oclip_binary());
  return run_process(args);
}

nlohmann::json json_file(const std::filesystem::path& path) {
  return nlohmann::json::parse(read_file(path));
}

std::filesystem::path source_of(const std::string& name) {
  const Manifest manifest = load_manifest(kCases / name / "manifest.json");
  return kCases / name / "source" / manifest.source_file;
}

class ConvertCase : public ::testing::TestWithParam<std::string> {};

TEST_P(ConvertCase, FolderHoldsOpenClipsStateDictAndConfig) {
  TempDir dir;
  const std::filesystem::path out = dir.path() / "out";
  ProcessResult r = oclip({"convert", source_of(GetParam()).string(), "-o", out.string(), "--bin"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, out.string() + "\n");
  const convert::Checkpoint safetensors =
      convert::read_checkpoint(out / "open_clip_model.safetensors");
  EXPECT_EQ(compare_target(safetensors, kCases / GetParam() / "target.json"),
            std::vector<std::string>{});
  EXPECT_EQ(compare_target(convert::read_checkpoint(out / "open_clip_pytorch_model.bin"),
                           kCases / GetParam() / "target.json"),
            std::vector<std::string>{});
  EXPECT_EQ(json_file(out / "open_clip_config.json"),
            json_file(kCases / GetParam() / "open_clip_config.json"));
  // The source record travels with the weights; open_clip_config.json keeps its two keys.
  std::map<std::string, std::string> meta(safetensors.metadata.begin(), safetensors.metadata.end());
  EXPECT_EQ(meta["format"], "pt");
  EXPECT_EQ(meta["oclip.source_file"], source_of(GetParam()).filename().string());
  EXPECT_EQ(meta["oclip.source_sha256"], sha256_hex(read_file(source_of(GetParam()))));
  EXPECT_EQ(meta["oclip.precision"], "fp32");
  EXPECT_EQ(json_file(out / "open_clip_config.json").size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Golden, ConvertCase,
                         ::testing::Values("clip-tiny-native", "openai-vit-tiny",
                                           "openai-rn-tiny"));

TEST(Convert, Fp16LeavesTheOpenAiSplit) {
  // convert_weights_to_lp casts exactly what OpenAI's own convert_weights did: the golden
  // archive holds that split, so the fp16 folder must hold the source's f16 tensors bit for bit.
  TempDir dir;
  const std::filesystem::path out = dir.path() / "fp16";
  ASSERT_EQ(oclip({"convert", source_of("openai-vit-tiny").string(), "-o", out.string(),
                   "--precision", "fp16"})
                .exit_code,
            0);
  const convert::Checkpoint folder = convert::read_checkpoint(out / "open_clip_model.safetensors");
  const Manifest manifest = load_manifest(kCases / "openai-vit-tiny/manifest.json");
  size_t half = 0;
  for (const ManifestTensor& t : manifest.tensors) {
    const convert::Tensor* got = folder.find(t.name);
    if (t.dtype == convert::DType::I64) continue;  // the dropped config buffers
    ASSERT_NE(got, nullptr) << t.name;
    EXPECT_EQ(got->dtype, t.dtype) << t.name;
    if (t.dtype == convert::DType::F16) {
      EXPECT_EQ(convert::tensor_sha256(*got), t.sha256) << t.name;
      ++half;
    }
  }
  EXPECT_EQ(half, 35u);
  std::map<std::string, std::string> meta(folder.metadata.begin(), folder.metadata.end());
  EXPECT_EQ(meta["oclip.precision"], "fp16");
}

TEST(Convert, DryRunListsTheMappingAndWritesNothing) {
  TempDir dir;
  ProcessResult r = oclip({"convert", source_of("openai-rn-tiny").string(), "-o",
                           (dir.path() / "x").string(), "--dry-run", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json plan = nlohmann::json::parse(r.out);
  EXPECT_EQ(plan["family"], "openai");
  EXPECT_EQ(plan["tensors"].size(), 153u);
  EXPECT_EQ(plan["dropped"], (nlohmann::json{"input_resolution", "context_length", "vocab_size"}));
  EXPECT_EQ(plan["tensors"][1]["transform"], "f16->f32");  // text_projection
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "x"));
}

TEST(Convert, RefusesToOverwriteAndReplacesWithForce) {
  TempDir dir;
  const std::filesystem::path out = dir.path() / "out";
  std::filesystem::create_directories(out);
  write_file_atomic(out / "keep.txt", "mine");
  ProcessResult refused =
      oclip({"convert", source_of("openai-vit-tiny").string(), "-o", out.string()});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("exists and is not empty"), std::string::npos) << refused.err;
  EXPECT_EQ(read_file(out / "keep.txt"), "mine");
  ASSERT_EQ(oclip({"convert", source_of("openai-vit-tiny").string(), "-o", out.string(), "--force"})
                .exit_code,
            0);
  EXPECT_FALSE(std::filesystem::exists(out / "keep.txt"));
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) entries += e.exists();
  EXPECT_EQ(entries, 1u);  // no temporary or old folder left beside it
}

TEST(Convert, ForceNeverDeletesWhatTheConversionReadsOrTheCurrentFolder) {
  TempDir dir;
  const std::filesystem::path inside = dir.path() / "models" / "src.pt";
  std::filesystem::create_directories(inside.parent_path());
  std::filesystem::copy_file(source_of("openai-vit-tiny"), inside);
  const std::string bytes = read_file(inside);
  auto refused = [&](const std::vector<std::string>& args, const std::string& message,
                     const std::string& cwd = "") {
    std::vector<std::string> argv = {oclip_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions options;
    options.cwd = cwd;
    ProcessResult r = run_process(argv, options);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(read_file(inside), bytes);
  };
  refused({"convert", inside.string(), "-o", inside.string(), "--force"},
          "is a file, not a folder");
  refused({"convert", inside.string(), "-o", (dir.path() / "models/").string(), "--force"},
          "which this conversion reads; --force would delete it");
  std::filesystem::create_directories(dir.path() / "outer" / "work");
  refused({"convert", inside.string(), "-o", "..", "--force"}, "is (or holds) the current folder",
          (dir.path() / "outer" / "work").string());
  refused({"convert", dir.path().string(), "-o", "out"}, "is a folder, not a file");
  // A folder that holds neither is replaced.
  const std::filesystem::path other = dir.path() / "other";
  std::filesystem::create_directories(other);
  write_file_atomic(other / "old.txt", "x");
  EXPECT_EQ(oclip({"convert", inside.string(), "-o", other.string(), "--force"}).exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(other / "open_clip_model.safetensors"));
}

TEST(Convert, PreprocessingAndTokenizerFlags) {
  TempDir dir;
  const std::string source = source_of("openai-vit-tiny").string();
  const std::filesystem::path out = dir.path() / "out";
  ProcessResult r = oclip({"convert", source, "-o", out.string(), "--image-mean", "0.5,0.25,0.125",
                           "--image-std", "1", "2", "3", "--tokenizer-dir", dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json preprocess = json_file(out / "open_clip_config.json")["preprocess_cfg"];
  EXPECT_EQ(preprocess["mean"], nlohmann::json({0.5, 0.25, 0.125}));
  EXPECT_EQ(preprocess["std"], nlohmann::json({1.0, 2.0, 3.0}));
  EXPECT_NE(r.err.find("--tokenizer-dir ignored"), std::string::npos) << r.err;

  ProcessResult two =
      oclip({"convert", source, "-o", (dir.path() / "b").string(), "--image-mean", "0.5,0.25"});
  EXPECT_EQ(two.exit_code, 2);
  EXPECT_NE(two.err.find("At least 3 required but received 2"), std::string::npos) << two.err;
  ProcessResult missing = oclip({"convert", source, "-o", (dir.path() / "c").string(),
                                 "--tokenizer-dir", (dir.path() / "nope").string()});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("--tokenizer-dir: no such folder"), std::string::npos) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "b"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "c"));
}

TEST(Convert, WrongFamilyOrModelIsAUsageError) {
  TempDir dir;
  const std::string out = (dir.path() / "out").string();
  ProcessResult family =
      oclip({"convert", source_of("openai-vit-tiny").string(), "-o", out, "--from", "mobileclip"});
  EXPECT_EQ(family.exit_code, 2);
  EXPECT_NE(family.err.find("was detected as openai, not --from mobileclip"), std::string::npos)
      << family.err;
  ProcessResult model = oclip({"convert", source_of("openai-vit-tiny").string(), "-o", out,
                               "--model", "ViT-B-32-quickgelu"});
  EXPECT_EQ(model.exit_code, 2);
  EXPECT_NE(model.err.find("not of --model ViT-B-32-quickgelu"), std::string::npos) << model.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace oclip::golden
