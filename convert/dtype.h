// convert/dtype.h — element types across safetensors, torch storages and numpy descrs.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace oclip::convert {

enum class DType {
  F64,
  F32,
  F16,
  BF16,
  I64,
  I32,
  I16,
  I8,
  U8,
  Bool,
  U16,
  U32,
  U64,
  C64,
  C128,
  F8_E4M3,
  F8_E5M2,
  F8_E8M0,
  F8_E4M3FNUZ,
  F8_E5M2FNUZ,
  F6_E2M3,
  F6_E3M2,
  F4,
};

// Lowercase canonical name: "f32", "bf16", "bool", ...
std::string_view dtype_name(DType dtype);
// Size of one element in bits (4 and 6 for the packed float types).
unsigned dtype_bits(DType dtype);
bool is_float(DType dtype);  // f64, f32, f16, bf16 (the types conversions cast between)

// safetensors' "F32", "BF16", ... both ways.
std::string_view safetensors_name(DType dtype);
std::optional<DType> dtype_from_safetensors(std::string_view name);
// The canonical name back to a type ("f16" -> F16), for flags such as --precision.
std::optional<DType> dtype_from_name(std::string_view name);

// torch storage class name without module: "FloatStorage" -> F32. Quantized storages and
// unknown names give nothing.
std::optional<DType> dtype_from_torch_storage(std::string_view class_name);
std::string_view torch_storage_name(DType dtype);  // empty when torch has no storage for it
// torch dtype object name: "float32" / "float" -> F32, "bfloat16" -> BF16, ...
std::optional<DType> dtype_from_torch_dtype(std::string_view name);

}  // namespace oclip::convert
