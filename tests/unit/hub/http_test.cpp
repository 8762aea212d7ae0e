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
