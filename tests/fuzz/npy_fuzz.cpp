// Any bytes as one .npy array: an Error(Format), or a tensor whose bytes lie in the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "convert/readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  for (bool big_vision : {false, true}) {
    oclip::convert::Checkpoint checkpoint;
    try {
      oclip::convert::Tensor t = oclip::convert::read_npy(bytes, "a", big_vision, checkpoint);
      oclip::convert::tensor_sha256(t);
    } catch (const oclip::Error& e) {
      if (e.kind() != oclip::ErrorKind::Format) std::abort();
    }
  }
  return 0;
}
