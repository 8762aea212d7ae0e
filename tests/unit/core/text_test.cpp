#include "core/text.h"

#include <gtest/gtest.h>

TEST(Strip, RemovesAsciiWhitespaceAtBothEndsOnly) {
  EXPECT_EQ(oclip::strip(" \t\r\n\v\fhf_abc def\r\n"), "hf_abc def");
  EXPECT_EQ(oclip::strip(""), "");
  EXPECT_EQ(oclip::strip(" \n "), "");
  EXPECT_EQ(oclip::strip("x"), "x");
}

TEST(JsonErrorMessage, DropsTheExceptionTag) {
  EXPECT_EQ(oclip::json_error_message("[json.exception.parse_error.101] parse error at line 2"),
            "parse error at line 2");
  EXPECT_EQ(oclip::json_error_message("plain [x] text"), "plain [x] text");
}
