#include "hub_state.h"

#include <fnmatch.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "core/file_io.h"
#include "core/hash.h"

namespace local_hub {
namespace {

constexpr const char* kLfsPatterns[] = {
    "*.7z",  "*.arrow",  "*.bin",   "*.bz2",         "*.ckpt",  "*.ftz",     "*.gz",
    "*.h5",  "*.joblib", "*.lfs.*", "*.mlmodel",     "*.model", "*.msgpack", "*.npy",
    "*.npz", "*.onnx",   "*.ot",    "*.parquet",     "*.pb",    "*.pickle",  "*.pkl",
    "*.pt",  "*.pth",    "*.rar",   "*.safetensors", "*.tar.*", "*.tar",     "*.tflite",
    "*.tgz", "*.wasm",   "*.xz",    "*.zip",         "*.zst",   "*tfevents*"};

std::string default_gitattributes() {
  std::string text;
  for (const char* pattern : kLfsPatterns) text += lfs_attribute_line(pattern);
  return text;
}

std::string iso_date(int hours) {
  // 2026-01-01T00:00:00Z plus `hours`; fine for the few hundred commits a test makes.
  int day = 1 + hours / 24, hour = hours % 24;
  char buf[40];
  std::snprintf(buf, sizeof buf, "2026-01-%02dT%02d:00:00.000Z", std::min(day, 28), hour);
  return buf;
}

std::string hex_to_bytes(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string git_object_id(const std::string& type, const std::string& body) {
  std::string header = type + " " + std::to_string(body.size());
  header.push_back('\0');
  return oclip::sha1_hex(header + body);
}

// Git tree ids for `prefix` and every folder below it; returns the id of `prefix`.
std::string tree_id(const std::map<std::string, RepoFile>& files, const std::string& prefix,
                    std::map<std::string, std::string>& dir_ids) {
  struct Item {
    std::string name;
    bool is_dir;
    std::string id;
  };
  std::vector<Item> items;
  std::set<std::string> dirs;
  for (const auto& [path, file] : files) {
    if (path.compare(0, prefix.size(), prefix) != 0) continue;
    std::string rest = path.substr(prefix.size());
    size_t slash = rest.find('/');
    if (slash == std::string::npos) {
      items.push_back({rest, false, file.blob_id});
    } else {
      dirs.insert(rest.substr(0, slash));
    }
  }
  for (const std::string& dir : dirs) {
    std::string id = tree_id(files, prefix + dir + "/", dir_ids);
    dir_ids[prefix + dir] = id;
    items.push_back({dir, true, id});
  }
  // Git orders tree entries by name, comparing folders as if they ended in '/'.
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return (a.is_dir ? a.name + "/" : a.name) < (b.is_dir ? b.name + "/" : b.name);
  });
  std::string body;
  for (const Item& item : items) {
    body += (item.is_dir ? "40000 " : "100644 ") + item.name;
    body.push_back('\0');
    body += hex_to_bytes(item.id);
  }
  return git_object_id("tree", body);
}

RepoFile make_file(const std::string& path, std::string bytes, uint64_t lfs_threshold) {
  if (!is_lfs_path(path, bytes.size(), lfs_threshold)) return make_regular_file(path, bytes);
  std::string sha256 = oclip::sha256_hex(bytes);
  return make_lfs_file(path, std::make_shared<const std::string>(std::move(bytes)), sha256);
}

std::map<std::string, RepoFile> read_folder(const std::filesystem::path& dir, uint64_t threshold) {
  std::map<std::string, RepoFile> files;
  if (!std::filesystem::is_directory(dir)) {
    throw std::runtime_error("seed folder not found: " + dir.string());
  }
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::string path = std::filesystem::relative(entry.path(), dir).generic_string();
    if (path.rfind(".git/", 0) == 0) continue;
    files[path] = make_file(path, oclip::read_file(entry.path()), threshold);
  }
  return files;
}

}  // namespace

RepoFile make_regular_file(const std::string& path, std::string bytes) {
  RepoFile file;
  file.path = path;
  file.sha256 = oclip::sha256_hex(bytes);
  file.blob_id = oclip::git_blob_sha1_hex(bytes);
  file.content = std::make_shared<const std::string>(std::move(bytes));
  return file;
}

