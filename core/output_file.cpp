#include "core/output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "core/file_io.h"

namespace oclip {
namespace {

constexpr size_t kBufferBytes = 4 << 20;

Error io_error(const std::string& what, const std::filesystem::path& path) {
  return Error(ErrorKind::Io, what + " " + path.string() + ": " + std::strerror(errno))
      .with_file(path.string());
}

std::filesystem::path temporary_name(const std::filesystem::path& path) {
  std::filesystem::path temp = path;
  temp += ".oclip-" + random_hex(16) + ".tmp";
  return temp;
}

}  // namespace

OutputFile::OutputFile(std::filesystem::path path)
    : path_(std::move(path)), temp_(temporary_name(path_)), registered_(temp_) {
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) throw io_error("cannot create", temp_);
  buffer_.reserve(kBufferBytes);
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(temp_.c_str());
  }
}

void OutputFile::write(std::span<const std::byte> bytes) {
  position_ += bytes.size();
  if (buffer_.size() + bytes.size() > kBufferBytes) flush();
  if (bytes.size() >= kBufferBytes) {
    write_all(bytes);
  } else {
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  }
}

void OutputFile::flush() {
  write_all(buffer_);
  buffer_.clear();
}

void OutputFile::write_all(std::span<const std::byte> bytes) {
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw io_error("cannot write", temp_);
    written += static_cast<size_t>(n);
  }
}

void OutputFile::copy_from(int fd, uint64_t offset, uint64_t length) {
  flush();
  auto in = static_cast<off64_t>(offset);
  uint64_t left = length;
  while (left > 0) {
    const ssize_t n = ::copy_file_range(fd, &in, fd_, nullptr,
                                        static_cast<size_t>(std::min<uint64_t>(left, 1 << 30)), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // not supported here (or end of file): fall back to reading
    left -= static_cast<uint64_t>(n);
  }
  std::vector<std::byte> chunk(std::min<uint64_t>(left, 1 << 20));
  while (left > 0) {
    const ssize_t n =
        ::pread(fd, chunk.data(), static_cast<size_t>(std::min<uint64_t>(left, chunk.size())), in);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw io_error("cannot read the source of", path_);
    write_all(std::span<const std::byte>(chunk.data(), static_cast<size_t>(n)));
    in += n;
    left -= static_cast<uint64_t>(n);
  }
  position_ += length;
}

void OutputFile::patch(uint64_t offset, std::string_view bytes) {
  flush();
  if (::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(offset)) !=
      static_cast<ssize_t>(bytes.size()))
    throw io_error("cannot write", temp_);
}

void OutputFile::commit() {
  flush();
  if (::fsync(fd_) != 0) throw io_error("cannot flush", temp_);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    ::unlink(temp_.c_str());
    throw io_error("cannot close", temp_);
  }
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    Error error = io_error("cannot rename onto", path_);
    ::unlink(temp_.c_str());
    throw error;
  }
  registered_.release();
}

}  // namespace oclip
