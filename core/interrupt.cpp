#include "core/interrupt.h"

#include <pthread.h>
#include <signal.h>

#include <map>
#include <mutex>
#include <thread>

namespace oclip {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<uint64_t, std::filesystem::path> paths;
  uint64_t next_id = 1;
};

Registry& registry() {
  static Registry* instance = new Registry;  // never destroyed: the signal thread outlives main
  return *instance;
}

sigset_t interrupt_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, sig);
  return set;
}

}  // namespace

void remove_temporaries_on_interrupt() {
  const sigset_t set = interrupt_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) return;
    {
      std::lock_guard<std::mutex> lock(registry().mutex);
      for (const auto& [id, path] : registry().paths) {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
      }
    }
    signal(sig, SIG_DFL);
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    raise(sig);
  }).detach();
}

TemporaryPath::TemporaryPath(const std::filesystem::path& path) {
  std::lock_guard<std::mutex> lock(registry().mutex);
  id_ = registry().next_id++;
  registry().paths.emplace(id_, std::filesystem::absolute(path));
}

void TemporaryPath::release() {
  if (id_ == 0) return;
  std::lock_guard<std::mutex> lock(registry().mutex);
  registry().paths.erase(id_);
  id_ = 0;
}

}  // namespace oclip