RepoFile make_lfs_file(const std::string& path, std::shared_ptr<const std::string> content,
                       const std::string& sha256) {
  RepoFile file;
  file.path = path;
  file.lfs = true;
  file.sha256 = sha256;
  file.pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + sha256 + "\nsize " +
                 std::to_string(content->size()) + "\n";
  file.blob_id = oclip::git_blob_sha1_hex(file.pointer);
  file.content = std::move(content);
  return file;
}

std::string lfs_attribute_line(const std::string& pattern) {
  return pattern + " filter=lfs diff=lfs merge=lfs -text\n";
}

bool lfs_by_attributes(const std::string& gitattributes, const std::string& path) {
  std::string base = path.substr(path.rfind('/') + 1);
  std::stringstream lines(gitattributes);
  for (std::string line; std::getline(lines, line);) {
    std::stringstream words(line);
    std::string pattern, attribute;
    words >> pattern;
    if (pattern.empty() || pattern[0] == '#') continue;
    bool lfs = false;
    while (words >> attribute) lfs |= attribute == "filter=lfs";
    if (!lfs) continue;
    // Git matches a pattern without '/' against the base name, one with '/' against the path.
    const std::string& subject = pattern.find('/') == std::string::npos ? base : path;
    if (::fnmatch(pattern.c_str(), subject.c_str(), 0) == 0) return true;
  }
  return false;
}

