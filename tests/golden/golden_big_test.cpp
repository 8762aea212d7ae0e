// The golden sources that are not shipped (0.3 to 0.8 GB each): regenerated from their
// manifests in the manifest's format, read back tensor by tensor, then converted.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/file_io.h"
#include "tests/golden/golden.h"
#include "tests/support/local_hub_process.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace oclip::golden {
namespace {

class RegeneratedSource : public ::testing::TestWithParam<std::string> {};

TEST_P(RegeneratedSource, ReadsBackAsTheManifestSays) {
  const std::filesystem::path dir = std::filesystem::path(OCLIP_GOLDEN_DIR) / "cases" / GetParam();
  const Manifest manifest = load_manifest(dir / "manifest.json");
  TempDir out;
  const std::filesystem::path file = out.path() / manifest.source_file;
  write_source(manifest, file, false);
  const convert::Checkpoint checkpoint = convert::read_checkpoint(file);
  EXPECT_EQ(compare(checkpoint, manifest), std::vector<std::string>{});
  // And converted: the folder must hold open_clip's state dict and config for the case.
  const std::filesystem::path folder = out.path() / "converted";
  ProcessResult r = run_process({oclip_binary(), "convert", "--json", file.string(), "-o",
                                 folder.string(), "--reference", (dir / "reference.npz").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
#ifdef OCLIP_HAVE_VALIDATOR
  // Validated against open_clip's own outputs within the fp32 bounds.
  const nlohmann::json converted = nlohmann::json::parse(r.out);
  ASSERT_TRUE(converted["validated"]) << r.out;
  for (const nlohmann::json& tower : converted["validation"]["checks"][0]["towers"]) {
    EXPECT_TRUE(tower["pass"]) << tower;
    EXPECT_LE(tower["rel"].get<double>(), 1e-4) << tower;
  }
#endif
  EXPECT_EQ(compare_target(convert::read_checkpoint(folder / "open_clip_model.safetensors"),
                           dir / "target.json"),
            std::vector<std::string>{});
  EXPECT_EQ(nlohmann::json::parse(read_file(folder / "open_clip_config.json")),
            nlohmann::json::parse(read_file(dir / "open_clip_config.json")));
  if (manifest.source_format == "big_vision-npz") {
    EXPECT_EQ(checkpoint.format, convert::Format::Npz);
    EXPECT_TRUE(checkpoint.buffers.empty());  // stored members are read in place
  } else {
    EXPECT_EQ(checkpoint.format, convert::Format::TorchZip);
    EXPECT_EQ(checkpoint.archive_name, file.stem().string());
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, RegeneratedSource,
                         ::testing::Values("siglip-b16", "mobileclip-s1", "mobileclip-s2"));

// SIGTERM at several moments of a conversion (reading, writing either file): each run ends by
// the signal or completes, and leaves no temporary file or folder; an earlier folder survives.
TEST(InterruptedConvert, LeavesNothingHalfWritten) {
  const Manifest manifest = load_manifest(std::filesystem::path(OCLIP_GOLDEN_DIR) / "cases" /
                                          "mobileclip-s1" / "manifest.json");
  TempDir out;
  const std::filesystem::path file = out.path() / manifest.source_file;
  write_source(manifest, file, false);
  const std::filesystem::path folder = out.path() / "converted";
  int interrupted = 0;
  for (int ms : {30, 80, 160, 320}) {
    ChildProcess convert({oclip_binary(), "convert", file.string(), "-o", folder.string(), "--bin",
                          "--no-validate", "--force", "-q"},
                         (out.path() / "convert.out").string());
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    const int code = convert.terminate();
    EXPECT_TRUE(code == 0 || code == 128 + SIGTERM) << code;
    interrupted += code == 128 + SIGTERM;
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(out.path()))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    std::vector<std::string> expected = {"convert.out", manifest.source_file};
    if (std::filesystem::exists(folder)) expected.push_back("converted");
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(names, expected) << "after " << ms << " ms";
    if (std::filesystem::exists(folder))
      EXPECT_EQ(std::filesystem::file_size(folder / "open_clip_pytorch_model.bin") > 0, true);
  }
  EXPECT_GE(interrupted, 1);
}

}  // namespace
}  // namespace oclip::golden
