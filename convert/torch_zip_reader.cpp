// torch.save zip archives (<top>/data.pkl + <top>/data/<key>) and TorchScript archives
// (the same, plus constants.pkl and code/), read without LibTorch.
#include <charconv>
#include <unordered_map>
#include <unordered_set>

#include "convert/readers.h"

namespace oclip::convert {
namespace {

constexpr int kMaxModuleDepth = 200;

// __parameters__ and __buffers__ of `class Name(Module):` in a TorchScript code record.
std::unordered_set<std::string> declared_tensors(std::string_view code,
                                                 std::string_view class_name) {
  std::unordered_set<std::string> names;
  const std::string header = "class " + std::string(class_name) + "(Module):";
  size_t at = code.find(header);
  if (at == std::string_view::npos) return names;
  size_t end = code.find("\nclass ", at + header.size());
  std::string_view body =
      code.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
  for (std::string_view field : {"__parameters__ = [", "__buffers__ = ["}) {
    size_t start = body.find(field);
    if (start == std::string_view::npos) continue;
    start += field.size();
    size_t stop = body.find(']', start);
    std::string_view list = body.substr(start, stop - start);
    for (size_t q = list.find('"'); q != std::string_view::npos; q = list.find('"', q + 1)) {
      size_t close = list.find('"', q + 1);
      if (close == std::string_view::npos) break;
      names.emplace(list.substr(q + 1, close - q - 1));
      q = close;
    }
  }
  names.insert("");  // marks "the class was found"
  return names;
}

class TorchScriptWalker {
 public:
  TorchScriptWalker(const ZipReader& zip, Checkpoint& out) : zip_(zip), out_(out) {}

  std::vector<std::pair<std::string, const PyValue*>> walk(const PyValue& root) {
    if (root.kind != PyKind::Object)
      throw format_error(out_, "TorchScript data.pkl holds a " + describe(root) + ", not a module");
    visit(root, "", 0);
    if (undeclared_ > 0)
      out_.notes.push_back("class code not found for " + std::to_string(undeclared_) +
                           " modules; kept all their tensor attributes");
    if (dropped_ > 0)
      out_.notes.push_back("dropped " + std::to_string(dropped_) +
                           " tensor attributes that are neither parameters nor buffers");
    return std::move(entries_);
  }

 private:
  void visit(const PyValue& object, const std::string& prefix, int depth) {
    if (depth > kMaxModuleDepth)
      throw format_error(out_, "TorchScript modules nest too deeply (cycle?)");
    if (!object.state || object.state->kind != PyKind::Dict)
      throw format_error(out_, "TorchScript module " + object.text + " has a non-dict state");
    const std::unordered_set<std::string>& declared = declarations(object.text);
    for (const auto& [k, v] : object.state->entries) {
      if (k->kind != PyKind::Str) continue;
      if (v->kind == PyKind::Tensor) {
        if (declared.empty() || declared.count(k->text)) {
          entries_.emplace_back(prefix + k->text, v);
        } else {
          ++dropped_;
        }
      } else if (v->kind == PyKind::Object) {
        visit(*v, prefix + k->text + ".", depth + 1);
      }
    }
  }

  // "__torch__.clip.model.___torch_mangle_3.LayerNorm" ->
  // code/__torch__/clip/model/___torch_mangle_3.py
  const std::unordered_set<std::string>& declarations(const std::string& qualified) {
    auto cached = cache_.find(qualified);
    if (cached != cache_.end()) return cached->second;
    const size_t dot = qualified.rfind('.');
    std::string module = qualified.substr(0, dot);
    const std::string class_name = qualified.substr(dot + 1);
    for (char& c : module) c = c == '.' ? '/' : c;
    std::unordered_set<std::string> names;
    if (const ZipEntry* code = zip_.find(out_.archive_name + "/code/" + module + ".py")) {
      names = declared_tensors(zip_.read(*code, 64 << 20), class_name);
    }
    if (names.empty()) ++undeclared_;
    return cache_.emplace(qualified, std::move(names)).first->second;
  }

