// convert/tensor_writer.h — writing state dicts as open_clip_model.safetensors and as a
// torch.save zip (open_clip_pytorch_model.bin), streaming one tensor at a time.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "convert/tensor.h"

namespace oclip::convert {

// A tensor to write: name, type, shape, and a producer that hands exactly its C-order
// little-endian bytes to a sink, in pieces, so a writer never holds a whole model.
struct OutputTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::function<void(const ByteSink&)> produce;
  // Set when the bytes are exactly a range of an open file: the safetensors writer then
  // copies them in the kernel instead of calling `produce`.
  struct FileRange {
    int fd;
    uint64_t offset;
  };
  std::optional<FileRange> file_range;

  uint64_t nbytes() const;
};

// `source` as it is, or cast to `dtype` chunk by chunk (float types only).
OutputTensor output_tensor(const Tensor& source, std::string name, DType dtype);

using Metadata = std::vector<std::pair<std::string, std::string>>;

// Where a converted folder came from, kept in its safetensors __metadata__ so `validate` can
// pick its cross-check. open_clip ignores these keys.
struct SourceRecord {
  std::string format;     // format_name() of the source
  std::string file;       // the source path; only its base name is recorded
  std::string sha256;     // of the whole source file
  std::string family;     // mobileclip, big_vision, openai, open_clip
  std::string precision;  // fp32, fp16, bf16
};
// {"format": "pt"} plus oclip.source_format, oclip.source_file, oclip.source_sha256,
// oclip.family, oclip.precision and oclip.version.
Metadata source_metadata(const SourceRecord& record);

// The value of `key` in a folder's metadata, or "".
std::string metadata_value(const Metadata& metadata, std::string_view key);

// The source file a folder's record names, when it is at hand: `given` when set, else the
// recorded base name beside the folder or in the current directory. It must have the
// recorded sha256; otherwise `path` is empty and `problem` says why.
struct RecordedSource {
  std::filesystem::path path;
  std::string problem;
};
RecordedSource find_recorded_source(const Metadata& metadata, const std::filesystem::path& folder,
                                    const std::filesystem::path& given);

// A metadata value known only after the tensors are written (the source's sha256, hashed
// meanwhile): `length` characters reserved in the header, filled in by `value` at the end.
struct LateMetadata {
  std::string key;
  size_t length = 0;
  std::function<std::string()> value;
};

// Tensors ordered as the reference writer orders them (dtype, then name), so the same
// tensors give the same bytes as Python's safetensors; header padded to 8 bytes.
void write_safetensors(const std::filesystem::path& path, std::vector<OutputTensor> tensors,
                       const Metadata& metadata, const LateMetadata* late = nullptr);

// A torch.save zip that torch.load(weights_only=True) accepts from torch 1.13 on: one storage
// per tensor, in the given order, top folder named after the file's stem.
void write_torch_bin(const std::filesystem::path& path, const std::vector<OutputTensor>& tensors);

}  // namespace oclip::convert
