// The local Hub as a child process, one per test: started on free ports, stopped at scope exit.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

class LocalHubProcess {
 public:
  // `args` are local-hub flags (--repo ..., --fault ...). Throws if it is not ready in 5 s.
  explicit LocalHubProcess(const std::vector<std::string>& args);

  std::string api() const { return "http://127.0.0.1:" + std::to_string(api_port_); }
  std::string cdn() const { return "http://127.0.0.1:" + std::to_string(cdn_port_); }
  int api_port() const { return api_port_; }
  int cdn_port() const { return cdn_port_; }

  // One JSON object per request served so far. A request is logged once its answer is sent,
  // which can be just after the client saw it: wait up to 2 s for `at_least` lines.
  std::vector<nlohmann::json> log(size_t at_least = 0) const;
  // The log once `done` holds for it (or after 5 s): for requests still being answered.
  std::vector<nlohmann::json> log_when(
      const std::function<bool(const std::vector<nlohmann::json>&)>& done) const;
  // Stops the server; returns its exit code.
  int stop() { return child_->terminate(); }

 private:
  TempDir dir_;
  std::unique_ptr<ChildProcess> child_;
  int api_port_ = 0;
  int cdn_port_ = 0;
};

// Paths of the built programs and the source tree (set by CMake).
std::string oclip_binary();
std::string local_hub_binary();
std::filesystem::path source_dir();
