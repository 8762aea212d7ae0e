// checkpoint_tool: test helper around convert/ and the golden manifests.
//   checkpoint_tool regen MANIFEST OUT_FILE [--deflate]   write the source checkpoint from the PRNG
//   checkpoint_tool check MANIFEST FILE                   compare a checkpoint with its manifest
//   checkpoint_tool target TARGET_JSON FILE               compare a conversion with target.json
//   checkpoint_tool rewrite IN OUT [--dtype f16|bf16|f32|f64]
//                                                          read IN, write OUT (.safetensors or
//                                                          .bin)
#include <cstring>
#include <iostream>
#include <string>

#include "convert/checkpoint.h"
#include "convert/tensor_writer.h"
#include "core/error.h"
#include "tests/golden/golden.h"

namespace {

using namespace oclip;

int usage() {
  std::cerr << "usage: checkpoint_tool regen MANIFEST OUT [--deflate] | check MANIFEST FILE |"
               " rewrite IN OUT [--dtype T]\n";
  return 2;
}

int check(const std::string& manifest_path, const std::string& file) {
  const golden::Manifest manifest = golden::load_manifest(manifest_path);
  const convert::Checkpoint checkpoint = convert::read_checkpoint(file);
  const std::vector<std::string> problems = golden::compare(checkpoint, manifest);
  for (const std::string& p : problems) std::cerr << file << ": " << p << "\n";
  std::cout << file << ": " << checkpoint.tensors.size() << " tensors, " << problems.size()
            << " differences\n";
  return problems.empty() ? 0 : 1;
}

int rewrite(const std::string& in, const std::string& out, const char* dtype_name) {
  const convert::Checkpoint checkpoint = convert::read_checkpoint(in);
  std::vector<convert::OutputTensor> tensors;
  for (const convert::Tensor& t : checkpoint.tensors) {
    convert::DType dtype = t.dtype;
    if (dtype_name && convert::is_float(t.dtype)) dtype = *convert::dtype_from_name(dtype_name);
    tensors.push_back(convert::output_tensor(t, t.name, dtype));
  }
  if (out.ends_with(".safetensors")) {
    convert::write_safetensors(out, tensors, {{"format", "pt"}});
  } else {
    convert::write_torch_bin(out, tensors);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) return usage();
  const std::string command = argv[1];
  try {
    if (command == "regen") {
      const bool deflate = argc > 4 && std::strcmp(argv[4], "--deflate") == 0;
      golden::write_source(golden::load_manifest(argv[2]), argv[3], deflate);
      return 0;
    }
    if (command == "check") return check(argv[2], argv[3]);
    if (command == "target") {
      const std::vector<std::string> problems =
          golden::compare_target(convert::read_checkpoint(argv[3]), argv[2]);
      for (const std::string& p : problems) std::cerr << argv[3] << ": " << p << "\n";
      std::cout << argv[3] << ": " << problems.size() << " differences from " << argv[2] << "\n";
      return problems.empty() ? 0 : 1;
    }
    if (command == "rewrite") {
      const char* dtype = argc > 5 && std::strcmp(argv[4], "--dtype") == 0 ? argv[5] : nullptr;
      if (dtype && !convert::dtype_from_name(dtype)) return usage();
      return rewrite(argv[2], argv[3], dtype);
    }
  } catch (const Error& e) {
    std::cerr << "checkpoint_tool: " << e.what() << "\n";
    return 1;
  }
  return usage();
}
