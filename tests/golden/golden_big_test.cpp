// The golden sources that are not shipped (0.3 to 0.8 GB each): regenerated from their
// manifests in the manifest's format, then read back tensor by tensor.
#include <gtest/gtest.h>

#include "tests/golden/golden.h"
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
  if (manifest.source_format == "big_vision-npz") {
    EXPECT_EQ(checkpoint.format, convert::Format::Npz);
    EXPECT_TRUE(checkpoint.buffers.empty());  // stored members are read in place
  } else {
    EXPECT_EQ(checkpoint.format, convert::Format::TorchZip);
    EXPECT_EQ(checkpoint.archive_name, file.stem().string());
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, RegeneratedSource, ::testing::Values("siglip-b16", "mobileclip-s1", "mobileclip-s2"));

}  // namespace
}  // namespace oclip::golden
