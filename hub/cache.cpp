#include "hub/cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_io.h"

namespace oclip::hub {
namespace {

namespace fs = std::filesystem;

Error io_error(const std::string& what, const fs::path& path) {
  return Error(ErrorKind::Io, what + " " + path.string() + ": " + std::strerror(errno))
      .with_file(path.string());
}

void make_dirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw Error(ErrorKind::Io, "cannot create " + dir.string() + ": " + ec.message())
        .with_file(dir.string());
}

}  // namespace

bool is_commit_id(const std::string& revision) {
  return revision.size() == 40 &&
         revision.find_first_not_of("0123456789abcdef") == std::string::npos;
}

void check_repo_path(const std::string& path) {
  auto refuse = [&](const std::string& why) {
    std::string shown;
    for (char c : path) shown += c == '\0' ? std::string("\\0") : std::string(1, c);
    throw Error(ErrorKind::Format, "refusing repo file name '" + shown + "': " + why);
  };
  if (path.empty()) refuse("empty");
  if (path.find('\0') != std::string::npos) refuse("contains NUL");
  if (path.find('\\') != std::string::npos) refuse("contains a backslash");
  if (path.front() == '/') refuse("absolute");
  if (path.size() >= 2 && path[1] == ':') refuse("a drive letter");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string segment = path.substr(start, end - start);
    if (segment.empty()) refuse("empty path segment");
    if (segment == ".." || segment == ".") refuse("'" + segment + "' segment");
    start = end + 1;
  }
}

PartialBlob::PartialBlob(PartialBlob&& other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_) {
  other.path_.clear();
  other.fd_ = -1;
}

PartialBlob::~PartialBlob() {
  if (fd_ >= 0) ::close(fd_);
  if (!path_.empty()) ::unlink(path_.c_str());
}

void PartialBlob::write(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw io_error("cannot write", path_);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void PartialBlob::truncate() {
  if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0)
    throw io_error("cannot truncate", path_);
}

void PartialBlob::close() {
  if (fd_ < 0) return;
  int fd = fd_;
  fd_ = -1;
  if (::fsync(fd) != 0) {
    ::close(fd);
    throw io_error("cannot flush", path_);
  }
  if (::close(fd) != 0) throw io_error("cannot close", path_);
}

HubCache::HubCache(fs::path root, bool use_symlinks)
    : root_(std::move(root)), use_symlinks_(use_symlinks) {}

fs::path HubCache::repo_dir(const RepoRef& repo) const { return root_ / repo_folder_name(repo); }

fs::path HubCache::blob(const RepoRef& repo, const std::string& etag) const {
  return repo_dir(repo) / "blobs" / etag;
}

fs::path HubCache::snapshot_dir(const RepoRef& repo, const std::string& commit) const {
  return repo_dir(repo) / "snapshots" / commit;
}

fs::path HubCache::snapshot_file(const RepoRef& repo, const std::string& commit,
                                 const std::string& path) const {
  check_repo_path(path);
  return snapshot_dir(repo, commit) / path;
}

std::optional<std::string> HubCache::commit_for(const RepoRef& repo,
                                                const std::string& revision) const {
  if (is_commit_id(revision)) return revision;
  check_repo_path(revision);
  std::error_code ec;
  fs::path ref = repo_dir(repo) / "refs" / revision;
  if (!fs::is_regular_file(ref, ec)) return std::nullopt;
  std::string commit = read_file(ref);
  while (!commit.empty() && std::isspace(static_cast<unsigned char>(commit.back())))
    commit.pop_back();
  if (!is_commit_id(commit)) return std::nullopt;
  return commit;
}

bool HubCache::has_file(const RepoRef& repo, const std::string& commit,
                        const std::string& path) const {
  std::error_code ec;
  return fs::is_regular_file(snapshot_file(repo, commit, path), ec);  // follows the link
}

bool HubCache::known_missing(const RepoRef& repo, const std::string& commit,
                             const std::string& path) const {
  check_repo_path(path);
  std::error_code ec;
  return fs::is_regular_file(repo_dir(repo) / ".no_exist" / commit / path, ec);
}

PartialBlob begin_partial(const BlobTarget& target, const std::string& etag) {
  make_dirs(target.partial_dir);
  fs::path path = target.partial_dir / (etag + ".oclip-" + random_hex(8) + ".incomplete");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw io_error("cannot create", path);
  return PartialBlob(path, fd);
}

void publish_partial(PartialBlob& partial, const BlobTarget& target) {
  partial.close();
  make_dirs(target.final_path.parent_path());
  if (::rename(partial.path().c_str(), target.final_path.c_str()) != 0) {
    throw io_error("cannot publish", target.final_path);
  }
  partial.release();
}

