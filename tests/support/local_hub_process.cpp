#include "tests/support/local_hub_process.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

LocalHubProcess::LocalHubProcess(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {local_hub_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto port_file = dir_.path() / "ports.json";
  argv.insert(argv.end(),
              {"--port-file", port_file.string(), "--log", (dir_.path() / "log.jsonl").string()});
  child_ = std::make_unique<ChildProcess>(argv, (dir_.path() / "stdout.txt").string());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!std::filesystem::exists(port_file)) {
    if (!child_->running()) throw std::runtime_error("local-hub exited at start-up");
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("local-hub not ready in 5 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::ifstream in(port_file);
  nlohmann::json ports = nlohmann::json::parse(in);
  api_port_ = ports["api"];
  cdn_port_ = ports["cdn"];
}

std::vector<nlohmann::json> LocalHubProcess::log(size_t at_least) const {
  return log_when([at_least](const auto& lines) { return lines.size() >= at_least; });
}

std::vector<nlohmann::json> LocalHubProcess::log_when(
    const std::function<bool(const std::vector<nlohmann::json>&)>& done) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (true) {
    std::vector<nlohmann::json> lines;
    std::ifstream in(dir_.path() / "log.jsonl");
    for (std::string line; std::getline(in, line);) {
      // A line still being written has no newline yet and does not parse: skip it.
      auto parsed = nlohmann::json::parse(line, nullptr, false);
      if (!parsed.is_discarded()) lines.push_back(parsed);
    }
    if (done(lines) || std::chrono::steady_clock::now() > deadline) return lines;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string oclip_binary() { return OCLIP_BINARY; }
std::string local_hub_binary() { return LOCAL_HUB_BINARY; }
std::filesystem::path source_dir() { return OCLIP_SOURCE_DIR; }
