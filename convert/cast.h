// convert/cast.h — float conversions exactly as torch's .to() does them: widening is exact,
// narrowing rounds to nearest, ties to even.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "convert/dtype.h"

namespace oclip::convert {

float f16_to_f32(uint16_t bits);
float bf16_to_f32(uint16_t bits);
uint16_t f32_to_f16(float value);   // overflow to +-inf; NaN to 0x7E00 with its sign
uint16_t f32_to_bf16(float value);  // NaN to 0x7FC0

// Converts whole little-endian elements of `from` into `to`, appending to `out`. Between
// float types only (f64, f32, f16, bf16; f64 narrows through f32 as torch does); the same
// type is a copy. Anything else throws Error(Unsupported).
void cast_elements(DType from, std::span<const std::byte> in, DType to,
                   std::vector<std::byte>& out);

}  // namespace oclip::convert
