// hub/pull.h — which files a model needs, and getting them into the cache.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "hub/cache.h"
#include "hub/download.h"
#include "hub/hub_api.h"
#include "hub/ranged_download.h"

namespace oclip::hub {

struct PullOptions {
  RepoRef repo;
  std::string revision = "main";
  std::string weight_file;  // a pretrained entry's file name; empty: open_clip's default
  bool all = false;
  std::vector<std::string> include;  // huggingface_hub's allow_patterns
  std::vector<std::string> exclude;  // ignore_patterns
  bool force = false;                // refetch even what is cached
  bool dry_run = false;              // plan only
  TransferSettings transfer;
  std::filesystem::path local_dir;  // set: plain files there instead of the cache
  // Take exactly these names where the repo has them and mark the others missing; used for
  // the tokenizer and text-model repos a config names.
  std::vector<std::string> optional_files;
};

struct PulledFile {
  std::string path;
  uint64_t size = 0;
  std::string etag;
  bool fetched = false;  // false: already in the cache
};

struct PullResult {
  std::string repo_id;
  std::string revision;
  std::string commit;
  std::filesystem::path snapshot;
  std::vector<PulledFile> files;
  uint64_t bytes_fetched = 0;
  bool from_cache_only = false;          // no network request was made
  std::vector<PullResult> dependencies;  // tokenizer and text-model repos the config names
};

// The weight files open_clip tries, in order: the safetensors form first (open-clip.md §1.4).
std::vector<std::string> weight_candidates(const std::string& weight_file);

// The files AutoTokenizer may read from a tokenizer repo (open-clip.md §4.4); a repo has some.
const std::vector<std::string>& tokenizer_file_names();

// huggingface_hub's filter_repo_objects: fnmatch, '*' crosses '/', a pattern ending in '/'
// matches everything below it.
bool path_selected(const std::string& path, const std::vector<std::string>& include,
                   const std::vector<std::string>& exclude);

// Files of `listing` a pull takes. Throws Error(NotFound) when the model's config or weights
// are missing.
std::vector<TreeEntry> select_files(const std::vector<TreeEntry>& listing,
                                    const PullOptions& options);

struct PullEvents {
  // Before a repo's downloads: how many files and bytes it will fetch.
  std::function<void(size_t files, uint64_t bytes)> planned;
  std::function<void(const TreeEntry& file)> file_started;
  ByteProgress bytes;
  std::function<void(const std::string& message)> waiting;  // for another process's lock
};

// The repo's files, then the repos its open_clip_config.json depends on.
PullResult pull(const Config& config, HubApi& api, const HttpClient& http, const HubCache& cache,
                const PullOptions& options, const PullEvents& events);
// One repo only.
PullResult pull_repo(const Config& config, HubApi& api, const HttpClient& http,
                     const HubCache& cache, const PullOptions& options, const PullEvents& events);

}  // namespace oclip::hub
