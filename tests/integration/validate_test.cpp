// oclip validate end to end: golden conversions pass, a perturbed weight fails, a missing
// validator or an architecture without a builder is refused with exit 10.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "convert/checkpoint.h"
#include "core/file_io.h"
#include "tests/support/local_hub_process.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const fs::path kCases = fs::path(OCLIP_GOLDEN_DIR) / "cases";

ProcessResult oclip(std::vector<std::string> args, RunOptions options = {}) {
  args.insert(args.begin(), oclip_binary());
  return run_process(args, options);
}

fs::path source_of(const std::string& name) {
  for (const fs::directory_entry& e : fs::directory_iterator(kCases / name / "source"))
    if (e.path().extension() == ".pt" || e.path().extension() == ".bin") return e.path();
  return {};
}

// Converts a golden case into `dir` without validating.
void convert_case(const std::string& name, const fs::path& dir) {
  ProcessResult r =
      oclip({"convert", source_of(name).string(), "-o", dir.string(), "--no-validate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

TEST(Validate, WithoutTheValidatorSaysHowToGetItAndExits10) {
  TempDir tmp;
  convert_case("clip-tiny-native", tmp.path() / "out");
  RunOptions options;
  options.env = {{"OCLIP_VALIDATOR", (tmp.path() / "no-such-validator").string()}};
  ProcessResult r = oclip({"validate", (tmp.path() / "out").string()}, options);
  EXPECT_EQ(r.exit_code, 10);
  EXPECT_NE(r.err.find("no LibTorch validator"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("libtorch-dev"), std::string::npos) << r.err;
  // convert goes on and says the folder is not validated.
  r = oclip({"convert", source_of("clip-tiny-native").string(), "-o", (tmp.path() / "b").string()},
            options);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("not validated"), std::string::npos) << r.err;
}

TEST(Validate, RefusesWhatIsNotAFolder) {
  EXPECT_EQ(oclip({"validate", "/nonexistent/folder"}).exit_code, 3);
  EXPECT_EQ(oclip({"validate", "out", "--device", "tpu"}).exit_code, 2);
}

#ifdef OCLIP_HAVE_VALIDATOR

Json validate_json(const std::vector<std::string>& args, int expected_exit) {
  std::vector<std::string> full = {"validate", "--json"};
  full.insert(full.end(), args.begin(), args.end());
  ProcessResult r = oclip(full);
  EXPECT_EQ(r.exit_code, expected_exit) << r.out << r.err;
  return Json::parse(r.out);
}

// Adds +delta or -delta (a fixed pseudo-random sign per element) to every element of one f32
// tensor of a safetensors file, in place. Random signs, because a constant shift or scale of
// an embedding is undone by the LayerNorms that follow it.
void perturb(const fs::path& file, const std::string& tensor, float delta) {
  std::string bytes = oclip::read_file(file);
  size_t offset = 0, count = 0;
  {
    const oclip::convert::Checkpoint c = oclip::convert::read_checkpoint(file);
    const oclip::convert::Tensor* t = c.find(tensor);
    ASSERT_NE(t, nullptr) << tensor;
    ASSERT_EQ(t->dtype, oclip::convert::DType::F32);
    offset = *c.file->offset_of(t->storage) + static_cast<size_t>(t->offset) * 4;
    count = t->numel();
  }
  for (size_t i = 0; i < count; ++i) {
    float v;
    std::memcpy(&v, bytes.data() + offset + 4 * i, 4);
    v += ((i * 2654435761u) >> 13) & 1 ? delta : -delta;
    std::memcpy(bytes.data() + offset + 4 * i, &v, 4);
  }
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

class GoldenCase : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenCase, PassesTheFp32BoundsAgainstItsReference) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  convert_case(GetParam(), out);
  Json report = validate_json(
      {out.string(), "--reference", (kCases / GetParam() / "reference.npz").string()}, 0);
  EXPECT_TRUE(report["pass"]);
  EXPECT_EQ(report["strength"], "strong");
  EXPECT_TRUE(report["structure"]["pass"]);
  const Json& check = report["checks"][0];
  EXPECT_EQ(check["kind"], "reference");
  for (const Json& tower : check["towers"]) {
    EXPECT_LE(tower["rel"].get<double>(), 1e-4) << tower;
    EXPECT_GE(tower["cos"].get<double>(), 1 - 1e-7) << tower;
  }
  EXPECT_TRUE(check["scalars"][0]["pass"]);
}

TEST_P(GoldenCase, FailsWhenOneWeightIsPerturbed) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  convert_case(GetParam(), out);
  perturb(out / "open_clip_model.safetensors", "token_embedding.weight", 1e-2f);
  Json report = validate_json(
      {out.string(), "--reference", (kCases / GetParam() / "reference.npz").string()}, 9);
  EXPECT_FALSE(report["pass"]);
  EXPECT_TRUE(report["structure"]["pass"]);
  const Json& towers = report["checks"][0]["towers"];
  EXPECT_TRUE(towers[0]["pass"]);   // the image tower is untouched
  EXPECT_FALSE(towers[1]["pass"]);  // the text tower is not
  EXPECT_GT(towers[1]["rel"].get<double>(), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Tiny, GoldenCase,
                         ::testing::Values("clip-tiny-native", "openai-vit-tiny",
                                           "openai-rn-tiny"));

class OpenAiProgram : public ::testing::TestWithParam<std::string> {};

TEST_P(OpenAiProgram, AgreesWithTheTorchScriptSource) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  convert_case(GetParam(), out);
  // No reference: the source program is the cross-check, on deterministic inputs.
  Json report = validate_json({out.string(), "--source", source_of(GetParam()).string()}, 0);
  EXPECT_EQ(report["strength"], "strong");
  ASSERT_EQ(report["checks"][0]["kind"], "torchscript");
  for (const Json& tower : report["checks"][0]["towers"])
    EXPECT_LE(tower["rel"].get<double>(), 1e-4);
  // Found beside the folder by its recorded name, too.
  fs::copy_file(source_of(GetParam()), tmp.path() / source_of(GetParam()).filename());
  report = validate_json({out.string()}, 0);
  EXPECT_EQ(report["checks"][0]["kind"], "torchscript");
  // A different file under that name is not taken for the source.
  const fs::path other = tmp.path() / "other.pt";
  fs::copy_file(source_of(GetParam() == "openai-vit-tiny" ? "openai-rn-tiny" : "openai-vit-tiny"),
                other);
  report = validate_json({out.string(), "--source", other.string()}, 0);
  EXPECT_EQ(report["strength"], "weak");
  EXPECT_NE(report["skipped"][0]["reason"].get<std::string>().find("sha256 differs"),
            std::string::npos);
  // And the perturbed folder fails against the program.
  perturb(out / "open_clip_model.safetensors", "text_projection", 1e-2f);
  report = validate_json({out.string(), "--source", source_of(GetParam()).string()}, 9);
  EXPECT_TRUE(report["checks"][0]["towers"][0]["pass"]);
  EXPECT_FALSE(report["checks"][0]["towers"][1]["pass"]);
}

INSTANTIATE_TEST_SUITE_P(Tiny, OpenAiProgram,
                         ::testing::Values("openai-vit-tiny", "openai-rn-tiny"));

TEST(Validate, ListsMissingAndUnexpectedTensors) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  convert_case("clip-tiny-native", out);
  // A config one layer deeper than the weights: the missing block is listed, nothing runs wrong.
  Json config = Json::parse(oclip::read_file(out / "open_clip_config.json"));
  config["model_cfg"]["text_cfg"]["layers"] = 3;
  std::ofstream(out / "open_clip_config.json") << config.dump();
  Json report = validate_json({out.string()}, 9);
  EXPECT_FALSE(report["structure"]["pass"]);
  EXPECT_EQ(report["structure"]["missing"].size(), 12u);
  EXPECT_NE(report["structure"]["missing"][0].get<std::string>().find("transformer.resblocks.2."),
            std::string::npos);
  // One layer shallower: the extra block's tensors are unexpected.
  config["model_cfg"]["text_cfg"]["layers"] = 1;
  std::ofstream(out / "open_clip_config.json") << config.dump();
  report = validate_json({out.string()}, 9);
  EXPECT_EQ(report["structure"]["unexpected"].size(), 12u);
}

