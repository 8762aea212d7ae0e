// The stored_tokens parser on what Python's configparser accepts and refuses.
#include "hub/token_store.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace oclip::hub {
namespace {

TEST(StoredTokens, ReadsPythonsLayout) {
  const auto sections = parse_stored_tokens(
      "# comment\n[a]\nHF_Token = hf_one\n\n[oauth-b]\nhf_token: hf_two\nrefresh_token = x\n"
      "  continued\n",
      "stored_tokens");
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_EQ(sections[0].entries[0], std::make_pair(std::string("hf_token"), std::string("hf_one")));
  EXPECT_EQ(sections[1].entries[1].second, "x\ncontinued");
}

TEST(StoredTokens, StripsEveryWhitespaceLikePython) {
  const auto sections = parse_stored_tokens("[a]\n\v\fhf_token\v = hf_one\f\n", "stored_tokens");
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections[0].entries[0].first, "hf_token");
  EXPECT_EQ(sections[0].entries[0].second, "hf_one");
}

TEST(StoredTokens, RefusesWhatConfigparserRefuses) {
  for (const char* text : {"hf_token = x\n", "[a]\n = value\n", "[a]\njust words\n"}) {
    try {
      parse_stored_tokens(text, "stored_tokens");
      ADD_FAILURE() << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Format) << text;
      EXPECT_NE(std::string(e.what()).find("stored_tokens:"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace oclip::hub
