// Any bytes as safetensors (the format check skipped): an Error(Format), or tensors that
// tile the data section exactly.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "convert/readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  oclip::convert::Checkpoint checkpoint;
  try {
    oclip::convert::read_safetensors(bytes, checkpoint);
    uint64_t total = 0;
    for (const oclip::convert::Tensor& t : checkpoint.tensors) {
      total += t.storage.size();
      oclip::convert::tensor_sha256(t);
    }
    if (total > size) std::abort();
  } catch (const oclip::Error& e) {
    if (e.kind() != oclip::ErrorKind::Format) std::abort();
  }
  return 0;
}
