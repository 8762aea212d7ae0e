#include "convert/pickle_allowlist.h"

#include <fmt/format.h>

namespace oclip::convert {
namespace {

// The callables and classes a checkpoint may name: torch's weights_only allowlist (1.13 and
// current), plus the TorchScript object classes when reading a TorchScript archive.
enum Callable {
  kNotCallable = 0,
  kOrderedDict,
  kCounter,
  kRebuildTensor,
  kRebuildTensorV2,
  kRebuildTensorV3,
  kRebuildParameter,
  kRebuildParameterWithState,
  kRebuildFromTypeV2,
  kParameter,
  kStorageClass,
  kDevice,
  kSize,
  kSet,
  kFrozenSet,
  kByteArray,
  kComplex,
  kCodecsEncode,
  kTorchScriptClass,
  kJitRestoreTypeTag,
  kJitBuildList,
};

constexpr size_t kMaxValues = size_t{1} << 26;

}  // namespace

PyValue* PickleValues::make(PyKind kind) {
  if (pickle_.arena.size() >= kMaxValues) throw fail("too many objects");
  pickle_.arena.emplace_back();
  pickle_.arena.back().kind = kind;
  return &pickle_.arena.back();
}

PyValue* PickleValues::make_int(int64_t v) {
  PyValue* value = make(PyKind::Int);
  value->integer = v;
  return value;
}

PyValue* PickleValues::make_str(std::string s, PyKind kind) {
  PyValue* value = make(kind);
  value->text = std::move(s);
  return value;
}

PyValue* PickleValues::make_tuple(std::vector<PyValue*> items) {
  PyValue* t = make(PyKind::Tuple);
  t->items = std::move(items);
  return t;
}

Error PickleValues::fail(const std::string& problem) const {
  return Error(ErrorKind::Format, fmt::format("{}: pickle byte {}: {}", label_, op_pos_, problem))
      .with_file(label_);
}

PyValue* Allowlist::global(const std::string& module, const std::string& name) {
  const std::string full = module + "." + name;
  auto callable_value = [&](Callable c) {
    PyValue* v = make_str(full, PyKind::Global);
    v->callable = c;
    return v;
  };
  if (module == "collections" && name == "OrderedDict") return callable_value(kOrderedDict);
  if (module == "collections" && name == "Counter") return callable_value(kCounter);
  if (module == "torch._utils") {
    if (name == "_rebuild_tensor") return callable_value(kRebuildTensor);
    if (name == "_rebuild_tensor_v2") return callable_value(kRebuildTensorV2);
    if (name == "_rebuild_tensor_v3") return callable_value(kRebuildTensorV3);
    if (name == "_rebuild_parameter") return callable_value(kRebuildParameter);
    if (name == "_rebuild_parameter_with_state") return callable_value(kRebuildParameterWithState);
    if (name.find("sparse") != std::string::npos || name.find("qtensor") != std::string::npos ||
        name.find("wrapper_subclass") != std::string::npos ||
        name.find("meta") != std::string::npos)
      throw fail("'" + full +
                 "' builds a sparse, quantized or meta tensor, which oclip does not read");
  }
  if (module == "torch._tensor" && name == "_rebuild_from_type_v2")
    return callable_value(kRebuildFromTypeV2);
  if (module == "torch.nn.parameter" && name == "Parameter") return callable_value(kParameter);
  if ((module == "torch" || module == "torch.cuda" || module == "torch.storage") &&
      name.size() > 7 && name.ends_with("Storage")) {
    PyValue* v = callable_value(kStorageClass);
    if (name == "UntypedStorage" || name == "TypedStorage" || name == "_UntypedStorage") {
      v->dtype = DType::U8;
      return v;
    }
    std::optional<DType> dtype = dtype_from_torch_storage(name);
    if (!dtype) throw fail("storage class '" + full + "' (quantized or unknown) is not supported");
    v->dtype = *dtype;
    return v;
  }
  if (module == "torch" && name == "device") return callable_value(kDevice);
  if (module == "torch" && name == "Size") return callable_value(kSize);
  if (module == "torch") {
    if (std::optional<DType> dtype = dtype_from_torch_dtype(name)) {
      PyValue* v = make_str(full, PyKind::DType);
      v->dtype = *dtype;
      return v;
    }
  }
  if (module == "builtins" || module == "__builtin__") {
    if (name == "set") return callable_value(kSet);
    if (name == "frozenset") return callable_value(kFrozenSet);
    if (name == "bytearray") return callable_value(kByteArray);
    if (name == "complex") return callable_value(kComplex);
  }
  if (module == "_codecs" && name == "encode") return callable_value(kCodecsEncode);
  if (options_.allow_torchscript) {
    if (module.starts_with("__torch__.torch.classes"))
      throw fail("TorchScript class '" + full + "' has opaque native state (TorchBind)");
    if (module == "__torch__" || module.starts_with("__torch__."))
      return callable_value(kTorchScriptClass);
    if (module == "torch.jit._pickle") {
      if (name == "restore_type_tag") return callable_value(kJitRestoreTypeTag);
      if (name.starts_with("build_") && name.ends_with("list"))
        return callable_value(kJitBuildList);
    }
  }
  throw fail("global '" + full +
             "' is not allowed: a checkpoint may name only tensor and container types "
             "(torch's weights_only loader refuses it too); nothing was executed");
}

const std::vector<PyValue*>& Allowlist::tuple_args(PyValue* args, const std::string& who) {
  if (args->kind != PyKind::Tuple)
    throw fail(who + " expects an argument tuple, got " + describe(*args));
  return args->items;
}
int64_t Allowlist::as_int(PyValue* v, const std::string& what) {
  if (v->kind == PyKind::Bool) return v->boolean;
  if (v->kind != PyKind::Int || v->int_overflow)
    throw fail(what + " must be an integer, got " + describe(*v));
  return v->integer;
}
std::vector<int64_t> Allowlist::as_int_tuple(PyValue* v, const std::string& what) {
  if (v->kind != PyKind::Tuple && v->kind != PyKind::List)
    throw fail(what + " must be a tuple of integers, got " + describe(*v));
  std::vector<int64_t> out;
  for (PyValue* item : v->items) out.push_back(as_int(item, what));
  return out;
}

PyValue* Allowlist::rebuild_tensor(const std::vector<PyValue*>& a, const std::string& who,
                                   bool has_dtype) {
  const size_t needed = has_dtype ? 7 : 4;
  if (a.size() < needed)
    throw fail(who + " expects at least " + std::to_string(needed) + " arguments");
  if (a[0]->kind != PyKind::Storage) throw fail(who + " expects a storage, got " + describe(*a[0]));
  PyValue* t = make(PyKind::Tensor);
  t->storage = a[0];
  t->dtype = a[0]->dtype;
  t->offset = as_int(a[1], "storage offset");
  t->shape = as_int_tuple(a[2], "tensor size");
  t->strides = as_int_tuple(a[3], "tensor stride");
  if (t->shape.size() != t->strides.size()) throw fail(who + ": size and stride differ in length");
  if (has_dtype) {
    if (a[6]->kind != PyKind::DType) throw fail(who + " expects a dtype, got " + describe(*a[6]));
    t->dtype = a[6]->dtype;
  }
  return t;
}

PyValue* Allowlist::call(PyValue* callable, PyValue* args) {
  if (callable->kind != PyKind::Global)
    throw fail("REDUCE on " + describe(*callable) + ", which is not callable");
  const std::string& who = callable->text;
  const std::vector<PyValue*>& a = tuple_args(args, who);
  switch (callable->callable) {
    case kOrderedDict:
    case kCounter: {
      PyValue* d = make(PyKind::Dict);
      if (a.empty()) return d;
      if (a.size() == 1 && a[0]->kind == PyKind::Dict) {
        d->entries = a[0]->entries;
        return d;
      }
      if (a.size() == 1 && a[0]->kind == PyKind::List) {
        for (PyValue* pair : a[0]->items) {
          if (pair->kind != PyKind::Tuple || pair->items.size() != 2)
            throw fail(who + " expects (key, value) pairs");
          d->entries.emplace_back(pair->items[0], pair->items[1]);
        }
        return d;
      }
      throw fail(who + " called with unexpected arguments");
    }
    case kRebuildTensor:
      return rebuild_tensor(a, who, false);
    case kRebuildTensorV2:
      return rebuild_tensor(a, who, false);
    case kRebuildTensorV3:
      return rebuild_tensor(a, who, true);
    case kRebuildParameter:
    case kRebuildParameterWithState:
    case kParameter:
      if (a.empty() || a[0]->kind != PyKind::Tensor) throw fail(who + " expects a tensor");
      return a[0];
    case kRebuildFromTypeV2: {
      if (a.size() < 3) throw fail(who + " expects (function, type, args, state)");
      return call(a[0], a[2]);
    }
    case kDevice: {
      PyValue* v = make_str("device", PyKind::Opaque);
      return v;
    }
    case kSize:
      if (a.size() != 1) throw fail(who + " expects one tuple");
      return make_tuple(std::vector<PyValue*>(a[0]->items));
    case kSet:
    case kFrozenSet: {
      PyValue* s = make(PyKind::Set);
      if (a.size() == 1) s->items = a[0]->items;
      return s;
    }
    case kByteArray: {
      PyValue* b = make(PyKind::Bytes);
      if (!a.empty()) {
        if (a[0]->kind != PyKind::Bytes) throw fail(who + " expects bytes");
        b->text = a[0]->text;
      }
      return b;
    }
    case kComplex:
      return make_str("complex", PyKind::Opaque);
    case kCodecsEncode:
      return codecs_encode(a);
    case kJitRestoreTypeTag:
      if (a.empty()) throw fail(who + " expects a value");
      return a[0];
    case kJitBuildList:
      if (a.size() != 1 || a[0]->kind != PyKind::List) throw fail(who + " expects a list");
      return a[0];
    default:
      throw fail("'" + who + "' cannot be called");
  }
}

// Protocol 2 pickles bytes as _codecs.encode(text, 'latin1'): code points below 256 to bytes.
PyValue* Allowlist::codecs_encode(const std::vector<PyValue*>& a) {
  if (a.empty() || a[0]->kind != PyKind::Str) throw fail("_codecs.encode expects a string");
  if (a.size() > 1 &&
      (a[1]->kind != PyKind::Str || (a[1]->text != "latin1" && a[1]->text != "latin-1")))
    throw fail("_codecs.encode: only latin1 is supported");
  PyValue* out = make(PyKind::Bytes);
  const std::string& s = a[0]->text;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      out->text.push_back(static_cast<char>(c));
    } else if ((c & 0xE0) == 0xC0 && i + 1 < s.size() && c <= 0xC3) {
      out->text.push_back(static_cast<char>(((c & 0x1F) << 6) | (uint8_t(s[++i]) & 0x3F)));
    } else {
      throw fail("_codecs.encode: text is not latin1");
    }
  }
  return out;
}

