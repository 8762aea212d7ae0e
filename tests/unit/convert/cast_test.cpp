#include "convert/cast.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>

#include "core/error.h"

namespace oclip::convert {
namespace {

TEST(Cast, EveryHalfRoundTripsThroughFloat) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = f16_to_f32(static_cast<uint16_t>(h));
    const bool nan = (h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0;
    if (nan) {
      EXPECT_TRUE(std::isnan(f));
      EXPECT_EQ(f32_to_f16(f), (h & 0x8000) | 0x7E00);
    } else {
      EXPECT_EQ(f32_to_f16(f), h) << h;
    }
  }
  for (uint32_t b = 0; b < 65536; ++b) {
    const float f = bf16_to_f32(static_cast<uint16_t>(b));
    if (!std::isnan(f)) {
      EXPECT_EQ(f32_to_bf16(f), b) << b;
    }
  }
}

TEST(Cast, NarrowingRoundsToNearestEven) {
  EXPECT_EQ(f32_to_f16(1.0f + 0x1p-11f), 0x3C00);      // tie, even stays
  EXPECT_EQ(f32_to_f16(1.0f + 3 * 0x1p-11f), 0x3C02);  // tie, odd rounds up
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7BFF);
  EXPECT_EQ(f32_to_f16(65519.99f), 0x7BFF);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7C00);  // ties to even: infinity
  EXPECT_EQ(f32_to_f16(-1e10f), 0xFC00);
  EXPECT_EQ(f32_to_f16(0x1p-25f), 0x0000);  // half the smallest subnormal
  EXPECT_EQ(f32_to_f16(0x1.000002p-25f), 0x0001);
  EXPECT_EQ(f32_to_f16(3 * 0x1p-25f), 0x0002);  // 1.5 units: tie to even
  EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_bf16(1.0f + 0x1p-8f), 0x3F80);  // tie, even stays
  EXPECT_EQ(f32_to_bf16(1.0f + 3 * 0x1p-8f), 0x3F82);
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x7F7FFFFFu)), 0x7F80);  // max float: infinity
  EXPECT_EQ(f32_to_bf16(-NAN), 0x7FC0);
}

TEST(Cast, CastElementsConvertsWholeBuffers) {
  const float in[] = {1.0f, -2.5f, 65536.0f};
  std::vector<std::byte> out;
  cast_elements(DType::F32, std::as_bytes(std::span(in)), DType::F16, out);
  ASSERT_EQ(out.size(), 6u);
  uint16_t h[3];
  std::memcpy(h, out.data(), 6);
  EXPECT_EQ(h[0], 0x3C00);
  EXPECT_EQ(h[1], 0xC100);
  EXPECT_EQ(h[2], 0x7C00);
  std::vector<std::byte> back;
  cast_elements(DType::F16, out, DType::F64, back);
  double d[3];
  std::memcpy(d, back.data(), 24);
  EXPECT_EQ(d[1], -2.5);
  EXPECT_TRUE(std::isinf(d[2]));
  std::vector<std::byte> ignored;
  EXPECT_THROW(cast_elements(DType::I64, out, DType::F32, ignored), Error);
}

// The buffer casts append to what `out` holds and agree with the element functions for every
// 16-bit pattern (widening) and for every float made of those patterns (narrowing).
TEST(Cast, BufferCastsMatchTheElementFunctions) {
  std::vector<uint16_t> all(65536);
  for (uint32_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint16_t>(i);
  const auto bytes = std::as_bytes(std::span(all));
  for (DType half : {DType::F16, DType::BF16}) {
    std::vector<std::byte> wide(3, std::byte{7});
    cast_elements(half, bytes, DType::F32, wide);
    ASSERT_EQ(wide.size(), 3 + 4 * all.size());
    EXPECT_EQ(wide[2], std::byte{7});
    std::vector<float> floats(all.size());
    std::memcpy(floats.data(), wide.data() + 3, 4 * floats.size());
    for (size_t i = 0; i < all.size(); ++i) {
      const float want = half == DType::F16 ? f16_to_f32(all[i]) : bf16_to_f32(all[i]);
      ASSERT_EQ(std::bit_cast<uint32_t>(floats[i]), std::bit_cast<uint32_t>(want)) << i;
    }
    for (DType narrow : {DType::F16, DType::BF16}) {
      std::vector<std::byte> back;
      cast_elements(DType::F32, std::as_bytes(std::span(floats)), narrow, back);
      ASSERT_EQ(back.size(), 2 * floats.size());
      for (size_t i = 0; i < floats.size(); ++i) {
        uint16_t got;
        std::memcpy(&got, back.data() + 2 * i, 2);
        const uint16_t want = narrow == DType::F16 ? f32_to_f16(floats[i]) : f32_to_bf16(floats[i]);
        ASSERT_EQ(got, want) << i;
      }
    }
  }
}

}  // namespace
}  // namespace oclip::convert
