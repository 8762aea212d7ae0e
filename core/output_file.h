// core/output_file.h — a file written in a stream that appears under its name only when done.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "core/interrupt.h"

namespace oclip {

// Writes to a unique temporary name beside `path`; commit() flushes, fsyncs and renames it
// onto `path`. Destroyed without commit() (an error, a crash in the producer), the temporary
// file is removed and `path` is untouched. Throws Error(Io) naming the path.
class OutputFile {
 public:
  explicit OutputFile(std::filesystem::path path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(std::span<const std::byte> bytes);
  void write(std::string_view bytes) {
    write({reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()});
  }
  // `length` bytes of another file from `offset`, copied by the kernel (copy_file_range)
  // where it can, without passing through this process.
  void copy_from(int fd, uint64_t offset, uint64_t length);
  // Overwrites bytes already written (a header whose last value was not known yet).
  void patch(uint64_t offset, std::string_view bytes);
  uint64_t position() const { return position_; }
  void commit();

 private:
  void flush();
  void write_all(std::span<const std::byte> bytes);

  std::filesystem::path path_;
  std::filesystem::path temp_;
  TemporaryPath registered_;  // removed if a signal ends oclip before commit()
  int fd_ = -1;
  uint64_t position_ = 0;
  std::vector<std::byte> buffer_;
};

}  // namespace oclip
