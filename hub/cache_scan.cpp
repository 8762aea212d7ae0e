#include "hub/cache_scan.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include "core/file_io.h"
#include "core/hash.h"
#include "core/mapped_file.h"
#include "core/text.h"
#include "hub/repo_id.h"

namespace oclip::hub {
namespace {

namespace fs = std::filesystem;

bool is_hex(const std::string& s, size_t length) {
  return s.size() == length && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(c) && !std::isupper(c);
         });
}

struct Times {
  int64_t accessed = 0, modified = 0;
};

Times times_of(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_atim.tv_sec, st.st_mtim.tv_sec};
}

// refs/{name} files, nested for refs/pr/N; commit -> names.
std::map<std::string, std::vector<std::string>> read_refs(const fs::path& refs_dir) {
  std::map<std::string, std::vector<std::string>> by_commit;
  std::error_code ec;
  if (!fs::is_directory(refs_dir, ec)) return by_commit;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(refs_dir, ec)) {
    if (!e.is_regular_file()) continue;
    by_commit[strip(read_file(e.path()))].push_back(
        e.path().lexically_relative(refs_dir).generic_string());
  }
  return by_commit;
}

bool is_weights(const std::string& path) {
  return path.find('/') == std::string::npos &&
         (path.ends_with(".safetensors") || path.ends_with(".bin"));
}

CachedRevision scan_revision(const fs::path& dir, std::set<std::string>& blobs_seen,
                             uint64_t& repo_size) {
  CachedRevision revision;
  revision.commit = dir.filename().string();
  std::set<std::string> own_blobs;
  bool has_weights = false, dangling = false;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const fs::directory_entry& e = *it;
    if (e.is_directory() && !e.is_symlink()) continue;
    CachedFile file;
    file.path = e.path().lexically_relative(dir).generic_string();
    if (e.is_symlink()) {
      const fs::path target = e.path().parent_path() / fs::read_symlink(e.path(), ec);
      file.blob = target.filename().string();
      file.dangling = !fs::exists(target, ec);
      if (!file.dangling) {
        file.size = fs::file_size(target, ec);
        if (own_blobs.insert(file.blob).second) revision.size_on_disk += file.size;
        if (blobs_seen.insert(file.blob).second) repo_size += file.size;
        revision.last_modified = std::max(revision.last_modified, times_of(target).modified);
      }
    } else {
      file.size = e.file_size(ec);
      revision.size_on_disk += file.size;
      repo_size += file.size;
      revision.last_modified = std::max(revision.last_modified, times_of(e.path()).modified);
    }
    dangling |= file.dangling;
    has_weights |= !file.dangling && is_weights(file.path);
    revision.open_clip |= file.path == "open_clip_config.json" && !file.dangling;
    revision.files.push_back(std::move(file));
  }
  std::sort(revision.files.begin(), revision.files.end(),
            [](const CachedFile& a, const CachedFile& b) { return a.path < b.path; });
  revision.offline_ready = revision.open_clip && has_weights && !dangling;
  return revision;
}

CachedRepo scan_repo(const fs::path& dir, const std::string& type, const std::string& id) {
  CachedRepo repo;
  repo.type = type;
  repo.id = id;
  repo.dir = dir;
  std::error_code ec;
  const fs::path snapshots = dir / "snapshots";
  if (!fs::is_directory(snapshots, ec)) repo.warnings.push_back("no snapshots/ folder");
  std::map<std::string, std::vector<std::string>> refs = read_refs(dir / "refs");
  std::set<std::string> blobs_seen;
  if (fs::is_directory(snapshots, ec)) {
    for (const fs::directory_entry& e : fs::directory_iterator(snapshots, ec)) {
      if (!e.is_directory()) {
        repo.warnings.push_back("a file directly in snapshots/: " + e.path().filename().string());
        continue;
      }
      CachedRevision revision = scan_revision(e.path(), blobs_seen, repo.size_on_disk);
      if (auto it = refs.find(revision.commit); it != refs.end()) revision.refs = it->second;
      for (const CachedFile& f : revision.files)
        if (f.dangling)
          repo.warnings.push_back("blob missing for " + revision.commit.substr(0, 12) + "/" +
                                  f.path);
      repo.last_modified = std::max(repo.last_modified, revision.last_modified);
      repo.revisions.push_back(std::move(revision));
    }
  }
  std::sort(repo.revisions.begin(), repo.revisions.end(),
            [](const CachedRevision& a, const CachedRevision& b) { return a.commit < b.commit; });
  for (const auto& ref : refs) {
    const std::string& commit = ref.first;
    const bool present = std::any_of(repo.revisions.begin(), repo.revisions.end(),
                                     [&](const CachedRevision& r) { return r.commit == commit; });
    if (!present)
      for (const std::string& name : ref.second)
        repo.warnings.push_back("ref " + name + " names " + commit + ", which has no snapshot");
  }
  const fs::path blobs = dir / "blobs";
  if (fs::is_directory(blobs, ec)) {
    for (const fs::directory_entry& e : fs::directory_iterator(blobs, ec)) {
      const std::string name = e.path().filename().string();
      if (name.ends_with(".incomplete")) {
        repo.partials.push_back({e.path(), e.file_size(ec),
                                 name.find(".oclip-") != std::string::npos ? "oclip" : "other"});
      } else if (blobs_seen.count(name)) {
        repo.last_accessed = std::max(repo.last_accessed, times_of(e.path()).accessed);
      }
    }
  }
  std::sort(repo.partials.begin(), repo.partials.end(),
            [](const PartialDownload& a, const PartialDownload& b) { return a.path < b.path; });
  return repo;
}

