// The pre-zip torch.save format: five pickles (magic, protocol, sys_info, the object, the
// storage keys), then each storage as an i64 element count and its raw bytes.
#include <unordered_map>

#include "convert/readers.h"

namespace oclip::convert {
namespace {

constexpr size_t kMagicBytes = 15;  // the pickled magic number, checked by detect_format
constexpr int64_t kProtocolVersion = 1001;

}  // namespace

void read_torch_legacy(std::span<const std::byte> bytes, Checkpoint& out) {
  out.format = Format::TorchLegacy;
  size_t at = kMagicBytes;
  auto next_pickle = [&](const char* what) {
    if (at > bytes.size()) throw format_error(out, std::string("truncated before the ") + what);
    Pickle p = unpickle(bytes.subspan(at), out.label + " (" + what + ")");
    at += p.consumed;
    return p;
  };
  Pickle protocol = next_pickle("protocol version");
  if (protocol.root->kind != PyKind::Int || protocol.root->integer != kProtocolVersion)
    throw format_error(out, "legacy protocol version is not 1001");
  Pickle sys_info = next_pickle("sys_info");
  bool little_endian = true;
  if (sys_info.root->kind == PyKind::Dict) {
    if (const PyValue* le = dict_get(*sys_info.root, "little_endian");
        le && le->kind == PyKind::Bool)
      little_endian = le->boolean;
  }
  Pickle object = next_pickle("object");
  Pickle keys = next_pickle("storage keys");
  if (keys.root->kind != PyKind::List)
    throw format_error(out, "legacy storage key list is missing");

  // Element types come from the persistent ids of the object pickle.
  std::unordered_map<std::string, const PyValue*> storage_types;
  for (const PyValue& v : object.arena) {
    if (v.kind == PyKind::Storage) storage_types.emplace(v.text, &v);
  }
  std::unordered_map<std::string, std::span<const std::byte>> storages;
  for (const PyValue* key : keys.root->items) {
    if (key->kind != PyKind::Str) throw format_error(out, "legacy storage key is not a string");
    auto type = storage_types.find(key->text);
    if (type == storage_types.end())
      throw format_error(
          out, "storage '" + key->text + "' is listed but no tensor uses it; cannot size it");
    if (bytes.size() - at < 8)
      throw format_error(out, "truncated at the size of storage '" + key->text + "'");
    uint64_t count = 0;
    for (int i = 0; i < 8; ++i) count |= uint64_t(uint8_t(bytes[at + i])) << (8 * i);
    at += 8;
    const uint64_t element_size = dtype_bits(type->second->dtype) / 8;
    uint64_t size = 0;
    if (count != static_cast<uint64_t>(type->second->integer) ||
        !checked_mul(count, element_size, &size))
      throw format_error(
          out, "storage '" + key->text + "' has a different size than its tensors declare");
    if (size > bytes.size() - at)
      throw format_error(out, "truncated inside storage '" + key->text + "'");
    std::span<const std::byte> data = bytes.subspan(at, static_cast<size_t>(size));
    at += static_cast<size_t>(size);
    if (!little_endian && element_size > 1) {
      auto swapped = byteswapped(data, element_size);
      data = {reinterpret_cast<const std::byte*>(swapped->data()), swapped->size()};
      out.buffers.push_back(std::move(swapped));
    }
    if (!storages.emplace(key->text, data).second)
      throw format_error(out, "storage '" + key->text + "' is listed twice");
  }

  for (const auto& [name, value] : state_dict_entries(*object.root, out)) {
    const PyValue& storage = *value->storage;
    auto found = storages.find(storage.text);
    if (found == storages.end())
      throw format_error(out, "tensor '" + name + "' uses a storage that is not in the file");
    Tensor tensor;
    tensor.name = name;
    tensor.dtype = value->dtype;
    tensor.shape = value->shape;
    tensor.strides = value->strides;
    tensor.offset = value->offset;
    tensor.storage = found->second;
    if (storage.view_numel) {
      const uint64_t element_size = dtype_bits(storage.dtype) / 8;
      uint64_t begin = 0;
      uint64_t length = 0;
      if (storage.view_offset < 0 || *storage.view_numel < 0 ||
          !checked_mul(static_cast<uint64_t>(storage.view_offset), element_size, &begin) ||
          !checked_mul(static_cast<uint64_t>(*storage.view_numel), element_size, &length) ||
          begin > tensor.storage.size() || length > tensor.storage.size() - begin)
        throw format_error(out, "tensor '" + name + "' views bytes outside its storage");
      tensor.storage =
          tensor.storage.subspan(static_cast<size_t>(begin), static_cast<size_t>(length));
    }
    check_tensor(tensor, out);
    out.tensors.push_back(std::move(tensor));
  }
}

}  // namespace oclip::convert