BlobTarget HubCache::blob_target(const RepoRef& repo, const std::string& etag) const {
  return {repo_dir(repo) / "blobs", blob(repo, etag)};
}

void HubCache::link(const RepoRef& repo, const std::string& commit, const std::string& path,
                    const std::string& etag) const {
  fs::path file = snapshot_file(repo, commit, path);
  make_dirs(file.parent_path());
  fs::path blob_path = blob(repo, etag);
  fs::path temp = file;
  temp += ".oclip-" + random_hex(8) + ".tmp";
  if (use_symlinks_) {
    fs::path target = fs::relative(blob_path, file.parent_path());
    std::error_code ec;
    if (fs::is_symlink(file, ec) && fs::read_symlink(file, ec) == target) return;  // already right
    if (::symlink(target.c_str(), temp.c_str()) != 0) throw io_error("cannot link", temp);
  } else {
    std::error_code ec;
    fs::copy_file(blob_path, temp, ec);
    if (ec) throw Error(ErrorKind::Io, "cannot copy " + blob_path.string() + ": " + ec.message());
  }
  if (::rename(temp.c_str(), file.c_str()) != 0) {
    Error error = io_error("cannot place", file);
    ::unlink(temp.c_str());
    throw error;
  }
}

void HubCache::mark_missing(const RepoRef& repo, const std::string& commit,
                            const std::string& path) const {
  check_repo_path(path);
  fs::path marker = repo_dir(repo) / ".no_exist" / commit / path;
  std::error_code ec;
  if (fs::exists(marker, ec)) return;
  // Best effort: a marker only saves a later request, and the cache may be read-only.
  fs::create_directories(marker.parent_path(), ec);
  int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) ::close(fd);
}

void HubCache::write_ref(const RepoRef& repo, const std::string& revision,
                         const std::string& commit) const {
  if (is_commit_id(revision)) return;
  check_repo_path(revision);
  fs::path ref = repo_dir(repo) / "refs" / revision;
  // Unchanged: write nothing, so that a complete read-only cache still serves pulls.
  if (commit_for(repo, revision) == commit) return;
  make_dirs(ref.parent_path());
  write_file_atomic(ref, commit);
}

void HubCache::write_tree(const RepoRef& repo, const std::string& commit,
                          const std::vector<TreeEntry>& files) const {
  fs::path path = repo_dir(repo) / "trees" / (commit + ".json");
  std::error_code ec;
  if (fs::exists(path, ec)) return;                   // a commit's tree never changes
  nlohmann::json entries = nlohmann::json::object();  // std::map: paths come out sorted
  for (const TreeEntry& e : files) {
    nlohmann::json entry = {{"size", e.size}, {"blob_id", e.oid}};
    if (!e.lfs_oid.empty()) {
      entry["lfs_sha256"] = e.lfs_oid;
      entry["lfs_size"] = e.size;
    }
    entries[e.path] = entry;
  }
  try {
    make_dirs(path.parent_path());
    write_file_atomic(path, nlohmann::json{{"format_version", 1}, {"files", entries}}.dump());
  } catch (const Error&) {
    // Optional: it only lets offline loads tell a complete snapshot from a partial one.
  }
}

std::optional<std::vector<TreeEntry>> HubCache::read_tree(const RepoRef& repo,
                                                          const std::string& commit) const {
  fs::path path = repo_dir(repo) / "trees" / (commit + ".json");
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  auto tree = nlohmann::json::parse(read_file(path), nullptr, false);
  if (!tree.is_object() || tree.value("format_version", 0) != 1 || !tree.contains("files") ||
      !tree["files"].is_object()) {
    return std::nullopt;  // another format: ignore it, as huggingface_hub does
  }
  std::vector<TreeEntry> files;
  for (const auto& [name, entry] : tree["files"].items()) {
    if (!entry.is_object()) return std::nullopt;
    TreeEntry e;
    e.path = name;
    e.size = entry.value("size", uint64_t{0});
    e.oid = entry.value("blob_id", "");
    e.lfs_oid = entry.value("lfs_sha256", "");
    check_repo_path(e.path);
    files.push_back(std::move(e));
  }
  return files;
}

void HubCache::tag_cache_dir() const {
  fs::path tag = root_ / "CACHEDIR.TAG";
  std::error_code ec;
  if (fs::exists(tag, ec)) return;
  try {
    make_dirs(root_);
    write_file_atomic(tag,
                      "Signature: 8a477f597d28d172789f06886806bc55\n"
                      "# This file is a cache directory tag created by oclip.\n"
                      "# For information about cache directory tags, see:\n"
                      "#\thttps://bford.info/cachedir/\n");
  } catch (const Error&) {
    // A read-only cache still works for reading.
  }
}

}  // namespace oclip::hub
