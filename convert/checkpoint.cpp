#include "convert/checkpoint.h"

#include <algorithm>
#include <cstring>

#include "convert/readers.h"
#include "core/error.h"

namespace oclip::convert {
namespace {

constexpr unsigned char kLegacyMagic[] = {0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46,
                                          0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E};

bool starts_with(std::span<const std::byte> bytes, const void* prefix, size_t n) {
  return bytes.size() >= n && std::memcmp(bytes.data(), prefix, n) == 0;
}

void read_zip(std::span<const std::byte> bytes, Checkpoint& out) {
  ZipReader zip(bytes, out.label);
  if (zip.entries().empty()) throw format_error(out, "zip archive has no entries");
  const std::string& first = zip.entries().front().name;
  const size_t slash = first.find('/');
  const std::string top = slash == std::string::npos ? "" : first.substr(0, slash);
  if (!top.empty() && (zip.find(top + "/data.pkl") || zip.find(top + "/constants.pkl"))) {
    out.archive_name = top;
    read_torch_zip(zip, out);
    return;
  }
  for (const ZipEntry& entry : zip.entries()) {
    if (entry.name.ends_with(".npy")) {
      out.format = Format::Npz;
      read_npz(zip, out);
      return;
    }
  }
  throw format_error(out,
                     "zip archive is neither a torch checkpoint (no <top>/data.pkl) nor an .npz");
}

}  // namespace

std::string_view format_name(Format format) {
  switch (format) {
    case Format::Safetensors:
      return "safetensors";
    case Format::TorchZip:
      return "torch-zip";
    case Format::TorchLegacy:
      return "torch-legacy";
    case Format::TorchScript:
      return "torchscript";
    case Format::Npz:
      return "npz";
    case Format::Npy:
      return "npy";
  }
  return "unknown";
}

const Tensor* Checkpoint::find(std::string_view name) const {
  for (const Tensor& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Error format_error(const Checkpoint& checkpoint, const std::string& problem) {
  return Error(ErrorKind::Format, checkpoint.label + ": " + problem).with_file(checkpoint.label);
}

void check_tensor(const Tensor& tensor, const Checkpoint& checkpoint) {
  try {
    check_tensor_bounds(tensor);
  } catch (const Error& e) {
    throw format_error(checkpoint, e.what());
  }
}

std::shared_ptr<const std::string> byteswapped(std::span<const std::byte> bytes,
                                               size_t element_size) {
  auto out =
      std::make_shared<std::string>(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (element_size > 1) {
    for (size_t at = 0; at + element_size <= out->size(); at += element_size)
      std::reverse(out->begin() + static_cast<ptrdiff_t>(at),
                   out->begin() + static_cast<ptrdiff_t>(at + element_size));
  }
  return out;
}

std::optional<Format> detect_format(std::span<const std::byte> head) {
  if (starts_with(head, "PK\x03\x04", 4)) return Format::TorchZip;  // refined by the records
  if (starts_with(head, kLegacyMagic, sizeof kLegacyMagic)) return Format::TorchLegacy;
  if (starts_with(head, "\x93NUMPY", 6)) return Format::Npy;
  if (head.size() >= 9 && head[8] == std::byte{'{'}) return Format::Safetensors;
  return std::nullopt;
}

Checkpoint read_checkpoint_bytes(std::span<const std::byte> bytes, std::string label) {
  Checkpoint out;
  out.label = std::move(label);
  std::optional<Format> format = detect_format(bytes);
  if (!format) {
    if (bytes.size() > 262 && std::memcmp(bytes.data() + 257, "ustar", 5) == 0)
      throw format_error(
          out, "the tar-based torch format of 2017 is not supported; re-save it with torch.save");
    throw format_error(out, bytes.empty()
                                ? "file is empty"
                                : "not a checkpoint oclip knows (safetensors, torch zip or legacy, "
                                  "TorchScript, .npz or .npy)");
  }
  out.format = *format;
  switch (*format) {
    case Format::Safetensors:
      read_safetensors(bytes, out);
      break;
    case Format::TorchLegacy:
      read_torch_legacy(bytes, out);
      break;
    case Format::Npy:
      out.tensors.push_back(read_npy(bytes, "array", false, out));
      break;
    default:
      read_zip(bytes, out);
      break;
  }
  return out;
}

Checkpoint read_checkpoint(const std::filesystem::path& path) {
  auto file = std::make_shared<const MappedFile>(path);
  Checkpoint out = read_checkpoint_bytes(file->bytes(), path.string());
  out.file = std::move(file);
  return out;
}

}  // namespace oclip::convert
