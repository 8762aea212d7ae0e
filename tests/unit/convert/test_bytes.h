// Helpers for building checkpoint bytes by hand in tests.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "convert/checkpoint.h"

namespace oclip::convert {

inline std::span<const std::byte> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

inline std::string le64(uint64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return out;
}

// The checkpoint keeps its own copy of the bytes its tensors point into.
inline Checkpoint read_bytes(const std::string& bytes) {
  auto owned = std::make_shared<const std::string>(bytes);
  Checkpoint checkpoint = read_checkpoint_bytes(as_bytes(*owned), "test.bin");
  checkpoint.buffers.push_back(std::move(owned));
  return checkpoint;
}

// The message of the Error(Format) that reading `bytes` throws, or "no error".
inline std::string format_error_of(const std::string& bytes) {
  try {
    read_bytes(bytes);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Format) return std::string("wrong kind: ") + e.what();
    return e.what();
  }
  return "no error";
}

}  // namespace oclip::convert
