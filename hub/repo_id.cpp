#include "hub/repo_id.h"

#include <algorithm>

#include "core/error.h"

namespace oclip::hub {

std::optional<std::string> repo_id_problem(std::string_view id) {
  if (id.empty()) return "empty repo id";
  if (std::count(id.begin(), id.end(), '/') > 1) {
    return "a repo id has at most one '/' (open_clip has no sub-folder support)";
  }
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-' || c == '/';
    if (!ok) return std::string("character '") + c + "' is not allowed in a repo id";
  }
  if (id.find("--") != std::string_view::npos || id.find("..") != std::string_view::npos) {
    return "'--' and '..' are not allowed in a repo id";
  }
  if (id.size() >= 4 && id.substr(id.size() - 4) == ".git") return "a repo id cannot end in .git";
  size_t slash = id.find('/');
  std::string_view parts[2] = {id.substr(0, slash),
                               slash == std::string_view::npos ? "" : id.substr(slash + 1)};
  for (std::string_view part : parts) {
    if (part.empty() && slash == std::string_view::npos) continue;
    if (part.empty()) return "empty namespace or name";
    if (part.size() > 96) return "a name is at most 96 characters";
    if (part.front() == '-' || part.front() == '.' || part.back() == '-' || part.back() == '.') {
      return "a name cannot start or end with '-' or '.'";
    }
  }
  return std::nullopt;
}

std::optional<std::string> revision_problem(std::string_view revision) {
  if (revision.empty()) return "empty revision";
  for (char c : revision) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || std::string_view(" ~^:?*[\\").find(c) != std::string_view::npos)
      return "a revision cannot contain spaces, control characters or any of ~^:?*[\\";
  }
  if (revision.find("..") != std::string_view::npos) return "'..' is not allowed in a revision";
  if (revision.find("//") != std::string_view::npos || revision.front() == '/' ||
      revision.back() == '/')
    return "a revision has no empty '/' parts";
  if (revision.find("@{") != std::string_view::npos) return "'@{' is not allowed in a revision";
  if (revision.front() == '.' || revision.find("/.") != std::string_view::npos)
    return "no part of a revision starts with '.'";
  if (revision.ends_with(".lock") || revision.back() == '.')
    return "a revision cannot end in '.' or '.lock'";
  return std::nullopt;
}

RepoRef parse_hf_hub_name(std::string_view name) {
  constexpr std::string_view kPrefix = "hf-hub:";
  if (name.substr(0, kPrefix.size()) != kPrefix) {
    throw Error(ErrorKind::Usage, "expected hf-hub:org/name, got '" + std::string(name) + "'");
  }
  std::string_view rest = name.substr(kPrefix.size());
  RepoRef repo;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    repo.revision = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (auto problem = revision_problem(repo.revision))
      throw Error(ErrorKind::Usage,
                  "invalid revision after '@' in '" + std::string(name) + "': " + *problem);
  }
  if (auto problem = repo_id_problem(rest)) {
    throw Error(ErrorKind::Usage, "invalid repo id in '" + std::string(name) + "': " + *problem);
  }
  repo.id = std::string(rest);
  return repo;
}

std::string repo_folder_name(const RepoRef& repo) {
  std::string folder = repo.type + "s--";
  for (char c : repo.id) {
    if (c == '/') {
      folder += "--";
    } else {
      folder.push_back(c);
    }
  }
  return folder;
}

std::optional<RepoRef> repo_of_folder_name(std::string_view folder) {
  const size_t sep = folder.find("--");
  if (sep == std::string_view::npos) return std::nullopt;
  const std::string_view prefix = folder.substr(0, sep);
  if (prefix != "models" && prefix != "datasets" && prefix != "spaces") return std::nullopt;
  RepoRef repo;
  repo.type = std::string(prefix.substr(0, prefix.size() - 1));
  repo.id = std::string(folder.substr(sep + 2));
  for (size_t at = repo.id.find("--"); at != std::string::npos; at = repo.id.find("--", at + 1))
    repo.id.replace(at, 2, "/");
  return repo;
}

}  // namespace oclip::hub