// Streams the file through a digest, telling `on_bytes` as it goes.
std::string digest_of(const fs::path& path, DigestStream::Kind kind,
                      const std::function<void(uint64_t)>& on_bytes) {
  MappedFile file(path);
  std::span<const std::byte> bytes = file.bytes();
  DigestStream digest(kind, bytes.size());
  constexpr size_t kChunk = 8 << 20;
  for (size_t at = 0; at < bytes.size(); at += kChunk) {
    std::span<const std::byte> piece = bytes.subspan(at, std::min(kChunk, bytes.size() - at));
    digest.update({reinterpret_cast<const char*>(piece.data()), piece.size()});
    file.release(piece);
    if (on_bytes) on_bytes(piece.size());
  }
  return digest.hex_digest();
}

}  // namespace

std::string CachedRepo::display_name() const { return type == "model" ? id : type + ":" + id; }

bool CachedRepo::open_clip() const {
  return std::any_of(revisions.begin(), revisions.end(),
                     [](const CachedRevision& r) { return r.open_clip; });
}

bool CachedRepo::offline_ready() const {
  for (const CachedRevision& r : revisions)
    if (std::find(r.refs.begin(), r.refs.end(), "main") != r.refs.end()) return r.offline_ready;
  return revisions.size() == 1 && revisions[0].offline_ready;
}

CacheScan scan_cache(const fs::path& root) {
  CacheScan scan;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return scan;
  static const std::set<std::string> kIgnored = {".locks", "CACHEDIR.TAG", ".DS_Store", "Thumbs.db",
                                                 "desktop.ini"};
  for (const fs::directory_entry& e : fs::directory_iterator(root, ec)) {
    const std::string name = e.path().filename().string();
    if (kIgnored.count(name)) continue;
    const std::optional<RepoRef> repo = repo_of_folder_name(name);
    if (!e.is_directory() || !repo) {
      scan.warnings.push_back("not a repo folder: " + name);
      continue;
    }
    scan.repos.push_back(scan_repo(e.path(), repo->type, repo->id));
    scan.size_on_disk += scan.repos.back().size_on_disk;
  }
  std::sort(scan.repos.begin(), scan.repos.end(), [](const CachedRepo& a, const CachedRepo& b) {
    return a.type != b.type ? a.type < b.type : a.id < b.id;
  });
  std::sort(scan.warnings.begin(), scan.warnings.end());
  return scan;
}

std::string_view problem_name(BlobProblem::Kind kind) {
  switch (kind) {
    case BlobProblem::Kind::Corrupt:
      return "corrupt";
    case BlobProblem::Kind::Orphaned:
      return "orphaned";
    case BlobProblem::Kind::Dangling:
      return "dangling";
  }
  return "?";
}

std::vector<BlobProblem> verify_repo(const CachedRepo& repo,
                                     const std::function<void(uint64_t)>& on_bytes) {
  std::vector<BlobProblem> problems;
  std::set<std::string> linked;
  for (const CachedRevision& r : repo.revisions) {
    for (const CachedFile& f : r.files) {
      if (!f.blob.empty()) linked.insert(f.blob);
      if (f.dangling)
        problems.push_back({BlobProblem::Kind::Dangling, repo.dir / "snapshots" / r.commit / f.path,
                            "its blob " + f.blob + " is gone"});
    }
  }
  std::error_code ec;
  std::vector<fs::path> blobs;
  for (const fs::directory_entry& e : fs::directory_iterator(repo.dir / "blobs", ec))
    if (e.is_regular_file() && !e.path().filename().string().ends_with(".incomplete"))
      blobs.push_back(e.path());
  std::sort(blobs.begin(), blobs.end());
  for (const fs::path& blob : blobs) {
    const std::string name = blob.filename().string();
    if (!linked.count(name))
      problems.push_back({BlobProblem::Kind::Orphaned, blob, "no snapshot links to it"});
    std::optional<DigestStream::Kind> kind;
    if (is_hex(name, 64)) kind = DigestStream::Kind::Sha256;
    if (is_hex(name, 40)) kind = DigestStream::Kind::GitBlobSha1;
    if (!kind) {
      problems.push_back(
          {BlobProblem::Kind::Corrupt, blob, "not named by a sha256 or git blob id"});
      continue;
    }
    const std::string actual = digest_of(blob, *kind, on_bytes);
    if (actual != name)
      problems.push_back(
          {BlobProblem::Kind::Corrupt, blob,
           std::string(*kind == DigestStream::Kind::Sha256 ? "sha256 " : "git blob id ") + actual});
  }
  return problems;
}

}  // namespace oclip::hub
