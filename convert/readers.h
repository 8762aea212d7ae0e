// convert/readers.h — the per-format readers behind read_checkpoint (not a public header).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "convert/checkpoint.h"
#include "convert/pickle.h"
#include "convert/zip_reader.h"
#include "core/error.h"

namespace oclip::convert {

void read_safetensors(std::span<const std::byte> bytes, Checkpoint& out);
void read_torch_zip(const ZipReader& zip, Checkpoint& out);  // torch.save and TorchScript
void read_torch_legacy(std::span<const std::byte> bytes, Checkpoint& out);
void read_npz(const ZipReader& zip, Checkpoint& out);
// One .npy array named `name`; `big_vision` reads 2-byte voids as bf16.
Tensor read_npy(std::span<const std::byte> bytes, std::string name, bool big_vision,
                Checkpoint& out);

// The (name, tensor) pairs of a pickled state dict, after unwrapping {'state_dict': ...} /
// {'model': ...} and removing a 'module.' prefix; records what it did in `out`.
std::vector<std::pair<std::string, const PyValue*>> state_dict_entries(const PyValue& root,
                                                                       Checkpoint& out);

// A copy of `bytes` with every `element_size`-byte element reversed (big-endian sources).
std::shared_ptr<const std::string> byteswapped(std::span<const std::byte> bytes,
                                               size_t element_size);

Error format_error(const Checkpoint& checkpoint, const std::string& problem);
// check_tensor_bounds with the file named in the error.
void check_tensor(const Tensor& tensor, const Checkpoint& checkpoint);

}  // namespace oclip::convert
