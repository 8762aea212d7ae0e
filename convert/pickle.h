// convert/pickle.h — an allowlist pickle interpreter for torch checkpoints. It never runs
// anything: globals become tagged values, and REDUCE / NEWOBJ / BUILD are emulated only for
// the callables torch's `weights_only=True` loader allows. Everything else is refused with the
// offending global or opcode named.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "convert/dtype.h"

namespace oclip::convert {

enum class PyKind {
  None,
  Bool,
  Int,
  Float,
  Str,
  Bytes,
  Tuple,
  List,
  Dict,
  Set,
  Global,   // a callable or class the allowlist knows, by "module.name"
  DType,    // torch.float32 and friends
  Opaque,   // an allowed value oclip does not model (complex numbers, devices)
  Storage,  // a persistent id ('storage', class, key, location, numel[, view])
  Tensor,   // a rebuilt tensor: storage + offset + size + stride
  Object,   // a TorchScript module object (__torch__.*) with its BUILD state
};

struct PyValue {
  PyKind kind = PyKind::None;
  bool boolean = false;
  int64_t integer = 0;        // Int; Storage: numel of the storage in its own dtype
  bool int_overflow = false;  // an Int that does not fit 64 bits
  double number = 0;
  std::string text;             // Str, Bytes, Global name, Object class, Storage key
  int callable = 0;             // Global: which emulation applies (pickle_allowlist.cpp)
  std::vector<PyValue*> items;  // Tuple, List, Set
  std::vector<std::pair<PyValue*, PyValue*>> entries;  // Dict, in insertion order
  PyValue* state = nullptr;                            // Object: its BUILD state
  // Storage and Tensor
  DType dtype = DType::F32;
  PyValue* storage = nullptr;  // Tensor: its Storage
  int64_t offset = 0;          // Tensor: storage offset in elements
  std::vector<int64_t> shape, strides;
  int64_t view_offset = 0;  // legacy Storage views, in elements of the root storage
  std::optional<int64_t> view_numel;
};

struct PickleOptions {
  bool allow_torchscript = false;  // __torch__.* classes and torch.jit._pickle helpers
};

// Values live in `arena`; pointers between them stay valid as long as the Pickle does.
struct Pickle {
  std::deque<PyValue> arena;
  PyValue* root = nullptr;
  size_t consumed = 0;  // bytes up to and including STOP (legacy files hold several pickles)
};

// Throws Error(Format) with `label` and the byte position in the message.
Pickle unpickle(std::span<const std::byte> data, const std::string& label,
                const PickleOptions& options = {});

// The value of a string key in a Dict, or nullptr.
const PyValue* dict_get(const PyValue& dict, std::string_view key);

// Short description for messages: "dict", "tensor", "int 3", ...
std::string describe(const PyValue& value);

}  // namespace oclip::convert
