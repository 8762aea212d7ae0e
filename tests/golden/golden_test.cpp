// The golden fixtures: the PRNG against its test vectors, and every real source file read
// back with the manifest's names, shapes, dtypes and per-tensor sha256.
#include "tests/golden/golden.h"

#include <gtest/gtest.h>

#include <bit>
#include <nlohmann/json.hpp>

#include "convert/cast.h"
#include "core/error.h"
#include "core/file_io.h"
#include "tests/support/temp_dir.h"

namespace oclip::golden {
namespace {

const std::filesystem::path kGolden = OCLIP_GOLDEN_DIR;

uint64_t hex(const std::string& s) { return std::stoull(s, nullptr, 16); }

TEST(GoldenPrng, MatchesTestVectors) {
  const nlohmann::json v = nlohmann::json::parse(read_file(kGolden / "prng_test_vectors.json"));
  for (const auto& [input, expected] : v["fnv1a64"].items())
    EXPECT_EQ(fnv1a64(input), hex(expected)) << input;
  for (const auto& [input, expected] : v["splitmix64_mix"].items())
    EXPECT_EQ(splitmix64_mix(hex(input)), hex(expected)) << input;
  for (const auto& [name, rows] : v["u"].items()) {
    for (const auto& row : rows) {
      const uint64_t x = splitmix64_mix(fnv1a64(name) + row["i"].get<uint64_t>());
      EXPECT_EQ(x, hex(row["x"]));
      EXPECT_EQ(static_cast<double>(x >> 11) * 0x1.0p-53,
                std::strtod(row["u"].get<std::string>().c_str(), nullptr));
    }
  }
  size_t checked = 0;
  for (const auto& t : v["tensors"]) {
    const uint64_t seed = fnv1a64(t["name"].get<std::string>());
    for (size_t i = 0; i < t["bits"].size(); ++i) {
      const auto f = static_cast<float>(prng_value(seed, i, t["scale"], t["offset"]));
      const uint64_t want = hex(t["bits"][i]);
      if (t["dtype"] == "float16") {
        EXPECT_EQ(convert::f32_to_f16(f), want) << t["name"] << " " << i;
      } else {
        EXPECT_EQ(std::bit_cast<uint32_t>(f), want) << t["name"] << " " << i;
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 10u);
}

class RealSource : public ::testing::TestWithParam<std::string> {};

TEST_P(RealSource, ReadsBackAsTheManifestSays) {
  const std::filesystem::path dir = kGolden / "cases" / GetParam();
  const Manifest manifest = load_manifest(dir / "manifest.json");
  const convert::Checkpoint checkpoint =
      convert::read_checkpoint(dir / "source" / manifest.source_file);
  EXPECT_EQ(compare(checkpoint, manifest), std::vector<std::string>{});
  const bool torchscript = manifest.source_format == "openai-torchscript";
  EXPECT_EQ(checkpoint.format,
            torchscript ? convert::Format::TorchScript : convert::Format::TorchZip);
  EXPECT_EQ(checkpoint.archive_name, std::filesystem::path(manifest.source_file).stem().string());
}

INSTANTIATE_TEST_SUITE_P(Golden, RealSource,
                         ::testing::Values("clip-tiny-native", "openai-vit-tiny",
                                           "openai-rn-tiny"));

TEST_P(RealSource, EveryTruncationIsAFormatError) {
  const std::filesystem::path dir = kGolden / "cases" / GetParam();
  const Manifest manifest = load_manifest(dir / "manifest.json");
  const std::string bytes = read_file(dir / "source" / manifest.source_file);
  std::vector<size_t> cuts;
  for (size_t i = 0; i < 97; ++i) cuts.push_back(bytes.size() * i / 97);
  for (size_t n = bytes.size() - 400; n < bytes.size(); ++n) cuts.push_back(n);  // the directory
  for (size_t n : cuts) {
    const std::span<const std::byte> prefix(reinterpret_cast<const std::byte*>(bytes.data()), n);
    try {
      convert::read_checkpoint_bytes(prefix, "cut");
      ADD_FAILURE() << "a " << n << "-byte prefix was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Format) << n << ": " << e.what();
    }
  }
}

TEST(GoldenSource, TorchScriptCannotBeRegenerated) {
  TempDir dir;
  const Manifest manifest = load_manifest(kGolden / "cases/openai-vit-tiny/manifest.json");
  EXPECT_THROW(write_source(manifest, dir.path() / "x.pt", false), Error);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "x.pt"));
}

TEST(GoldenSource, DeflatedNpzReadsBack) {
  TempDir dir;
  Manifest manifest = load_manifest(kGolden / "cases/siglip-b16/manifest.json");
  manifest.tensors.resize(60);  // enough kinds of arrays, small enough to deflate quickly
  write_source(manifest, dir.path() / "small.npz", true);
  const convert::Checkpoint checkpoint = convert::read_checkpoint(dir.path() / "small.npz");
  EXPECT_EQ(checkpoint.format, convert::Format::Npz);
  EXPECT_EQ(compare(checkpoint, manifest), std::vector<std::string>{});
  EXPECT_FALSE(checkpoint.buffers.empty());  // inflated into memory, not read in place
}

}  // namespace
}  // namespace oclip::golden
