// cli/scratch_dir.h — a folder under the system's temporary directory, removed with its
// contents at scope exit.
#pragma once

#include <filesystem>
#include <string>

#include "core/file_io.h"
#include "core/interrupt.h"

namespace oclip::cli {

class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix)
      : path_(std::filesystem::temp_directory_path() / (prefix + random_hex(12))),
        registered_(path_) {
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  TemporaryPath registered_;  // removed if a signal ends oclip
};

}  // namespace oclip::cli
