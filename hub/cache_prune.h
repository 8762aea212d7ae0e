// hub/cache_prune.h — removing revisions from the shared cache as `hf cache rm` / `prune` do
// (hub-protocol.md §4.13): refs first, then the snapshot, then the blobs no remaining revision
// uses, so a ref never names a missing snapshot and no blob another snapshot links to goes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "hub/cache_scan.h"

namespace oclip::hub {

struct RemovalPlan {
  struct Revision {
    std::string repo;  // type:id for datasets and spaces, id for models
    std::string commit;
    std::vector<std::string> refs;
  };
  std::vector<Revision> revisions;
  std::vector<std::filesystem::path> paths;     // deleted in this order
  std::vector<std::filesystem::path> partials;  // *.incomplete files no process holds
  uint64_t bytes = 0;                           // freed
};

// Every revision of `repo`, or only `revision` (a full or unique short commit, or a ref name).
// Throws Error(NotFound) naming the known revisions.
RemovalPlan plan_remove(const CachedRepo& repo, const std::optional<std::string>& revision);

struct PruneOptions {
  std::optional<int64_t> older_than_s;  // also revisions not modified for this long
  bool keep_latest = false;             // never the newest revision of a repo
  int64_t now = 0;                      // Unix seconds
};
// Detached revisions (no ref names them), revisions older than the cutoff, and partial
// downloads nobody is writing (their download lock is free).
RemovalPlan plan_prune(const CacheScan& scan, const std::filesystem::path& cache_root,
                       const PruneOptions& options);

// Deletes what the plan lists, each blob under its download lock (waiting up to `lock_timeout_s`
// for a pull that holds it).
void apply_removal(const RemovalPlan& plan, const std::filesystem::path& cache_root,
                   double lock_timeout_s, Clock& clock);

}  // namespace oclip::hub