PyValue* Allowlist::new_object(PyValue* cls, PyValue* args) {
  if (cls->kind != PyKind::Global) throw fail("NEWOBJ on " + describe(*cls));
  if (cls->callable == kTorchScriptClass) {
    PyValue* object = make_str(cls->text, PyKind::Object);
    return object;
  }
  if (cls->callable == kParameter || cls->callable == kOrderedDict) return call(cls, args);
  throw fail("NEWOBJ of '" + cls->text + "' is not allowed");
}

void Allowlist::build(PyValue* object, PyValue* state) {
  switch (object->kind) {
    case PyKind::Object:
      object->state = state;
      return;
    case PyKind::Dict:    // OrderedDict._metadata of a state_dict
    case PyKind::Tensor:  // Parameter attributes
      return;
    default:
      throw fail("BUILD on " + describe(*object) + " is not allowed");
  }
}

PyValue* Allowlist::persistent_load(PyValue* pid) {
  if (pid->kind != PyKind::Tuple || pid->items.empty() || pid->items[0]->kind != PyKind::Str)
    throw fail("persistent id is not a tuple starting with a string");
  if (pid->items[0]->text != "storage")
    throw fail("persistent id of type '" + pid->items[0]->text +
               "' (pickled code or module) is not allowed");
  const std::vector<PyValue*>& a = pid->items;
  if (a.size() != 5 && a.size() != 6)
    throw fail("storage persistent id has " + std::to_string(a.size()) + " fields");
  if (a[1]->kind != PyKind::Global || a[1]->callable != kStorageClass)
    throw fail("storage persistent id names " + describe(*a[1]) + ", not a storage class");
  PyValue* storage = make(PyKind::Storage);
  storage->dtype = a[1]->dtype;
  if (a[2]->kind == PyKind::Str) {
    storage->text = a[2]->text;
  } else {
    storage->text = std::to_string(as_int(a[2], "storage key"));
  }
  storage->integer = as_int(a[4], "storage size");
  if (storage->integer < 0) throw fail("negative storage size");
  if (a.size() == 6 && a[5]->kind != PyKind::None) {
    PyValue* view = a[5];
    if (view->kind != PyKind::Tuple || view->items.size() != 3)
      throw fail("storage view is not (key, offset, size)");
    storage->view_offset = as_int(view->items[1], "storage view offset");
    storage->view_numel = as_int(view->items[2], "storage view size");
  }
  return storage;
}

}  // namespace oclip::convert