  const ZipReader& zip_;
  Checkpoint& out_;
  std::vector<std::pair<std::string, const PyValue*>> entries_;
  std::unordered_map<std::string, std::unordered_set<std::string>> cache_;
  size_t undeclared_ = 0;
  size_t dropped_ = 0;
};

void check_version(const ZipReader& zip, const Checkpoint& out) {
  const ZipEntry* version = zip.find(out.archive_name + "/.data/version");
  if (!version) version = zip.find(out.archive_name + "/version");
  if (!version) throw format_error(out, "archive has no version record");
  std::string text = zip.read(*version, 64);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1)
    throw format_error(out,
                       "version record '" + text.substr(0, 20) + "' is not a positive integer");
}

}  // namespace

void read_torch_zip(const ZipReader& zip, Checkpoint& out) {
  const std::string& top = out.archive_name;
  check_version(zip, out);
  const bool torchscript = zip.find(top + "/constants.pkl") != nullptr;
  out.format = torchscript ? Format::TorchScript : Format::TorchZip;
  const ZipEntry* pickle_entry = zip.find(top + "/data.pkl");
  if (!pickle_entry) throw format_error(out, "archive has no " + top + "/data.pkl");

  bool big_endian = false;
  if (const ZipEntry* order = zip.find(top + "/byteorder")) {
    const std::string text = zip.read(*order, 16);
    if (text != "little" && text != "big")
      throw format_error(out, "byteorder record says '" + text + "'");
    big_endian = text == "big";
  }

  const std::string pickle_bytes = zip.read(*pickle_entry, 1u << 30);
  PickleOptions options;
  options.allow_torchscript = torchscript;
  Pickle pickle =
      unpickle({reinterpret_cast<const std::byte*>(pickle_bytes.data()), pickle_bytes.size()},
               out.label + " (" + top + "/data.pkl)", options);
  std::vector<std::pair<std::string, const PyValue*>> entries =
      torchscript ? TorchScriptWalker(zip, out).walk(*pickle.root)
                  : state_dict_entries(*pickle.root, out);

  std::unordered_map<std::string, std::span<const std::byte>> storages;
  for (const auto& [name, value] : entries) {
    const PyValue& storage = *value->storage;
    auto found = storages.find(storage.text);
    if (found == storages.end()) {
      const ZipEntry* record = zip.find(top + "/data/" + storage.text);
      if (!record)
        throw format_error(out, "tensor '" + name + "' needs storage record data/" + storage.text +
                                    ", which is missing");
      std::span<const std::byte> bytes;
      if (record->method == 0) {
        bytes = zip.stored_bytes(*record);
      } else {
        auto inflated = std::make_shared<const std::string>(zip.read(*record));
        bytes = {reinterpret_cast<const std::byte*>(inflated->data()), inflated->size()};
        out.buffers.push_back(std::move(inflated));
      }
      const uint64_t element_size = dtype_bits(storage.dtype) / 8;
      uint64_t needed = 0;
      if (!checked_mul(static_cast<uint64_t>(storage.integer), element_size, &needed) ||
          bytes.size() < needed)
        throw format_error(out, "storage data/" + storage.text + " has " +
                                    std::to_string(bytes.size()) +
                                    " bytes, fewer than its declared size");
      bytes = bytes.first(static_cast<size_t>(needed));
      if (big_endian && element_size > 1) {
        auto swapped = byteswapped(bytes, element_size);
        bytes = {reinterpret_cast<const std::byte*>(swapped->data()), swapped->size()};
        out.buffers.push_back(std::move(swapped));
      }
      found = storages.emplace(storage.text, bytes).first;
    }
    Tensor tensor;
    tensor.name = name;
    tensor.dtype = value->dtype;
    tensor.shape = value->shape;
    tensor.strides = value->strides;
    tensor.offset = value->offset;
    tensor.storage = found->second;
    if (big_endian && tensor.dtype != storage.dtype)
      throw format_error(out,
                         "tensor '" + name + "' reinterprets a big-endian storage; not supported");
    check_tensor(tensor, out);
    out.tensors.push_back(std::move(tensor));
  }
}

}  // namespace oclip::convert
