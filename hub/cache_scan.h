// hub/cache_scan.h — what a Hub cache holds (hub-protocol.md §4.13), whoever wrote it: repos,
// revisions and refs, files, sizes on disk with each blob counted once, partial downloads,
// and whether a repo is an OpenCLIP model ready for offline use. Reads only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace oclip::hub {

struct CachedFile {
  std::string path;  // inside the snapshot
  std::string blob;  // the blob's file name, empty for a regular file (no-symlink mode)
  uint64_t size = 0;
  bool dangling = false;  // a symlink whose blob is gone
};

struct CachedRevision {
  std::string commit;
  std::vector<std::string> refs;  // main, v1.0, refs/pr/1
  std::vector<CachedFile> files;
  uint64_t size_on_disk = 0;   // its blobs, each once
  int64_t last_modified = 0;   // Unix seconds, newest file
  bool open_clip = false;      // has open_clip_config.json
  bool offline_ready = false;  // config and weights present, nothing dangling
};

struct PartialDownload {
  std::filesystem::path path;
  uint64_t size = 0;
  std::string writer;  // "oclip", "huggingface_hub" or "other"
};

struct CachedRepo {
  std::string type;  // model, dataset, space
  std::string id;
  std::filesystem::path dir;
  std::vector<CachedRevision> revisions;
  uint64_t size_on_disk = 0;  // blobs/ and regular snapshot files, each once
  int64_t last_accessed = 0;
  int64_t last_modified = 0;
  std::vector<PartialDownload> partials;
  std::vector<std::string> warnings;  // what huggingface_hub's scanner would call corrupted

  std::string display_name() const;  // "org/name", "dataset:org/name"
  bool open_clip() const;
  bool offline_ready() const;  // the revision refs/main names is ready (or the only one)
};

struct CacheScan {
  std::vector<CachedRepo> repos;      // sorted by type, then id
  std::vector<std::string> warnings;  // entries of the root that are not repos
  uint64_t size_on_disk = 0;
};

// A missing root is an empty cache.
CacheScan scan_cache(const std::filesystem::path& root);

// What `cache verify` found wrong in one repo.
struct BlobProblem {
  enum class Kind { Corrupt, Orphaned, Dangling };
  Kind kind;
  std::filesystem::path path;  // the blob, or the dangling link
  std::string detail;
};
std::string_view problem_name(BlobProblem::Kind kind);  // corrupt, orphaned, dangling

// Re-hashes every blob against its name (sha256 for 64-hex names, git blob sha1 for 40-hex
// ones), finds blobs no snapshot links to and links whose blob is gone. `on_blob` is told the
// bytes of each blob as it is hashed (progress).
std::vector<BlobProblem> verify_repo(const CachedRepo& repo,
                                     const std::function<void(uint64_t)>& on_bytes = {});

}  // namespace oclip::hub
