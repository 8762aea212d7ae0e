#include "convert/tensor_writer.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "convert/cast.h"
#include "convert/zip_writer.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/mapped_file.h"
#include "core/output_file.h"
#include "core/version.h"

namespace oclip::convert {
namespace {

// The reference writer's order: larger dtype ranks first.
int safetensors_rank(DType dtype) {
  switch (dtype) {
    case DType::U64:
      return 0;
    case DType::I64:
      return 1;
    case DType::F64:
      return 2;
    case DType::C64:
      return 3;
    case DType::F32:
      return 4;
    case DType::U32:
      return 5;
    case DType::I32:
      return 6;
    case DType::BF16:
      return 7;
    case DType::F16:
      return 8;
    case DType::U16:
      return 9;
    case DType::I16:
      return 10;
    case DType::F8_E4M3:
    case DType::F8_E5M2:
    case DType::F8_E8M0:
    case DType::F8_E4M3FNUZ:
    case DType::F8_E5M2FNUZ:
      return 11;
    case DType::I8:
      return 12;
    case DType::U8:
      return 13;
    case DType::F6_E2M3:
    case DType::F6_E3M2:
    case DType::F4:
      return 14;
    case DType::Bool:
      return 15;
    case DType::C128:
      return 16;
  }
  return 17;
}

// Runs a producer and checks it handed over exactly the declared byte count.
void produce_exactly(const OutputTensor& tensor, OutputFile& file) {
  uint64_t written = 0;
  tensor.produce([&](std::span<const std::byte> bytes) {
    written += bytes.size();
    file.write(bytes);
  });
  if (written != tensor.nbytes())
    throw Error(ErrorKind::Io, "tensor '" + tensor.name + "' produced " + std::to_string(written) +
                                   " bytes instead of " + std::to_string(tensor.nbytes()));
}

// --- a minimal protocol-2 pickle, using only globals the weights-only loader allows ---
class PickleWriter {
 public:
  std::string take() { return std::move(out_); }
  void op(char code) { out_.push_back(code); }
  void global(std::string_view module, std::string_view name) {
    op('c');
    out_.append(module).push_back('\n');
    out_.append(name).push_back('\n');
  }
  void str(std::string_view s) {
    op('X');
    put(s.size(), 4);
    out_.append(s);
  }
  void integer(uint64_t v) {
    if (v < 256) {
      op('K');
      put(v, 1);
    } else if (v < 65536) {
      op('M');
      put(v, 2);
    } else if (v < (uint64_t{1} << 31)) {
      op('J');
      put(v, 4);
    } else {
      op('\x8a');  // LONG1, two's complement: 8 bytes plus a zero byte keeps it positive
      put(9, 1);
      put(v, 8);
      put(0, 1);
    }
  }
  void int_tuple(const std::vector<int64_t>& values) {
    if (values.empty()) {
      op(')');
      return;
    }
    op('(');
    for (int64_t v : values) integer(static_cast<uint64_t>(v));
    op('t');
  }
  void empty_ordered_dict() {
    global("collections", "OrderedDict");
    op(')');
    op('R');
  }

