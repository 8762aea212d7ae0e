#include "core/text.h"

#include <gtest/gtest.h>

TEST(Strip, RemovesAsciiWhitespaceAtBothEndsOnly) {
  EXPECT_EQ(oclip::strip(" \t\r\n\v\fhf_abc def\r\n"), "hf_abc def");
  EXPECT_EQ(oclip::strip(""), "");
  EXPECT_EQ(oclip::strip(" \n "), "");
  EXPECT_EQ(oclip::strip("x"), "x");
}
