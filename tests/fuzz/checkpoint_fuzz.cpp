// Any bytes as a checkpoint: read_checkpoint_bytes either throws oclip::Error(Format) or
// returns tensors whose every byte (walked by strides) lies inside the input, which
// AddressSanitizer checks as each tensor is hashed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "convert/checkpoint.h"
#include "core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    oclip::convert::Checkpoint checkpoint = oclip::convert::read_checkpoint_bytes(bytes, "fuzz");
    for (const oclip::convert::Tensor& t : checkpoint.tensors) oclip::convert::tensor_sha256(t);
  } catch (const oclip::Error& e) {
    if (e.kind() != oclip::ErrorKind::Format) std::abort();
  }
  return 0;
}
