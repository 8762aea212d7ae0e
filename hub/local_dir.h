// hub/local_dir.h — `--local-dir DIR`: plain files at DIR/{path}, with huggingface_hub's
// bookkeeping in DIR/.cache/huggingface/download/{path}.metadata (hub-protocol.md §4.16), so a
// later pull by oclip or Python skips unchanged files.
#pragma once

#include <filesystem>
#include <string>

#include "hub/cache.h"

namespace oclip::hub {

class LocalDir {
 public:
  explicit LocalDir(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }
  // Partials in .cache/huggingface/download/, the verified file at DIR/{path}.
  BlobTarget target(const std::string& path) const;
  // The file is there, its metadata names `etag`, and it was not touched after the download.
  bool is_current(const std::string& path, const std::string& etag) const;
  // After the rename: commit, etag, Unix time, one per line.
  void write_metadata(const std::string& path, const std::string& commit,
                      const std::string& etag) const;

 private:
  std::filesystem::path download_dir() const {
    return root_ / ".cache" / "huggingface" / "download";
  }
  std::filesystem::path root_;
};

}  // namespace oclip::hub