bool is_lfs_path(const std::string& path, uint64_t size, uint64_t lfs_threshold) {
  if (size >= lfs_threshold) return true;
  std::string base = path.substr(path.rfind('/') + 1);
  for (const char* pattern : kLfsPatterns) {
    if (::fnmatch(pattern, base.c_str(), 0) == 0) return true;
  }
  return false;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

const Commit& HubState::commit(Repo& repo, const std::string& branch, const std::string& title,
                               std::map<std::string, RepoFile> files) {
  Commit c;
  auto parent = repo.branches.find(branch);
  if (parent == repo.branches.end()) parent = repo.branches.find("main");
  const Commit* previous =
      parent == repo.branches.end() ? nullptr : &repo.commits.at(parent->second);
  c.parent = previous ? previous->id : "";
  c.title = title;
  c.date = iso_date(clock_++);
  c.files = std::move(files);
  c.tree_id = tree_id(c.files, "", c.dir_tree_ids);
  std::string body = "tree " + c.tree_id + "\n";
  if (!c.parent.empty()) body += "parent " + c.parent + "\n";
  std::string stamp = " <hub@localhost> " + std::to_string(1767225600 + 3600 * clock_) + " +0000\n";
  body += "author local-hub" + stamp + "committer local-hub" + stamp + "\n" + title + "\n";
  c.id = git_object_id("commit", body);
  for (auto& [path, file] : c.files) {
    bool unchanged =
        previous && previous->files.count(path) && previous->files.at(path).blob_id == file.blob_id;
    file.last_commit = unchanged ? previous->files.at(path).last_commit : c.id;
  }
  repo.branches[branch] = c.id;
  std::string id = c.id;
  repo.commits[id] = std::move(c);
  return repo.commits.at(id);
}

Repo& HubState::create_repo(const std::string& id, bool is_private) {
  if (repos_.count(id)) throw std::runtime_error("repo added twice: " + id);
  Repo& repo = repos_[id];
  repo.id = id;
  repo.is_private = is_private;
  repo.object_id = oclip::sha1_hex("repo:" + id).substr(0, 24);
  repo.created_at = iso_date(clock_);
  std::map<std::string, RepoFile> initial;
  initial[".gitattributes"] = make_regular_file(".gitattributes", default_gitattributes());
  commit(repo, "main", "initial commit", initial);
  return repo;
}

void HubState::add_repo(const std::string& id, const std::filesystem::path& dir) {
  Repo& repo = create_repo(id, false);
  std::map<std::string, RepoFile> files = read_folder(dir, lfs_threshold);
  files.emplace(".gitattributes", repo.head().files.at(".gitattributes"));
  commit(repo, "main", "Upload folder using huggingface_hub", std::move(files));
}

void HubState::add_branch(const std::string& id, const std::string& branch,
                          const std::filesystem::path& dir) {
  Repo* repo = find_repo(id);
  if (!repo) throw std::runtime_error("branch for unknown repo: " + id);
  std::map<std::string, RepoFile> files = read_folder(dir, lfs_threshold);
  files.emplace(".gitattributes", repo->head().files.at(".gitattributes"));
  commit(*repo, branch, "Update on " + branch, std::move(files));
}

void HubState::add_tag(const std::string& id, const std::string& tag) {
  Repo* repo = find_repo(id);
  if (!repo) throw std::runtime_error("tag for unknown repo: " + id);
  repo->tags[tag] = repo->branches.at("main");
}

void HubState::add_raw_file(const std::string& id, const std::string& path, std::string content) {
  Repo* repo = find_repo(id);
  if (!repo) throw std::runtime_error("raw file for unknown repo: " + id);
  std::map<std::string, RepoFile> files = repo->head().files;
  files[path] = make_file(path, std::move(content), lfs_threshold);
  commit(*repo, "main", "Add " + path, std::move(files));
}

void HubState::add_user(const std::string& token, User user) { users_[token] = std::move(user); }

void HubState::add_rename(const std::string& from, const std::string& to) { renames_[from] = to; }

Repo* HubState::find_repo(const std::string& id) {
  auto it = repos_.find(id);
  return it == repos_.end() ? nullptr : &it->second;
}

const User* HubState::find_user(const std::string& token) const {
  auto it = users_.find(token);
  return it == users_.end() ? nullptr : &it->second;
}

std::optional<std::string> HubState::renamed_to(const std::string& id) const {
  auto it = renames_.find(id);
  if (it == renames_.end()) return std::nullopt;
  return it->second;
}

bool HubState::can_read(const Repo& repo, const User* user) const {
  if (!repo.is_private) return true;
  if (!user) return false;
  std::string owner = repo.id.substr(0, repo.id.find('/'));
  return user->name == owner ||
         std::find(user->orgs.begin(), user->orgs.end(), owner) != user->orgs.end();
}

bool HubState::has_access_grant(const Repo& repo, const User* user) const {
  if (repo.gated.empty()) return true;
  if (!user) return false;
  std::string owner = repo.id.substr(0, repo.id.find('/'));
  return user->name == owner || repo.granted_users.count(user->name) > 0;
}

bool HubState::can_write(const std::string& namespace_, const User* user) const {
  if (!user) return false;
  return user->name == namespace_ ||
         std::find(user->orgs.begin(), user->orgs.end(), namespace_) != user->orgs.end();
}

const Commit* HubState::resolve_revision(const Repo& repo, const std::string& revision) const {
  std::string rev = revision;
  if (rev == "HEAD") rev = "main";
  if (rev.rfind("refs/heads/", 0) == 0) rev = rev.substr(11);
  if (auto it = repo.branches.find(rev); it != repo.branches.end())
    return &repo.commits.at(it->second);
  std::string tag = revision.rfind("refs/tags/", 0) == 0 ? revision.substr(10) : revision;
  if (auto it = repo.tags.find(tag); it != repo.tags.end()) return &repo.commits.at(it->second);
  bool hex = rev.size() >= 7 && rev.size() <= 40 && std::all_of(rev.begin(), rev.end(), [](char c) {
               return std::isxdigit(c) && !std::isupper(c);
             });
  if (!hex) return nullptr;
  const Commit* found = nullptr;
  for (const auto& [id, commit] : repo.commits) {
    if (id.compare(0, rev.size(), rev) != 0) continue;
    if (found) return nullptr;  // ambiguous short id
    found = &commit;
  }
  return found;
}

std::optional<std::pair<std::string, std::string>> HubState::split_revision(
    const Repo& repo, const std::vector<std::string>& segments) const {
  for (size_t n = segments.size(); n >= 1; --n) {
    std::string revision;
    for (size_t i = 0; i < n; ++i) revision += (i ? "/" : "") + segments[i];
    if (!resolve_revision(repo, revision)) continue;
    std::string rest;
    for (size_t i = n; i < segments.size(); ++i) rest += (i > n ? "/" : "") + segments[i];
    return std::make_pair(revision, rest);
  }
  return std::nullopt;
}

std::vector<const Repo*> HubState::repos() const {
  std::vector<const Repo*> out;
  for (const auto& [id, repo] : repos_) out.push_back(&repo);
  return out;
}

}  // namespace local_hub
