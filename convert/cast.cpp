#include "convert/cast.h"

#include <bit>
#include <cstring>
#include <vector>

#include "core/error.h"

namespace oclip::convert {
namespace {

template <typename T>
T load(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename T>
void store(std::vector<std::byte>& out, T v) {
  const auto* p = reinterpret_cast<const std::byte*>(&v);
  out.insert(out.end(), p, p + sizeof v);
}

// One element type to another through `convert`, with the output sized once: the common
// casts (f16/bf16 <-> f32) run this loop, not the per-element dispatch below.
template <typename From, typename To, typename Convert>
void cast_all(std::span<const std::byte> in, std::vector<std::byte>& out, Convert convert) {
  const size_t count = in.size() / sizeof(From);
  const size_t start = out.size();
  out.resize(start + count * sizeof(To));
  std::byte* dst = out.data() + start;
  for (size_t i = 0; i < count; ++i) {
    const To value = convert(load<From>(in.data() + i * sizeof(From)));
    std::memcpy(dst + i * sizeof(To), &value, sizeof value);
  }
}

float read_float(DType dtype, const std::byte* p) {
  switch (dtype) {
    case DType::F64:
      return static_cast<float>(load<double>(p));
    case DType::F32:
      return load<float>(p);
    case DType::F16:
      return f16_to_f32(load<uint16_t>(p));
    default:
      return bf16_to_f32(load<uint16_t>(p));
  }
}

}  // namespace

float bf16_to_f32(uint16_t bits) { return std::bit_cast<float>(uint32_t{bits} << 16); }

float f16_to_f32(uint16_t bits) {
  const uint32_t sign = uint32_t(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1F;
  uint32_t mantissa = bits & 0x3FF;
  if (exponent == 0x1F)
    return std::bit_cast<float>(sign | 0x7F800000 | mantissa << 13);  // inf, NaN
  if (exponent == 0) {
    if (mantissa == 0) return std::bit_cast<float>(sign);  // +-0
    // Subnormal: shift the mantissa up until its leading 1 reaches the implicit bit.
    exponent = 113;
    while ((mantissa & 0x400) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    mantissa &= 0x3FF;
    return std::bit_cast<float>(sign | exponent << 23 | mantissa << 13);
  }
  return std::bit_cast<float>(sign | (exponent + 112) << 23 | mantissa << 13);
}

uint16_t f32_to_f16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t magnitude = bits & 0x7FFFFFFF;
  if (magnitude > 0x7F800000) return sign | 0x7E00;   // NaN
  if (magnitude >= 0x477FF000) return sign | 0x7C00;  // rounds past 65504: infinity
  if (magnitude < 0x38800000) {                       // below 2^-14: subnormal half or zero
    if (magnitude <= 0x33000000) return sign;  // at most 2^-25: rounds to zero (ties to even)
    const uint32_t exponent = magnitude >> 23;
    const uint32_t mantissa = (magnitude & 0x7FFFFF) | 0x800000;
    const uint32_t shift = 126 - exponent;  // 14..24: units of 2^-24
    uint32_t q = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rest > half || (rest == half && (q & 1))) ++q;
    return sign | static_cast<uint16_t>(q);
  }
  // Normal: round the 13 dropped mantissa bits to even, then rebias the exponent 127 -> 15.
  const uint32_t rounded = magnitude + 0xFFF + ((magnitude >> 13) & 1);
  return sign | static_cast<uint16_t>((rounded - (112u << 23)) >> 13);
}

uint16_t f32_to_bf16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & 0x7FFFFFFF) > 0x7F800000) return 0x7FC0;
  return static_cast<uint16_t>((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
}

void cast_elements(DType from, std::span<const std::byte> in, DType to,
                   std::vector<std::byte>& out) {
  if (from == to) {
    out.insert(out.end(), in.begin(), in.end());
    return;
  }
  if (!is_float(from) || !is_float(to))
    throw Error(ErrorKind::Unsupported, "cannot cast " + std::string(dtype_name(from)) + " to " +
                                            std::string(dtype_name(to)) +
                                            "; only float types convert");
  if (from == DType::F16 && to == DType::F32) {
    // Every half, widened once: a table lookup is several times faster than the bit logic.
    static const std::vector<float> widened = [] {
      std::vector<float> table(65536);
      for (uint32_t bits = 0; bits < table.size(); ++bits)
        table[bits] = f16_to_f32(static_cast<uint16_t>(bits));
      return table;
    }();
    return cast_all<uint16_t, float>(in, out, [](uint16_t bits) { return widened[bits]; });
  }
  if (from == DType::BF16 && to == DType::F32)
    return cast_all<uint16_t, float>(in, out, [](uint16_t bits) { return bf16_to_f32(bits); });
  if (from == DType::F32 && to == DType::F16)
    return cast_all<float, uint16_t>(in, out, [](float value) { return f32_to_f16(value); });
  if (from == DType::F32 && to == DType::BF16)
    return cast_all<float, uint16_t>(in, out, [](float value) { return f32_to_bf16(value); });
  const size_t in_size = dtype_bits(from) / 8;
  const size_t count = in.size() / in_size;
  out.reserve(out.size() + count * dtype_bits(to) / 8);
  for (size_t i = 0; i < count; ++i) {
    const std::byte* p = in.data() + i * in_size;
    if (to == DType::F64) {
      const double wide = from == DType::F32 ? load<float>(p) : read_float(from, p);
      store(out, wide);
      continue;
    }
    const float f = read_float(from, p);
    switch (to) {
      case DType::F32:
        store(out, f);
        break;
      case DType::F16:
        store(out, f32_to_f16(f));
        break;
      default:
        store(out, f32_to_bf16(f));
        break;
    }
  }
}

}  // namespace oclip::convert
