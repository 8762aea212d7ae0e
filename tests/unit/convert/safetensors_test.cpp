#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convert/tensor_writer.h"
#include "core/error.h"
#include "core/file_io.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/convert/test_bytes.h"

namespace oclip::convert {
namespace {

using ::testing::HasSubstr;

std::string safetensors(const std::string& header, const std::string& data) {
  return le64(header.size()) + header + data;
}

OutputTensor constant(std::string name, DType dtype, std::vector<int64_t> shape, char fill) {
  OutputTensor t{std::move(name), dtype, std::move(shape), nullptr, {}};
  const uint64_t n = t.nbytes();
  t.produce = [n, fill](const ByteSink& sink) {
    const std::string bytes(n, fill);
    sink(as_bytes(bytes));
  };
  return t;
}

TEST(Safetensors, WriterMatchesTheReferenceLayoutByteForByte) {
  TempDir dir;
  std::vector<OutputTensor> tensors = {
      constant("b", DType::F16, {2}, 'h'), constant("a", DType::F32, {1}, 'f'),
      constant("c", DType::I64, {}, 'i'), constant("a2", DType::F32, {0}, 'z')};
  write_safetensors(dir.path() / "m.safetensors", tensors, {{"format", "pt"}});
  const std::string file = read_file(dir.path() / "m.safetensors");
  // I64 before F32 before F16; names ascending within a dtype; padded with spaces to 8.
  std::string header =
      R"({"__metadata__":{"format":"pt"},"c":{"dtype":"I64","shape":[],"data_offsets":[0,8]},)"
      R"("a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},)"
      R"("a2":{"dtype":"F32","shape":[0],"data_offsets":[12,12]},)"
      R"("b":{"dtype":"F16","shape":[2],"data_offsets":[12,16]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  EXPECT_EQ(file, safetensors(header, std::string(8, 'i') + "ffff" + "hhhh"));

  const Checkpoint back = read_bytes(file);
  ASSERT_EQ(back.tensors.size(), 4u);
  EXPECT_EQ(back.tensors[0].name, "c");
  EXPECT_EQ(back.tensors[3].shape, std::vector<int64_t>{2});
  ASSERT_EQ(back.metadata.size(), 1u);
  EXPECT_EQ(back.metadata[0], std::make_pair(std::string("format"), std::string("pt")));
}

TEST(Safetensors, SourceRecordTravelsInTheMetadata) {
  TempDir dir;
  const Metadata metadata =
      source_metadata({"torchscript", "/models/openai/ViT-B-32.pt", "ab12", "openai", "fp32"});
  write_safetensors(dir.path() / "m.safetensors", {constant("x", DType::F32, {1}, 'x')}, metadata);
  const Checkpoint back = read_bytes(read_file(dir.path() / "m.safetensors"));
  ASSERT_EQ(back.metadata, metadata);
  EXPECT_EQ(back.metadata[0], std::make_pair(std::string("format"), std::string("pt")));
  EXPECT_EQ(back.metadata[2].second, "ViT-B-32.pt");  // the base name only: folders get pushed
  EXPECT_EQ(back.metadata[6].first, "oclip.version");
}

TEST(Safetensors, WriterLeavesNothingWhenAProducerFails) {
  TempDir dir;
  OutputTensor broken = constant("x", DType::F32, {4}, 'x');
  broken.produce = [](const ByteSink&) { throw Error(ErrorKind::Io, "source vanished"); };
  EXPECT_THROW(write_safetensors(dir.path() / "m.safetensors", {broken}, {}), Error);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  OutputTensor short_one = constant("x", DType::F32, {4}, 'x');
  short_one.produce = [](const ByteSink& sink) { sink(as_bytes("abc")); };
  EXPECT_THROW(write_safetensors(dir.path() / "m.safetensors", {short_one}, {}), Error);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

struct BadCase {
  const char* what;
  std::string bytes;
  const char* message;
};

TEST(Safetensors, RefusesEveryKindOfBadHeader) {
  const std::string one = R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  const std::vector<BadCase> cases = {
      {"short", std::string("\x05\0\0", 3), "not a checkpoint"},
      {"huge header", le64(200'000'000) + "{}", "more than the 100000000-byte limit"},
      {"lying header", le64(5000) + "{}", "truncated"},
      {"no brace", safetensors(" {}", ""), "not a checkpoint"},
      {"bad json", safetensors(R"({"t":{"dtype":)", ""), "not valid JSON"},
      {"trailing junk json", safetensors(R"({} x)", ""), "not valid JSON"},
      {"duplicate",
       safetensors(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                   R"("t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                   "12345678"),
       "names 't' twice"},
      {"entry not object", safetensors(R"({"t":1})", ""), "is not an object"},
      {"missing field", safetensors(R"({"t":{"dtype":"F32","shape":[1]}})", ""), "lacks"},
      {"unknown dtype",
       safetensors(R"({"t":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}})", "1234"),
       "unknown dtype 'F99'"},
      {"negative dim",
       safetensors(R"({"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", "1234"),
       "non-negative integer"},
      {"float dim",
       safetensors(R"({"t":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", "1234"),
       "non-negative integer"},
      {"overflow",
       safetensors(R"({"t":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}})",
                   "1234"),
       "overflows"},
      {"end before begin",
       safetensors(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", "1234"),
       "ends before it begins"},
      {"size mismatch",
       safetensors(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", "1234"), "need 8"},
      {"gap", safetensors(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", "12345678"),
       "overlapping or gapped"},
      {"overlap",
       safetensors(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                   R"("u":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                   "1234"),
       "overlapping or gapped"},
      {"trailing bytes", safetensors(one, "12345"), "data section has 5"},
      {"truncated data", safetensors(one, "12"), "truncated"},
      {"metadata value", safetensors(R"({"__metadata__":{"a":1}})", ""), "is not a string"},
      {"packed odd", safetensors(R"({"t":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}})", "1"),
       "whole bytes"},
      {"offsets past u64",
       safetensors(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551616]}})",
                   ""),
       "non-negative integer"},
  };
  for (const BadCase& c : cases)
    EXPECT_THAT(format_error_of(c.bytes), HasSubstr(c.message)) << c.what;
}

TEST(Safetensors, EveryTruncationIsAnErrorNotACrash) {
  const std::string header =
      R"({"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
      R"("b":{"dtype":"BF16","shape":[3],"data_offsets":[16,22]}})";
  const std::string file = safetensors(header, std::string(22, '\x3f'));
  ASSERT_EQ(read_bytes(file).tensors.size(), 2u);
  for (size_t n = 0; n < file.size(); ++n)
    EXPECT_NE(format_error_of(file.substr(0, n)), "no error") << n;
}

}  // namespace
}  // namespace oclip::convert
