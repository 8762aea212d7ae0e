// hub/upload.h — a folder to a Hub repo in one commit: create the repo, preupload, the LFS
// batch API with basic and multipart transfers, then the NDJSON commit with parentCommit
// (hub-protocol.md §5.6, §6).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "hub/hub_api.h"
#include "hub/repo_id.h"

namespace oclip::hub {

struct LocalFile {
  std::string path;                            // in the repo, '/'-separated
  std::filesystem::path source;                // on disk (a cache symlink is fine)
  std::shared_ptr<const std::string> content;  // set: these bytes instead of `source`
  uint64_t size = 0;
  std::string sha256;
  std::string git_sha1;
};

// A file from disk or from memory, hashed.
LocalFile local_file(const std::string& path, const std::filesystem::path& source);
LocalFile memory_file(const std::string& path, std::string content);

// The files under `dir` that huggingface_hub's include/exclude rules select, never those in
// .git/ or .cache/huggingface/; links are followed. Throws Error(Usage) when `dir` is not a
// folder.
std::vector<LocalFile> collect_folder(const std::filesystem::path& dir,
                                      const std::vector<std::string>& include,
                                      const std::vector<std::string>& exclude);

struct PushOptions {
  RepoRef repo;
  std::string revision = "main";  // a branch (made from main when missing) or refs/pr/N
  bool create_pr = false;
  bool private_repo = false;
  std::string commit_message = "Upload folder with oclip";
  std::string commit_description;
  std::vector<std::string> delete_patterns;  // remote files matching these are deleted
  bool dry_run = false;                      // plan only: nothing is created or sent
  int jobs = 4;                              // parallel transfers
};

struct PushedFile {
  std::string path;
  uint64_t size = 0;
  std::string sha256;
  std::string mode;        // "lfs", "regular", or "" when the server was not asked (dry run)
  bool unchanged = false;  // the repo has these bytes under this path already
  bool stored = false;     // an LFS object the server had already: no bytes sent
  bool ignored = false;    // the repo's .gitignore excludes it: left out of the commit
};

struct PushResult {
  std::string repo_id;  // as the Hub names it (the owner filled in)
  std::string revision;
  bool repo_created = false;
  bool repo_exists = true;  // false only in a dry run against a missing repo
  bool committed = false;   // false when nothing changed, or a dry run
  std::string parent_commit;
  std::string commit_oid;
  std::string commit_url;
  std::string pr_url;
  std::vector<PushedFile> files;
  std::vector<std::string> deleted;
  uint64_t bytes_sent = 0;
};

struct PushEvents {
  std::function<void(const std::string& message)> stage;
  std::function<void(uint64_t total_bytes)> transfer_started;
  std::function<void(uint64_t delta)> bytes;  // called from the transfer threads, serialised
};

// Creates the repo when missing, uploads what the server lacks, and commits. Throws Error:
// Auth (no or read-only token), NotFound, Conflict (412: the branch moved), Network.
PushResult push(const Config& config, HubApi& api, const std::vector<LocalFile>& files,
                const PushOptions& options, const PushEvents& events);

// Whether `path` exists at `revision`; false when the repo or the revision does not exist.
bool remote_file_exists(HubApi& api, const RepoRef& repo, const std::string& revision,
                        const std::string& path);

}  // namespace oclip::hub
