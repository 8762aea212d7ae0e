#include "hub/cache_prune.h"

#include <algorithm>
#include <set>

#include "core/error.h"
#include "hub/blob_lock.h"

namespace oclip::hub {
namespace {

namespace fs = std::filesystem;

std::set<std::string> blobs_of(const CachedRevision& revision) {
  std::set<std::string> blobs;
  for (const CachedFile& f : revision.files)
    if (!f.blob.empty() && !f.dangling) blobs.insert(f.blob);
  return blobs;
}

// Removes `commits` of `repo` (all of them: the whole folder).
void add_revisions(RemovalPlan& plan, const CachedRepo& repo,
                   const std::set<std::string>& commits) {
  if (commits.empty()) return;
  for (const CachedRevision& r : repo.revisions)
    if (commits.count(r.commit)) plan.revisions.push_back({repo.display_name(), r.commit, r.refs});
  if (commits.size() == repo.revisions.size()) {
    plan.paths.push_back(repo.dir);
    plan.bytes += repo.size_on_disk;
    for (const PartialDownload& p : repo.partials) plan.bytes += p.size;
    return;
  }
  std::set<std::string> kept, freed;
  for (const CachedRevision& r : repo.revisions) {
    if (commits.count(r.commit)) continue;
    std::set<std::string> blobs = blobs_of(r);
    kept.insert(blobs.begin(), blobs.end());
  }
  std::error_code ec;
  for (const CachedRevision& r : repo.revisions) {
    if (!commits.count(r.commit)) continue;
    for (const std::string& ref : r.refs) plan.paths.push_back(repo.dir / "refs" / ref);
    plan.paths.push_back(repo.dir / "snapshots" / r.commit);
    for (const fs::path& extra :
         {repo.dir / ".no_exist" / r.commit, repo.dir / "trees" / (r.commit + ".json")})
      if (fs::exists(extra, ec)) plan.paths.push_back(extra);
    for (const CachedFile& f : r.files) {
      if (f.dangling) continue;
      if (f.blob.empty())
        plan.bytes += f.size;  // a regular file in no-symlink mode
      else if (!kept.count(f.blob) && freed.insert(f.blob).second)
        plan.bytes += f.size;
    }
  }
  for (const std::string& blob : freed) plan.paths.push_back(repo.dir / "blobs" / blob);
}

fs::path lock_for(const fs::path& cache_root, const fs::path& repo_dir, const std::string& blob) {
  return blob_lock_path(cache_root, repo_dir.filename().string(), blob);
}

// The etag a partial download belongs to: its name up to the first '.'.
std::string etag_of_partial(const fs::path& partial) {
  const std::string name = partial.filename().string();
  return name.substr(0, name.find('.'));
}

bool lock_is_free(const fs::path& lock, Clock& clock) {
  std::error_code ec;
  if (!fs::exists(lock, ec)) return true;  // never locked; do not create it just to look
  try {
    BlobLock held = BlobLock::acquire(lock, 0, clock, {});
    return true;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

RemovalPlan plan_remove(const CachedRepo& repo, const std::optional<std::string>& revision) {
  RemovalPlan plan;
  std::set<std::string> commits;
  if (!revision) {
    for (const CachedRevision& r : repo.revisions) commits.insert(r.commit);
    if (commits.empty()) {  // a repo folder with no snapshot at all
      plan.paths.push_back(repo.dir);
      plan.bytes = repo.size_on_disk;
      return plan;
    }
  } else {
    for (const CachedRevision& r : repo.revisions) {
      const bool by_ref = std::find(r.refs.begin(), r.refs.end(), *revision) != r.refs.end();
      const bool by_commit = revision->size() >= 7 && r.commit.starts_with(*revision);
      if (by_ref || by_commit) commits.insert(r.commit);
    }
    if (commits.size() != 1) {
      std::string known;
      for (const CachedRevision& r : repo.revisions) {
        known += " " + r.commit.substr(0, 12);
        for (const std::string& ref : r.refs) known += (&ref == &r.refs.front() ? " (" : ",") + ref;
        if (!r.refs.empty()) known += ")";
      }
      throw Error(ErrorKind::NotFound, (commits.empty() ? "no revision " : "ambiguous revision ") +
                                           *revision + " of " + repo.display_name() +
                                           " in the cache")
          .with_hint("cached:" + known);
    }
  }
  add_revisions(plan, repo, commits);
  return plan;
}

RemovalPlan plan_prune(const CacheScan& scan, const fs::path& cache_root,
                       const PruneOptions& options) {
  RemovalPlan plan;
  Clock& clock = system_clock();
  for (const CachedRepo& repo : scan.repos) {
    const CachedRevision* latest = nullptr;
    for (const CachedRevision& r : repo.revisions)
      if (!latest || r.last_modified > latest->last_modified) latest = &r;
    std::set<std::string> commits;
    for (const CachedRevision& r : repo.revisions) {
      if (options.keep_latest && &r == latest) continue;
      const bool stale =
          options.older_than_s && options.now - r.last_modified > *options.older_than_s;
      if (r.refs.empty() || stale) commits.insert(r.commit);
    }
    add_revisions(plan, repo, commits);
    if (commits.size() == repo.revisions.size() && !commits.empty()) continue;  // folder goes
    for (const PartialDownload& p : repo.partials) {
      if (!lock_is_free(lock_for(cache_root, repo.dir, etag_of_partial(p.path)), clock)) continue;
      plan.partials.push_back(p.path);
      plan.bytes += p.size;
    }
  }
  return plan;
}

void apply_removal(const RemovalPlan& plan, const fs::path& cache_root, double lock_timeout_s,
                   Clock& clock) {
  auto remove = [](const fs::path& path) {
    std::error_code ec;
    fs::remove_all(path, ec);
    if (ec) throw Error(ErrorKind::Io, "cannot remove " + path.string() + ": " + ec.message());
  };
  for (const fs::path& path : plan.paths) {
    std::vector<BlobLock> held;
    std::error_code ec;
    if (path.parent_path().filename() == "blobs") {
      held.push_back(BlobLock::acquire(
          lock_for(cache_root, path.parent_path().parent_path(), path.filename().string()),
          lock_timeout_s, clock, {}));
    } else if (path.parent_path() == cache_root) {
      // A whole repo: wait for every download in it to finish first.
      const fs::path locks = cache_root / ".locks" / path.filename();
      if (fs::is_directory(locks, ec))
        for (const fs::directory_entry& e : fs::directory_iterator(locks, ec))
          held.push_back(BlobLock::acquire(e.path(), lock_timeout_s, clock, {}));
    }
    remove(path);
  }
  for (const fs::path& partial : plan.partials) {
    const fs::path repo_dir = partial.parent_path().parent_path();
    try {
      BlobLock held =
          BlobLock::acquire(lock_for(cache_root, repo_dir, etag_of_partial(partial)), 0, clock, {});
      remove(partial);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Conflict) throw;  // a download started meanwhile: leave it
    }
  }
}

}  // namespace oclip::hub
