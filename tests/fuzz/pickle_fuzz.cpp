// Any bytes as a pickle, read both as a state dict and as a TorchScript module graph: the
// interpreter either throws oclip::Error(Format) or returns a value; it never runs anything.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "convert/readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  for (bool torchscript : {false, true}) {
    try {
      oclip::convert::PickleOptions options;
      options.allow_torchscript = torchscript;
      oclip::convert::Pickle pickle = oclip::convert::unpickle(bytes, "fuzz", options);
      oclip::convert::describe(*pickle.root);
      oclip::convert::Checkpoint checkpoint;
      oclip::convert::state_dict_entries(*pickle.root, checkpoint);
    } catch (const oclip::Error& e) {
      if (e.kind() != oclip::ErrorKind::Format) std::abort();
    }
  }
  return 0;
}
