#include "hub/http.h"

#include <gtest/gtest.h>

using oclip::hub::masked_header_line;

TEST(MaskedHeaderLine, TokensAndSignaturesNeverShow) {
  EXPECT_EQ(masked_header_line("Authorization: Bearer hf_abcdefghijklmnop"),
            "Authorization: Bearer hf_...mnop");
  EXPECT_EQ(masked_header_line("authorization: bearer short"), "authorization: bearer ***");
  EXPECT_EQ(masked_header_line("PUT /lfs-upload/ab?Expires=17&Signature=0a1b2c HTTP/1.1"),
            "PUT /lfs-upload/ab?Expires=17&Signature=*** HTTP/1.1");
  EXPECT_EQ(masked_header_line("Location: https://s3.example/o?X-Amz-Credential=AKIA%2F1&"
                               "X-Amz-Signature=ffee&x-id=GetObject"),
            "Location: https://s3.example/o?X-Amz-Credential=***&X-Amz-Signature=***&"
            "x-id=GetObject");
  EXPECT_EQ(masked_header_line("Content-Length: 42"), "Content-Length: 42");
}

TEST(ContentRange, ParsesWhatServersSendAndRefusesTheRest) {
  using oclip::hub::parse_content_range;
  auto full = parse_content_range("bytes 250000-599999/600000");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->first, 250000u);
  EXPECT_EQ(full->last, 599999u);
  EXPECT_EQ(full->length, 600000u);
  auto unknown = parse_content_range(" Bytes 0-9/*\r\n");
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown->length);
  EXPECT_TRUE(parse_content_range("bytes 0-18446744073709551614/18446744073709551615"));
  for (const char* bad :
       {"", "bytes", "bytes */600000", "bytes 10-5/600000", "bytes 0-600000/600000", "bytes 0-9",
        "bytes -1-9/10", "items 0-9/10", "bytes 0-9/10 junk", "bytes0-9/10",
        "bytes 99999999999999999999-9/10", "bytes 0-9/18446744073709551616"}) {
    EXPECT_FALSE(parse_content_range(bad)) << bad;
  }
}
