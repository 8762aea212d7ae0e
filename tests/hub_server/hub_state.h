// The local Hub's repositories: files, commits with real git object ids, refs, access rules.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace local_hub {

struct RepoFile {
  std::string path;
  std::shared_ptr<const std::string> content;
  std::string blob_id;  // git blob sha1: of the content, or of the LFS pointer
  bool lfs = false;
  std::string sha256;       // LFS object id (content sha256); set for every file
  std::string pointer;      // LFS pointer text, when lfs
  std::string last_commit;  // the newest commit that changed this path
};

struct Commit {
  std::string id;
  std::string parent;
  std::string tree_id;
  std::string title;
  std::string date;  // ISO 8601, milliseconds, Z
  std::map<std::string, RepoFile> files;
  std::map<std::string, std::string> dir_tree_ids;  // folder path -> git tree sha1
};

struct Repo {
  std::string id;
  std::string object_id;  // 24 hex, like the Hub's _id
  bool is_private = false;
  std::string gated;  // "", "auto" or "manual"
  std::set<std::string> granted_users;
  std::string created_at;
  std::map<std::string, std::string> branches;  // name -> commit id
  std::map<std::string, std::string> tags;
  std::map<std::string, Commit> commits;
  int pull_requests = 0;  // refs/pr/N are kept in `branches`, numbered from 1

  const Commit& head() const { return commits.at(branches.at("main")); }
};

struct User {
  std::string name;
  std::vector<std::string> orgs;
};

// The Hub's default .gitattributes: these patterns go to LFS.
bool is_lfs_path(const std::string& path, uint64_t size, uint64_t lfs_threshold);
// Whether a `filter=lfs` rule of a .gitattributes text matches `path`.
bool lfs_by_attributes(const std::string& gitattributes, const std::string& path);
std::string lfs_attribute_line(const std::string& pattern);

RepoFile make_regular_file(const std::string& path, std::string bytes);
RepoFile make_lfs_file(const std::string& path, std::shared_ptr<const std::string> content,
                       const std::string& sha256);

class HubState {
 public:
  uint64_t lfs_threshold = 10 * 1024 * 1024;

  // A new repo: "initial commit" (.gitattributes), then one commit with every file of `dir`.
  void add_repo(const std::string& id, const std::filesystem::path& dir);
  // A branch from main's head whose one new commit holds exactly the files of `dir`.
  void add_branch(const std::string& id, const std::string& branch,
                  const std::filesystem::path& dir);
  void add_tag(const std::string& id, const std::string& tag);
  // A commit on main adding `path` exactly as given, unchecked: for clients' path-safety tests.
  void add_raw_file(const std::string& id, const std::string& path, std::string content);
  void add_user(const std::string& token, User user);
  void add_rename(const std::string& from, const std::string& to);
  // A repo made by the create-repo API: one "initial commit" holding .gitattributes.
  Repo& create_repo(const std::string& id, bool is_private);
  // A new commit on `branch` (created from main's head when new) holding exactly `files`.
  const Commit& commit(Repo& repo, const std::string& branch, const std::string& title,
                       std::map<std::string, RepoFile> files);

  Repo* find_repo(const std::string& id);
  const User* find_user(const std::string& token) const;
  std::optional<std::string> renamed_to(const std::string& id) const;
  bool can_read(const Repo& repo, const User* user) const;
  bool has_access_grant(const Repo& repo, const User* user) const;
  // Owners and their orgs' members write; `namespace_` is the part of a repo id before '/'.
  bool can_write(const std::string& namespace_, const User* user) const;

  // A branch, tag, full or short (>= 7 hex) commit id, HEAD, refs/heads/X or refs/tags/X.
  const Commit* resolve_revision(const Repo& repo, const std::string& revision) const;
  // For URLs where the revision may span several '/' segments: the longest leading run of
  // `segments` that names a revision, and the rest joined by '/'.
  std::optional<std::pair<std::string, std::string>> split_revision(
      const Repo& repo, const std::vector<std::string>& segments) const;

  std::vector<const Repo*> repos() const;

 private:
  std::map<std::string, Repo> repos_;
  std::map<std::string, User> users_;  // by token
  std::map<std::string, std::string> renames_;
  int clock_ = 0;  // commit dates advance one hour per commit, deterministically
};

std::vector<std::string> split_path(const std::string& path);

}  // namespace local_hub
