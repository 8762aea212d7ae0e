// hub/cache.h — the Hub cache shared with huggingface_hub and @huggingface/hub
// (hub-protocol.md §4): blobs named by etag, snapshots of relative symlinks, refs.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hub/hub_api.h"
#include "hub/repo_id.h"

namespace oclip::hub {

// Refuses repo paths that could leave a folder: "..", absolute, "\", drive letters, NUL,
// empty segments. Throws Error(Format) quoting the name.
void check_repo_path(const std::string& path);

// A download in progress: `{etag}.oclip-{random}.incomplete` in blobs/, removed unless
// published. Never the bare `{etag}.incomplete`, which other clients may be writing.
class PartialBlob {
 public:
  PartialBlob(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  PartialBlob(PartialBlob&& other) noexcept;
  ~PartialBlob();
  PartialBlob(const PartialBlob&) = delete;
  PartialBlob& operator=(const PartialBlob&) = delete;

  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }
  void write(std::string_view bytes);
  void truncate();  // back to zero bytes
  // Flushes and closes; the caller renames.
  void close();
  void release() { path_.clear(); }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

// Where a download's partial files go, and where the verified file lands (same file system,
// so the final rename is atomic).
struct BlobTarget {
  std::filesystem::path partial_dir;
  std::filesystem::path final_path;
};

PartialBlob begin_partial(const BlobTarget& target, const std::string& etag);
// Renames the verified partial onto the final path. rename() replaces atomically: a
// concurrent writer's file has the same verified bytes.
void publish_partial(PartialBlob& partial, const BlobTarget& target);

class HubCache {
 public:
  HubCache(std::filesystem::path root, bool use_symlinks);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path repo_dir(const RepoRef& repo) const;
  std::filesystem::path blob(const RepoRef& repo, const std::string& etag) const;
  std::filesystem::path snapshot_dir(const RepoRef& repo, const std::string& commit) const;
  std::filesystem::path snapshot_file(const RepoRef& repo, const std::string& commit,
                                      const std::string& path) const;

  // The commit a symbolic revision was last resolved to (refs/{rev}), or a full commit id as is.
  std::optional<std::string> commit_for(const RepoRef& repo, const std::string& revision) const;
  bool has_file(const RepoRef& repo, const std::string& commit, const std::string& path) const;
  bool known_missing(const RepoRef& repo, const std::string& commit, const std::string& path) const;

  // Partials in blobs/, the verified file as blobs/{etag}.
  BlobTarget blob_target(const RepoRef& repo, const std::string& etag) const;
  // snapshots/{commit}/{path} -> ../../blobs/{etag} (relative; a copy in no-symlink mode).
  void link(const RepoRef& repo, const std::string& commit, const std::string& path,
            const std::string& etag) const;
  void mark_missing(const RepoRef& repo, const std::string& commit, const std::string& path) const;
  // refs/{revision} = commit, no newline. Only after the snapshot entries exist.
  void write_ref(const RepoRef& repo, const std::string& revision, const std::string& commit) const;
  // trees/{commit}.json as newer huggingface_hub writes it; only from a complete, unfiltered
  // listing of that commit, or Python would take a partial snapshot for complete.
  void write_tree(const RepoRef& repo, const std::string& commit,
                  const std::vector<TreeEntry>& files) const;
  std::optional<std::vector<TreeEntry>> read_tree(const RepoRef& repo,
                                                  const std::string& commit) const;
  // CACHEDIR.TAG so backup tools skip the cache; failures are ignored.
  void tag_cache_dir() const;

 private:
  std::filesystem::path root_;
  bool use_symlinks_;
};

bool is_commit_id(const std::string& revision);

}  // namespace oclip::hub
