#include "hub/blob_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>

#include "core/error.h"
#include "core/file_io.h"

namespace oclip::hub {
namespace {

// The lock is held, yet the oclip that wrote its holder line ("pid N on HOST", as written
// below; Python writes nothing) is gone: a leaked descriptor or a file system that keeps locks
// of dead clients. Waiting would not help.
bool held_by_dead_process(const std::string& holder) {
  const size_t on = holder.find(" on ");
  if (holder.rfind("pid ", 0) != 0 || on == std::string::npos) return false;
  const std::string digits = holder.substr(4, on - 4);
  if (digits.empty() || digits.size() > 9 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  return owner_is_gone(holder.substr(on + 4), std::stol(digits));
}

}  // namespace

BlobLock BlobLock::acquire(const std::filesystem::path& path, double timeout_s, Clock& clock,
                           const std::function<void(const std::string&)>& waiting) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  // 0664 like huggingface_hub, so users sharing a cache can wait on each other.
  mode_t old_mask = ::umask(0002);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0664);
  ::umask(old_mask);
  if (fd < 0) return BlobLock(-1);
  double started = clock.now_s();
  bool told = false;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR)
      return BlobLock(fd);  // no flock here: go on unlocked
    double waited = clock.now_s() - started;
    if (waited > timeout_s) {
      ::close(fd);
      throw Error(ErrorKind::Conflict, "lock " + path.string() + " still held after " +
                                           std::to_string(static_cast<int>(timeout_s)) + " s")
          .with_file(path.string())
          .with_hint("another download of this file is running; if none is, delete the lock file");
    }
    if (!told && waited > 1) {
      std::string holder;
      try {
        holder = read_file(path);
      } catch (const Error&) {
      }
      if (held_by_dead_process(holder)) {
        if (waiting) waiting("stale lock " + path.string() + " (" + holder + " is gone): going on");
        ::close(fd);
        return BlobLock(-1);  // safe: the download never relies on the lock
      }
      if (waiting)
        waiting("waiting for " + path.string() +
                (holder.empty() ? "" : " (held by " + holder + ")"));
      told = true;
    }
    clock.sleep_s(0.1);
  }
  // Who holds it, for the message above; Python's filelock ignores the content.
  std::string who = "pid " + std::to_string(::getpid()) + " on " + host_name();
  if (::ftruncate(fd, 0) == 0) (void)::pwrite(fd, who.data(), who.size(), 0);
  return BlobLock(fd);
}

BlobLock::~BlobLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace oclip::hub
