#include "card/yaml.h"

#include <gtest/gtest.h>

#include "core/base64.h"

using oclip::card::emit_yaml;
using oclip::card::yaml_scalar;

TEST(YamlScalar, PlainOnlyWhenItReadsBackAsTheSameString) {
  for (const char* plain : {"mit", "apache-2.0", "open_clip", "zero-shot-image-classification",
                            "laion/laion2b-en", "cc-by-nc-4.0", "MobileCLIP S2 (Apple)"}) {
    EXPECT_EQ(yaml_scalar(plain), plain);
  }
  for (const char* quoted :
       {"",   "yes",  "No",   "ON",   "null", "~",         "1.0",         "2024-01-01", "12:30",
        "-x", ".inf", "a: b", "a #b", "#c",   "[x]",       "{y}",         "&a",         "*b",
        "!t", "'q'",  "%p",   "@a",   "`b`",  "trailing ", "two  spaces", "é"}) {
    EXPECT_EQ(yaml_scalar(quoted).front(), '"') << quoted;
  }
}

TEST(YamlScalar, EscapesWhatDoubleQuotesCannotHoldRaw) {
  EXPECT_EQ(yaml_scalar("say \"hi\"\n\\"), R"("say \"hi\"\n\\")");
  EXPECT_EQ(yaml_scalar(std::string("nul\0x", 5)), R"("nul\x00x")");
  EXPECT_EQ(yaml_scalar("tab\t"), R"("tab\t")");
  EXPECT_EQ(yaml_scalar("next\xc2\x85line"), R"("next\u0085line")");
  EXPECT_EQ(yaml_scalar("\xe2\x80\xa8"), R"("\u2028")");
  EXPECT_EQ(yaml_scalar("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  // Bytes that are not UTF-8 (a lone continuation byte, an overlong form, a surrogate).
  EXPECT_EQ(yaml_scalar("\x80"), R"("\uFFFD")");
  EXPECT_EQ(yaml_scalar("\xc0\xaf"), R"("\uFFFD\uFFFD")");
  EXPECT_EQ(yaml_scalar("\xed\xa0\x80"), R"("\uFFFD\uFFFD\uFFFD")");
}

TEST(EmitYaml, KeysInOrderListsAsBlocksEmptyListsInline) {
  EXPECT_EQ(emit_yaml({{"tags", std::vector<std::string>{"clip", "yes"}},
                       {"license", std::string("mit")},
                       {"datasets", std::vector<std::string>{}}}),
            "tags:\n- clip\n- \"yes\"\nlicense: mit\ndatasets: []\n");
}

TEST(Base64, KnownVectorsAndRefusals) {
  EXPECT_EQ(oclip::base64_encode(""), "");
  EXPECT_EQ(oclip::base64_encode("f"), "Zg==");
  EXPECT_EQ(oclip::base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(oclip::base64_decode("Zm9vYg==").value(), "foob");
  EXPECT_EQ(oclip::base64_decode("Zm9vYmE=").value(), "fooba");
  EXPECT_EQ(oclip::base64_decode("").value(), "");
  std::string binary(256, '\0');
  for (int i = 0; i < 256; ++i) binary[i] = static_cast<char>(i);
  EXPECT_EQ(oclip::base64_decode(oclip::base64_encode(binary)).value(), binary);
  for (const char* bad : {"Zg=", "Zm9v YmFy", "Zm9v\nYmFy", "Zm9*", "===="}) {
    EXPECT_FALSE(oclip::base64_decode(bad).has_value()) << bad;
  }
}
