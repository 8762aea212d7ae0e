// convert/checkpoint.h — open any supported checkpoint and get its state dict as tensor views.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "convert/tensor.h"
#include "core/mapped_file.h"

namespace oclip::convert {

enum class Format { Safetensors, TorchZip, TorchLegacy, TorchScript, Npz, Npy };
std::string_view format_name(Format format);  // "safetensors", "torch-zip", ...

struct Checkpoint {
  Format format = Format::Safetensors;
  std::string label;            // the file, for messages
  std::vector<Tensor> tensors;  // in file / state-dict order
  std::string wrapper;          // where the state dict was: "" (top level), "state_dict", "model"
  std::string stripped_prefix;  // "module." (DDP) or "_orig_mod." (torch.compile) when removed
  std::string archive_name;     // a zip archive's top folder
  std::vector<std::pair<std::string, std::string>> metadata;  // safetensors __metadata__
  std::vector<std::string> notes;  // what was skipped or assumed, for `inspect` and converters

  // What the tensor views point into.
  std::shared_ptr<const MappedFile> file;
  std::vector<std::shared_ptr<const std::string>> buffers;

  const Tensor* find(std::string_view name) const;
};

// The format from the first bytes, or nothing (§0.3 of the conversions spec).
std::optional<Format> detect_format(std::span<const std::byte> head);

// Maps the file and reads only headers and pickles; tensor bytes stay on disk until used
// (deflated .npz members and byte-swapped files are the exceptions: they are decoded into
// memory). Throws Error(Format) naming the file and the problem, Error(Io) when unreadable.
Checkpoint read_checkpoint(const std::filesystem::path& path);

// The same on bytes the caller keeps alive for as long as the result is used.
Checkpoint read_checkpoint_bytes(std::span<const std::byte> bytes, std::string label);

}  // namespace oclip::convert