 private:
  void put(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  std::string out_;
};

std::string state_dict_pickle(const std::vector<OutputTensor>& tensors) {
  PickleWriter p;
  p.op('\x80');
  p.op('\x02');
  p.empty_ordered_dict();
  constexpr size_t kBatch = 1000;  // as Python batches SETITEMS
  for (size_t i = 0; i < tensors.size(); ++i) {
    const OutputTensor& t = tensors[i];
    if (i % kBatch == 0) p.op('(');
    p.str(t.name);
    p.global("torch._utils", "_rebuild_tensor_v2");
    p.op('(');
    p.op('(');
    p.str("storage");
    p.global("torch", torch_storage_name(t.dtype));
    p.str(std::to_string(i));
    p.str("cpu");
    uint64_t numel = 1;
    for (int64_t d : t.shape) numel *= static_cast<uint64_t>(d);
    p.integer(numel);
    p.op('t');
    p.op('Q');  // BINPERSID
    p.integer(0);
    p.int_tuple(t.shape);
    p.int_tuple(contiguous_strides(t.shape));
    p.op('\x89');  // NEWFALSE: requires_grad
    p.empty_ordered_dict();
    p.op('t');
    p.op('R');
    if (i % kBatch == kBatch - 1 || i + 1 == tensors.size()) p.op('u');
  }
  p.op('.');
  return p.take();
}

}  // namespace

uint64_t OutputTensor::nbytes() const {
  uint64_t n = dtype_bits(dtype);
  for (int64_t d : shape) n *= static_cast<uint64_t>(d);
  return n / 8;
}

OutputTensor output_tensor(const Tensor& source, std::string name, DType dtype) {
  OutputTensor out{std::move(name), dtype, source.shape, nullptr, {}};
  const Tensor* from = &source;
  if (dtype == source.dtype) {
    out.produce = [from](const ByteSink& sink) { for_each_chunk(*from, sink); };
  } else {
    if (!is_float(source.dtype) || !is_float(dtype))
      throw Error(ErrorKind::Unsupported,
                  "tensor '" + source.name + "' is " + std::string(dtype_name(source.dtype)) +
                      " and cannot become " + std::string(dtype_name(dtype)));
    out.produce = [from, dtype](const ByteSink& sink) {
      std::vector<std::byte> converted;
      for_each_chunk(*from, [&](std::span<const std::byte> bytes) {
        converted.clear();
        cast_elements(from->dtype, bytes, dtype, converted);
        sink(converted);
      });
    };
  }
  return out;
}

Metadata source_metadata(const SourceRecord& record) {
  return {{"format", "pt"},
          {"oclip.source_format", record.format},
          {"oclip.source_file", std::filesystem::path(record.file).filename().string()},
          {"oclip.source_sha256", record.sha256},
          {"oclip.family", record.family},
          {"oclip.precision", record.precision},
          {"oclip.version", kVersion}};
}

std::string metadata_value(const Metadata& metadata, std::string_view key) {
  for (const auto& [k, v] : metadata)
    if (k == key) return v;
  return "";
}

RecordedSource find_recorded_source(const Metadata& metadata, const std::filesystem::path& folder,
                                    const std::filesystem::path& given) {
  namespace fs = std::filesystem;
  const std::string recorded = metadata_value(metadata, "oclip.source_file");
  fs::path path = given;
  if (path.empty() && !recorded.empty()) {
    for (const fs::path& dir : {fs::absolute(folder).parent_path(), fs::current_path()})
      if (fs::is_regular_file(dir / recorded)) path = dir / recorded;
  }
  if (path.empty())
    return {{},
            recorded.empty() ? "the weights record no source file"
                             : "the source " + recorded + " is not at hand (pass --source FILE)"};
  if (!fs::is_regular_file(path)) return {{}, "no such file: " + path.string()};
  if (sha256_hex(MappedFile(path).bytes()) != metadata_value(metadata, "oclip.source_sha256"))
    return {{}, path.string() + " is not the file this folder was converted from (sha256 differs)"};
  return {path, ""};
}

void write_safetensors(const std::filesystem::path& path, std::vector<OutputTensor> tensors,
                       const Metadata& metadata, const LateMetadata* late) {
  std::stable_sort(tensors.begin(), tensors.end(),
                   [](const OutputTensor& a, const OutputTensor& b) {
                     const int ra = safetensors_rank(a.dtype), rb = safetensors_rank(b.dtype);
                     return ra != rb ? ra < rb : a.name < b.name;
                   });
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  const std::string placeholder(late ? late->length : 0, '0');
  if (!metadata.empty() || late) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata) meta[k] = v;
    if (late) meta[late->key] = placeholder;
    header["__metadata__"] = meta;
  }
  uint64_t offset = 0;
  for (const OutputTensor& t : tensors) {
    if (safetensors_name(t.dtype).empty())
      throw Error(ErrorKind::Unsupported,
                  "safetensors has no dtype for " + std::string(dtype_name(t.dtype)));
    if (header.contains(t.name))
      throw Error(ErrorKind::Usage, "tensor name '" + t.name + "' appears twice");
    const uint64_t end = offset + t.nbytes();
    header[t.name] = {
        {"dtype", safetensors_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string text = header.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::strict);
  text.append((8 - text.size() % 8) % 8, ' ');

  OutputFile file(path);
  std::string length(8, '\0');
  for (int i = 0; i < 8; ++i)
    length[i] = static_cast<char>((uint64_t(text.size()) >> (8 * i)) & 0xFF);
  file.write(length);
  file.write(text);
  for (const OutputTensor& t : tensors) {
    if (t.file_range) {
      file.copy_from(t.file_range->fd, t.file_range->offset, t.nbytes());
    } else {
      produce_exactly(t, file);
    }
  }
  if (late) {
    const std::string value = late->value();
    const std::string slot = nlohmann::ordered_json(late->key).dump() + ":\"" + placeholder + "\"";
    const size_t at = text.find(slot);
    if (value.size() != late->length || at == std::string::npos)
      throw Error(ErrorKind::Io,
                  "metadata value for '" + late->key + "' does not fit its reserved space");
    file.patch(8 + at + slot.size() - 1 - placeholder.size(), value);
  }
  file.commit();
}

void write_torch_bin(const std::filesystem::path& path, const std::vector<OutputTensor>& tensors) {
  for (const OutputTensor& t : tensors) {
    if (torch_storage_name(t.dtype).empty())
      throw Error(ErrorKind::Unsupported,
                  "torch has no storage type for " + std::string(dtype_name(t.dtype)));
  }
  std::string top = path.stem().string();
  if (top.empty()) top = "archive";
  OutputFile file(path);
  ZipWriter zip(file);
  zip.add(top + "/data.pkl", state_dict_pickle(tensors));
  zip.add(top + "/byteorder", "little");
  for (size_t i = 0; i < tensors.size(); ++i) {
    const OutputTensor& t = tensors[i];
    const std::string name = top + "/data/" + std::to_string(i);
    if (t.file_range) {
      zip.add_copy(name, t.nbytes(), t.produce, t.file_range->fd, t.file_range->offset);
    } else {
      zip.add(name, t.nbytes(), t.produce);
    }
  }
  zip.add(top + "/version", "3\n");
  zip.finish();
  file.commit();
}

}  // namespace oclip::convert
