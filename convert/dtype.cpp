#include "convert/dtype.h"

#include <array>

namespace oclip::convert {
namespace {

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  std::string_view safetensors;
  unsigned bits;
  std::string_view storage;  // torch.<X>Storage
};

constexpr std::array<DTypeInfo, 23> kTypes = {{
    {DType::F64, "f64", "F64", 64, "DoubleStorage"},
    {DType::F32, "f32", "F32", 32, "FloatStorage"},
    {DType::F16, "f16", "F16", 16, "HalfStorage"},
    {DType::BF16, "bf16", "BF16", 16, "BFloat16Storage"},
    {DType::I64, "i64", "I64", 64, "LongStorage"},
    {DType::I32, "i32", "I32", 32, "IntStorage"},
    {DType::I16, "i16", "I16", 16, "ShortStorage"},
    {DType::I8, "i8", "I8", 8, "CharStorage"},
    {DType::U8, "u8", "U8", 8, "ByteStorage"},
    {DType::Bool, "bool", "BOOL", 8, "BoolStorage"},
    {DType::U16, "u16", "U16", 16, ""},
    {DType::U32, "u32", "U32", 32, ""},
    {DType::U64, "u64", "U64", 64, ""},
    {DType::C64, "c64", "C64", 64, "ComplexFloatStorage"},
    {DType::C128, "c128", "", 128, "ComplexDoubleStorage"},
    {DType::F8_E4M3, "f8_e4m3", "F8_E4M3", 8, ""},
    {DType::F8_E5M2, "f8_e5m2", "F8_E5M2", 8, ""},
    {DType::F8_E8M0, "f8_e8m0", "F8_E8M0", 8, ""},
    {DType::F8_E4M3FNUZ, "f8_e4m3fnuz", "F8_E4M3FNUZ", 8, ""},
    {DType::F8_E5M2FNUZ, "f8_e5m2fnuz", "F8_E5M2FNUZ", 8, ""},
    {DType::F6_E2M3, "f6_e2m3", "F6_E2M3", 6, ""},
    {DType::F6_E3M2, "f6_e3m2", "F6_E3M2", 6, ""},
    {DType::F4, "f4", "F4", 4, ""},
}};

const DTypeInfo& info(DType dtype) { return kTypes[static_cast<size_t>(dtype)]; }

}  // namespace

std::string_view dtype_name(DType dtype) { return info(dtype).name; }
unsigned dtype_bits(DType dtype) { return info(dtype).bits; }
std::string_view safetensors_name(DType dtype) { return info(dtype).safetensors; }
std::string_view torch_storage_name(DType dtype) { return info(dtype).storage; }

bool is_float(DType dtype) {
  return dtype == DType::F64 || dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16;
}

std::optional<DType> dtype_from_safetensors(std::string_view name) {
  for (const DTypeInfo& t : kTypes) {
    if (!t.safetensors.empty() && t.safetensors == name) return t.dtype;
  }
  return std::nullopt;
}

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const DTypeInfo& t : kTypes) {
    if (t.name == name) return t.dtype;
  }
  return std::nullopt;
}

std::optional<DType> dtype_from_torch_storage(std::string_view class_name) {
  for (const DTypeInfo& t : kTypes) {
    if (!t.storage.empty() && t.storage == class_name) return t.dtype;
  }
  return std::nullopt;
}

std::optional<DType> dtype_from_torch_dtype(std::string_view name) {
  struct Alias {
    std::string_view name;
    DType dtype;
  };
  static constexpr Alias kAliases[] = {
      {"float64", DType::F64},   {"double", DType::F64},    {"float32", DType::F32},
      {"float", DType::F32},     {"float16", DType::F16},   {"half", DType::F16},
      {"bfloat16", DType::BF16}, {"int64", DType::I64},     {"long", DType::I64},
      {"int32", DType::I32},     {"int", DType::I32},       {"int16", DType::I16},
      {"short", DType::I16},     {"int8", DType::I8},       {"uint8", DType::U8},
      {"bool", DType::Bool},     {"complex64", DType::C64}, {"complex128", DType::C128},
      {"uint16", DType::U16},    {"uint32", DType::U32},    {"uint64", DType::U64},
  };
  for (const Alias& a : kAliases) {
    if (a.name == name) return a.dtype;
  }
  return std::nullopt;
}

}  // namespace oclip::convert
