// core/mapped_file.h — a read-only memory map of a whole file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>

namespace oclip {

// Maps the file read-only; pages are read only when touched, so a multi-GB checkpoint whose
// headers alone are parsed costs a few pages. Throws Error(Io) naming the path.
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::filesystem::path& path() const { return path_; }

  int fd() const { return fd_; }
  // Where `range` starts in the file, when it lies inside the mapping.
  std::optional<uint64_t> offset_of(std::span<const std::byte> range) const;

  // Drops the pages of a range once it has been used, so reading a whole multi-GB file does
  // not keep it all resident; a later access simply reads it again. A range outside bytes() is
  // ignored.
  void release(std::span<const std::byte> range) const;

 private:
  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
  int fd_ = -1;
};

}  // namespace oclip
