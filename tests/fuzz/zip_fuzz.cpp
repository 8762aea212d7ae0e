// Any bytes as a zip archive: the directory either fails with Error(Format) or every entry
// lies inside the input, and reading it (inflating deflated ones) stays within its size.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "convert/zip_reader.h"
#include "core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    oclip::convert::ZipReader zip(bytes, "fuzz");
    for (const oclip::convert::ZipEntry& e : zip.entries()) {
      if (e.data_offset + e.compressed_size > size) std::abort();
      try {
        if (zip.read(e, 1 << 24).size() != e.size) std::abort();
      } catch (const oclip::Error& inner) {
        if (inner.kind() != oclip::ErrorKind::Format) std::abort();
      }
    }
  } catch (const oclip::Error& e) {
    if (e.kind() != oclip::ErrorKind::Format) std::abort();
  }
  return 0;
}
