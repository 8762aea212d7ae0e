// The ZIP layer under torch archives and .npz files: what the writer produces reads back, and
// damaged, lying or hostile archives are refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convert/zip_reader.h"
#include "convert/zip_writer.h"
#include "core/error.h"
#include "core/file_io.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/convert/test_bytes.h"

namespace oclip::convert {
namespace {

using ::testing::HasSubstr;

std::string zip_of(const std::vector<std::pair<std::string, std::string>>& entries,
                   bool deflate = false) {
  TempDir dir;
  {
    OutputFile file(dir.path() / "a.zip");
    ZipWriter zip(file);
    for (const auto& [name, content] : entries) zip.add(name, content, deflate);
    zip.finish();
    file.commit();
  }
  return read_file(dir.path() / "a.zip");
}

std::string zip_error(const std::string& bytes) {
  try {
    ZipReader zip(as_bytes(bytes), "test.zip");
    for (const ZipEntry& e : zip.entries()) zip.read(e);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

// Offset of the only central directory header.
size_t central(const std::string& zip) { return zip.find("PK\x01\x02"); }

void put32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

TEST(Zip, StoredEntriesAreAlignedTo64BytesAndReadInPlace) {
  const std::string bytes =
      zip_of({{"top/data.pkl", "hello"}, {"top/data/0", std::string(1000, 'x')}});
  ZipReader zip(as_bytes(bytes), "a.zip");
  ASSERT_EQ(zip.entries().size(), 2u);
  for (const ZipEntry& e : zip.entries()) EXPECT_EQ(e.data_offset % 64, 0u) << e.name;
  const ZipEntry* data = zip.find("top/data/0");
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(zip.stored_bytes(*data).data(), as_bytes(bytes).data() + data->data_offset);
  EXPECT_EQ(zip.read(*zip.find("top/data.pkl")), "hello");
}

TEST(Zip, DeflatedEntriesInflateWithTheirCrcChecked) {
  const std::string content(100000, 'a');
  std::string bytes = zip_of({{"a.npy", content}}, true);
  ZipReader zip(as_bytes(bytes), "a.zip");
  EXPECT_LT(zip.entries()[0].compressed_size, 1000u);
  EXPECT_EQ(zip.read(zip.entries()[0]), content);
  put32(bytes, central(bytes) + 16, 0x12345678);  // wrong CRC in the directory
  EXPECT_THAT(zip_error(bytes), HasSubstr("CRC-32"));
}

TEST(Zip, RefusesZipBombs) {
  std::string bytes = zip_of({{"a.npy", std::string(100000, 'a')}}, true);
  std::string lying = bytes;
  put32(lying, central(lying) + 24, 0xFFFFFF00);  // declared size far beyond what deflate can make
  EXPECT_THAT(zip_error(lying), HasSubstr("zip bomb"));
  std::string smaller = bytes;
  put32(smaller, central(smaller) + 24, 1000);  // inflates past its declared size
  EXPECT_THAT(zip_error(smaller), HasSubstr("more than its declared size"));
  ZipReader zip(as_bytes(bytes), "a.zip");
  EXPECT_THAT([&] { zip.read(zip.entries()[0], 10); }, ::testing::Throws<Error>());
}

TEST(Zip, RefusesUnsafeNamesDuplicatesAndOddEntries) {
  EXPECT_THAT(zip_error(zip_of({{"top/../../etc/passwd", "x"}})), HasSubstr("unsafe"));
  EXPECT_THAT(zip_error(zip_of({{"/abs/data.pkl", "x"}})), HasSubstr("unsafe"));
  EXPECT_THAT(zip_error(zip_of({{"..", "x"}})), HasSubstr("unsafe"));
  EXPECT_THAT(zip_error(zip_of({{"a", "x"}, {"a", "y"}})), HasSubstr("appears twice"));
  std::string encrypted = zip_of({{"a", "x"}});
  encrypted[central(encrypted) + 8] |= 1;
  EXPECT_THAT(zip_error(encrypted), HasSubstr("encrypted"));
  std::string bzip2 = zip_of({{"a", "x"}});
  bzip2[central(bzip2) + 10] = 12;
  EXPECT_THAT(zip_error(bzip2), HasSubstr("compression method 12"));
}

TEST(Zip, RefusesOverlappingEntries) {
  std::string bytes = zip_of({{"a", std::string(200, 'a')}, {"b", std::string(200, 'b')}});
  // Point the second entry's directory record at the first entry's local header.
  const size_t second = bytes.find("PK\x01\x02", central(bytes) + 4);
  put32(bytes, second + 42, 0);
  EXPECT_THAT(zip_error(bytes), HasSubstr("overlap"));
}

TEST(Zip, EveryTruncationIsAnError) {
  const std::string bytes =
      zip_of({{"top/data.pkl", "hello"}, {"top/data/0", std::string(100, 'x')}});
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_NE(zip_error(bytes.substr(0, n)), "no error") << n;
}

}  // namespace
}  // namespace oclip::convert
