// core/interrupt.h — temporary files and folders removed when a signal ends oclip.
//
// SIGINT, SIGTERM and SIGHUP are blocked in every thread and taken by one thread of their
// own with sigwait, so the cleanup runs in normal code, not in a signal handler: it removes
// what is registered, then lets the signal end the process as it would have (exit 130 on
// Ctrl-C). Resumable downloads (*.incomplete) are not registered: they are kept on purpose.
#pragma once

#include <cstdint>
#include <filesystem>

namespace oclip {

// Call first in main, before any other thread starts: threads inherit the blocked signals.
void remove_temporaries_on_interrupt();

// While alive (and not released), `path` is removed, recursively, if a signal ends the process.
class TemporaryPath {
 public:
  explicit TemporaryPath(const std::filesystem::path& path);
  ~TemporaryPath() { release(); }
  TemporaryPath(const TemporaryPath&) = delete;
  TemporaryPath& operator=(const TemporaryPath&) = delete;
  // The path became permanent (renamed into place, or removed): forget it.
  void release();

 private:
  uint64_t id_ = 0;
};

}  // namespace oclip
