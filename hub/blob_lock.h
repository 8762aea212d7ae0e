// hub/blob_lock.h — huggingface_hub's lock for one blob, `.locks/{repo folder}/{etag}.lock`,
// so that oclip and Python do not download the same file at once. Only an optimisation:
// correctness never depends on it (flock can succeed for everyone on NFS or Lustre).
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "core/clock.h"

namespace oclip::hub {

// `{cache}/.locks/{repo folder}/{etag}.lock`, where huggingface_hub locks a blob's download.
inline std::filesystem::path blob_lock_path(const std::filesystem::path& cache_root,
                                            const std::string& repo_folder,
                                            const std::string& etag) {
  return cache_root / ".locks" / repo_folder / (etag + ".lock");
}

class BlobLock {
 public:
  // Waits up to `timeout_s` for the lock (then Error(Conflict)), telling `waiting` once who
  // holds it. A lock file that cannot be created (read-only cache) gives an empty lock.
  // A holder line naming a process of this host that no longer exists is a stale lock: it is
  // passed (an empty lock) instead of waited for.
  static BlobLock acquire(const std::filesystem::path& path, double timeout_s, Clock& clock,
                          const std::function<void(const std::string&)>& waiting);
  BlobLock(BlobLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  ~BlobLock();
  BlobLock(const BlobLock&) = delete;
  BlobLock& operator=(const BlobLock&) = delete;

 private:
  explicit BlobLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace oclip::hub
