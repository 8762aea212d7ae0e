#include "tests/golden/golden.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "convert/cast.h"
#include "convert/zip_writer.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/output_file.h"

namespace oclip::golden {
namespace {

constexpr uint64_t kChunkElements = 1 << 20;

convert::DType manifest_dtype(const std::string& name) {
  if (name == "float32") return convert::DType::F32;
  if (name == "float16") return convert::DType::F16;
  if (name == "int64") return convert::DType::I64;
  throw Error(ErrorKind::Format, "manifest dtype '" + name + "' is not one the golden files use");
}

std::string npy_descr(convert::DType dtype) {
  switch (dtype) {
    case convert::DType::F32:
      return "<f4";
    case convert::DType::F16:
      return "<f2";
    default:
      return "<i8";
  }
}

// numpy's v1 header: the dict literal padded with spaces so data starts at a multiple of 64.
std::string npy_header(const ManifestTensor& t) {
  std::string shape = "(";
  for (size_t i = 0; i < t.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(t.shape[i]);
  if (t.shape.size() == 1) shape += ",";
  shape += ")";
  std::string dict =
      "{'descr': '" + npy_descr(t.dtype) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  const size_t total = (10 + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - 10 - dict.size() - 1, ' ');
  dict.push_back('\n');
  std::string header = "\x93NUMPY\x01";
  header.push_back('\0');
  header.push_back(static_cast<char>(dict.size() & 0xFF));
  header.push_back(static_cast<char>(dict.size() >> 8));
  return header + dict;
}

}  // namespace

Manifest load_manifest(const std::filesystem::path& path) {
  const nlohmann::json j = nlohmann::json::parse(read_file(path));
  Manifest m;
  m.case_name = j.value("case", "");
  m.source_format = j.at("source_format");
  m.source_file = j.at("source_file");
  for (const auto& t : j.at("tensors")) {
    ManifestTensor mt;
    mt.name = t.at("name");
    mt.dtype = manifest_dtype(t.at("dtype"));
    mt.shape = t.at("shape").get<std::vector<int64_t>>();
    mt.scale = t.at("scale");
    mt.offset = t.at("offset");
    mt.const_value = t.value("const", int64_t{0});
    mt.sha256 = t.at("sha256");
    m.tensors.push_back(std::move(mt));
  }
  return m;
}

convert::OutputTensor prng_tensor(const ManifestTensor& t) {
  convert::OutputTensor out{t.name, t.dtype, t.shape, nullptr, {}};
  const ManifestTensor* spec = &t;
  out.produce = [spec](const convert::ByteSink& sink) {
    uint64_t numel = 1;
    for (int64_t d : spec->shape) numel *= static_cast<uint64_t>(d);
    const uint64_t seed = fnv1a64(spec->name);
    std::vector<std::byte> buffer;
    for (uint64_t start = 0; start < numel; start += kChunkElements) {
      const uint64_t end = std::min(numel, start + kChunkElements);
      buffer.resize((end - start) * (convert::dtype_bits(spec->dtype) / 8));
      std::byte* p = buffer.data();
      for (uint64_t i = start; i < end; ++i) {
        if (spec->dtype == convert::DType::I64) {
          std::memcpy(p, &spec->const_value, 8);
          p += 8;
          continue;
        }
        const auto f = static_cast<float>(prng_value(seed, i, spec->scale, spec->offset));
        if (spec->dtype == convert::DType::F16) {
          const uint16_t h = convert::f32_to_f16(f);
          std::memcpy(p, &h, 2);
          p += 2;
        } else {
          std::memcpy(p, &f, 4);
          p += 4;
        }
      }
      sink(buffer);
    }
  };
  return out;
}

void write_source(const Manifest& manifest, const std::filesystem::path& file, bool deflate) {
  std::vector<convert::OutputTensor> tensors;
  for (const ManifestTensor& t : manifest.tensors) tensors.push_back(prng_tensor(t));
  if (manifest.source_format == "torch-zip-state-dict") {
    convert::write_torch_bin(file, tensors);
    return;
  }
  if (manifest.source_format != "big_vision-npz")
    throw Error(ErrorKind::Unsupported,
                manifest.source_format + " sources cannot be written without LibTorch");
  OutputFile out(file);
  convert::ZipWriter zip(out);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const std::string header = npy_header(manifest.tensors[i]);
    const convert::OutputTensor& t = tensors[i];
    zip.add(
        t.name + ".npy", header.size() + t.nbytes(),
        [&](const convert::ByteSink& sink) {
          sink({reinterpret_cast<const std::byte*>(header.data()), header.size()});
          t.produce(sink);
        },
        deflate);
  }
  zip.finish();
  out.commit();
}

std::vector<std::string> compare(const convert::Checkpoint& checkpoint, const Manifest& manifest) {
  std::vector<std::string> problems;
  if (checkpoint.tensors.size() != manifest.tensors.size())
    problems.push_back("tensor count " + std::to_string(checkpoint.tensors.size()) +
                       " != manifest " + std::to_string(manifest.tensors.size()));
  const size_t n = std::min(checkpoint.tensors.size(), manifest.tensors.size());
  for (size_t i = 0; i < n; ++i) {
    const convert::Tensor& got = checkpoint.tensors[i];
    const ManifestTensor& want = manifest.tensors[i];
    const std::string where = "#" + std::to_string(i) + " " + want.name + ": ";
    if (got.name != want.name) problems.push_back(where + "name is " + got.name);
    if (got.dtype != want.dtype)
      problems.push_back(where + "dtype is " + std::string(convert::dtype_name(got.dtype)));
    if (got.shape != want.shape)
      problems.push_back(where + "shape differs");
    else if (convert::tensor_sha256(got) != want.sha256)
      problems.push_back(where + "sha256 differs");
  }
  return problems;
}

std::vector<std::string> compare_target(const convert::Checkpoint& checkpoint,
                                        const std::filesystem::path& target_json) {
  const nlohmann::json target = nlohmann::json::parse(read_file(target_json));
  std::vector<std::string> problems;
  std::set<std::string> expected;
  for (const auto& t : target.at("tensors")) {
    const std::string name = t.at("name");
    expected.insert(name);
    const convert::Tensor* got = checkpoint.find(name);
    if (!got) {
      problems.push_back("missing " + name);
      continue;
    }
    if (got->dtype != manifest_dtype(t.at("dtype")))
      problems.push_back(name + ": dtype " + std::string(convert::dtype_name(got->dtype)));
    else if (got->shape != t.at("shape").get<std::vector<int64_t>>())
      problems.push_back(name + ": shape differs");
    else if (convert::tensor_sha256(*got) != t.at("sha256"))
      problems.push_back(name + ": sha256 differs");
  }
  for (const convert::Tensor& t : checkpoint.tensors) {
    if (!expected.count(t.name)) problems.push_back("unexpected " + t.name);
  }
  return problems;
}

}  // namespace oclip::golden
