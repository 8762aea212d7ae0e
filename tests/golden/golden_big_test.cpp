// The golden sources that are not shipped (0.3 to 0.8 GB each): regenerated from their
// manifests in the manifest's format, read back tensor by tensor, then converted.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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

}  // namespace
}  // namespace oclip::golden
