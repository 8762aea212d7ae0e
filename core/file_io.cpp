#include "core/file_io.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "core/error.h"

namespace oclip {
namespace {

Error io_error(const std::string& what, const std::filesystem::path& path) {
  return Error(ErrorKind::Io, what + " " + path.string() + ": " + std::strerror(errno))
      .with_file(path.string());
}

}  // namespace

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

bool owner_is_gone(const std::string& host, long pid) {
  return host == host_name() && pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 &&
         errno == ESRCH;
}

std::string random_hex(size_t length) {
  static thread_local std::mt19937_64 random(std::random_device{}());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < length; ++i) out.push_back(kHex[random() & 15]);
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error("cannot open", path);
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw io_error("cannot read", path);
  return std::move(content).str();
}

void write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  std::filesystem::path temp = path;
  temp += ".oclip-" + random_hex(16) + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw io_error("cannot create", temp);
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error error = io_error("cannot write", temp);
      ::close(fd);
      ::unlink(temp.c_str());
      throw error;
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    Error error = io_error("cannot flush", temp);
    ::unlink(temp.c_str());
    throw error;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    Error error = io_error("cannot rename onto", path);
    ::unlink(temp.c_str());
    throw error;
  }
}

}  // namespace oclip