TEST(Validate, WeakCheckWithoutReferenceSaysSo) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  convert_case("clip-tiny-native", out);
  Json report = validate_json({out.string()}, 0);
  EXPECT_EQ(report["strength"], "weak");
  EXPECT_EQ(report["checks"][0]["kind"], "invariants");
  ProcessResult r = oclip({"validate", out.string()});
  EXPECT_NE(r.out.find("passed (weaker check)"), std::string::npos) << r.out;
}

TEST(Validate, UnsupportedArchitectureExits10UnlessAllowed) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  convert_case("clip-tiny-native", out);
  Json config = Json::parse(oclip::read_file(out / "open_clip_config.json"));
  config["model_cfg"]["text_cfg"]["hf_model_name"] = "roberta-base";
  std::ofstream(out / "open_clip_config.json") << config.dump();
  ProcessResult r = oclip({"validate", out.string()});
  EXPECT_EQ(r.exit_code, 10);
  EXPECT_NE(r.err.find("cannot validate the Hugging Face text tower"), std::string::npos) << r.err;
  EXPECT_EQ(oclip({"validate", out.string(), "--allow-unvalidated"}).exit_code, 0);
}

TEST(Validate, LowPrecisionIsComparedWithTheFp32ConversionOfTheSameSource) {
  TempDir tmp;
  const fs::path out = tmp.path() / "fp16";
  const std::string source = source_of("clip-tiny-native").string();
  ASSERT_EQ(oclip({"convert", source, "-o", out.string(), "--precision", "fp16", "--no-validate"})
                .exit_code,
            0);
  Json report = validate_json({out.string(), "--source", source}, 0);
  EXPECT_EQ(report["precision"], "fp16");
  EXPECT_EQ(report["tolerances"]["rel"], 1e-2);
  const Json& check = report["checks"][0];
  ASSERT_EQ(check["kind"], "fp32-baseline");
  for (const Json& tower : check["towers"]) {
    EXPECT_GT(tower["rel"].get<double>(), 0) << tower;  // fp16 weights do change the numbers
    EXPECT_LE(tower["rel"].get<double>(), 1e-2) << tower;
  }
  EXPECT_TRUE(check["scalars"][0]["pass"]);
  // No source at hand: the check is skipped, and the report says why.
  report = validate_json({out.string()}, 0);
  EXPECT_EQ(report["strength"], "weak");
  EXPECT_EQ(report["skipped"][0]["kind"], "fp32-baseline");
  // A perturbed weight fails even the wider bounds.
  perturb(out / "open_clip_model.safetensors", "token_embedding.weight", 1e-2f);
  report = validate_json({out.string(), "--source", source}, 9);
  EXPECT_FALSE(report["checks"][0]["towers"][1]["pass"]);
  // convert --precision bf16 validates against the baseline by itself.
  ProcessResult r = oclip(
      {"convert", "--json", source, "-o", (tmp.path() / "bf16").string(), "--precision", "bf16"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json converted = Json::parse(r.out);
  EXPECT_EQ(converted["validation"]["checks"][0]["kind"], "fp32-baseline");
  EXPECT_EQ(converted["validation"]["tolerances"]["rel"], 3e-2);
}

TEST(Convert, ValidatesAgainstTheTorchScriptSource) {
  TempDir tmp;
  ProcessResult r = oclip({"convert", "--json", source_of("openai-vit-tiny").string(), "-o",
                           (tmp.path() / "out").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json out = Json::parse(r.out);
  EXPECT_TRUE(out["validated"]);
  EXPECT_EQ(out["validation"]["checks"][0]["kind"], "torchscript");
}

#endif

}  // namespace
