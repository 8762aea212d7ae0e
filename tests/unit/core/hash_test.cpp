#include "core/hash.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/file_io.h"
#include "core/glob.h"
#include "tests/support/temp_dir.h"

TEST(Hash, KnownDigests) {
  EXPECT_EQ(oclip::sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(oclip::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // `printf 'hello\n' | git hash-object --stdin`
  EXPECT_EQ(oclip::git_blob_sha1_hex("hello\n"), "ce013625030ba8dba906f756967f9e9ca394464a");
  EXPECT_EQ(oclip::git_blob_sha1_hex(""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
}

TEST(FileIo, AtomicWriteReplacesAndLeavesNoTemp) {
  TempDir dir;
  auto path = dir.path() / "f.txt";
  oclip::write_file_atomic(path, "one");
  oclip::write_file_atomic(path, "two");
  EXPECT_EQ(oclip::read_file(path), "two");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(FileIo, ReadMissingIsIoErrorNamingPath) {
  try {
    oclip::read_file("/nonexistent/oclip.txt");
    FAIL();
  } catch (const oclip::Error& e) {
    EXPECT_EQ(e.kind(), oclip::ErrorKind::Io);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/oclip.txt"), std::string::npos);
  }
}

TEST(Glob, PythonFnmatchSemantics) {
  EXPECT_TRUE(oclip::glob_match("*.json", "tokenizer/vocab.json"));  // '*' crosses '/'
  EXPECT_TRUE(oclip::glob_match("ViT-B-*", "vit-b-32", true));
  EXPECT_FALSE(oclip::glob_match("ViT-B-*", "vit-b-32", false));
  EXPECT_TRUE(oclip::glob_match("RN50x?", "RN50x4"));
  EXPECT_TRUE(oclip::glob_match("[!x]*", "abc"));
}
