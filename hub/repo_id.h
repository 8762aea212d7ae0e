// hub/repo_id.h — Hub repo ids and `hf-hub:` model names.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace oclip::hub {

struct RepoRef {
  std::string type = "model";  // model, dataset, space
  std::string id;              // "org/name" (or a legacy "name")
  std::string revision;        // empty: the default branch
};

// huggingface_hub's rules: [A-Za-z0-9_.-], at most one '/', name 1..96 characters, no leading
// or trailing '-' or '.', no "--" or "..", no ".git" suffix. Returns why it is invalid.
std::optional<std::string> repo_id_problem(std::string_view id);

// Why `revision` cannot be a branch, tag, refs/pr/N or commit name (git's ref-name rules), or
// nullopt when it can.
std::optional<std::string> revision_problem(std::string_view revision);

// "hf-hub:org/name[@revision]". Throws Error(Usage) for anything open_clip would not load.
RepoRef parse_hf_hub_name(std::string_view name);

// "models--org--name": the cache folder of a repo.
std::string repo_folder_name(const RepoRef& repo);
// The inverse, for "models--", "datasets--" and "spaces--" folders; nullopt for anything else.
std::optional<RepoRef> repo_of_folder_name(std::string_view folder);

}  // namespace oclip::hub
