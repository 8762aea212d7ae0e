#include "core/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "core/error.h"

namespace oclip {
namespace {

Error io_error(const std::string& what, const std::filesystem::path& path) {
  return Error(ErrorKind::Io, what + " " + path.string() + ": " + std::strerror(errno))
      .with_file(path.string());
}

}  // namespace

MappedFile::MappedFile(const std::filesystem::path& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw io_error("cannot open", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Error error = io_error("cannot stat", path);
    ::close(fd);
    throw error;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    // A folder or device where a file was expected: the command line's mistake.
    throw Error(ErrorKind::Usage, path.string() + (S_ISDIR(st.st_mode) ? " is a folder, not a file"
                                                                       : " is not a regular file"))
        .with_file(path.string());
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* map = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      Error error = io_error("cannot map", path);
      ::close(fd);
      throw error;
    }
    data_ = static_cast<const std::byte*>(map);
  }
  fd_ = fd;
}

std::optional<uint64_t> MappedFile::offset_of(std::span<const std::byte> range) const {
  if (range.data() < data_ || range.data() + range.size() > data_ + size_) return std::nullopt;
  return static_cast<uint64_t>(range.data() - data_);
}

void MappedFile::release(std::span<const std::byte> range) const {
  // Only pages of this mapping: madvise on other memory would discard it.
  if (range.empty() || range.data() < data_ || range.data() + range.size() > data_ + size_) return;
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = (reinterpret_cast<uintptr_t>(range.data()) + page - 1) / page * page;
  const auto end = reinterpret_cast<uintptr_t>(range.data() + range.size()) / page * page;
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace oclip
