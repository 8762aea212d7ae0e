#include "hub/pull.h"

#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "hub/blob_lock.h"
#include "hub/download.h"
#include "hub/local_dir.h"

namespace oclip::hub {
namespace {

constexpr const char* kConfigFile = "open_clip_config.json";

bool matches(const std::string& pattern, const std::string& path) {
  std::string p = pattern;
  if (!p.empty() && p.back() == '/') p += '*';
  return ::fnmatch(p.c_str(), path.c_str(), 0) == 0;
}

const TreeEntry* find(const std::vector<TreeEntry>& listing, const std::string& path) {
  auto it = std::find_if(listing.begin(), listing.end(),
                         [&](const TreeEntry& e) { return e.path == path; });
  return it == listing.end() ? nullptr : &*it;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// A cached snapshot that already answers the pull: every default file present. Lets a pull
// of a full commit id (or offline) make no request at all.
std::optional<PullResult> from_cache(const HubCache& cache, const PullOptions& options,
                                     const std::string& commit) {
  if (options.force) return std::nullopt;
  const RepoRef& repo = options.repo;
  PullResult result;
  if (auto listing = cache.read_tree(repo, commit)) {
    // The commit's full listing is known: exactly what the options select must be present.
    std::vector<TreeEntry> wanted;
    try {
      wanted = select_files(*listing, options);
    } catch (const Error&) {
      return std::nullopt;
    }
    for (const TreeEntry& e : wanted) {
      if (!cache.has_file(repo, commit, e.path)) return std::nullopt;
      result.files.push_back({e.path, 0, "", false});
    }
  } else {
    if (options.all || !options.include.empty() || !options.optional_files.empty())
      return std::nullopt;
    if (!cache.has_file(repo, commit, kConfigFile)) return std::nullopt;
    result.files.push_back({kConfigFile, 0, "", false});
    for (const std::string& weights : weight_candidates(options.weight_file)) {
      if (cache.has_file(repo, commit, weights)) {
        result.files.push_back({weights, 0, "", false});
        break;
      }
      if (!cache.known_missing(repo, commit, weights)) return std::nullopt;  // unknown: ask the Hub
    }
    if (result.files.size() < 2) return std::nullopt;
  }
  for (PulledFile& file : result.files) {
    std::error_code ec;
    auto path = cache.snapshot_file(repo, commit, file.path);
    file.size = std::filesystem::file_size(path, ec);
    std::filesystem::path target = std::filesystem::canonical(path, ec);
    file.etag = target.filename().string();
  }
  result.repo_id = repo.id;
  result.revision = options.revision;
  result.commit = commit;
  result.snapshot = cache.snapshot_dir(repo, commit);
  result.from_cache_only = true;
  return result;
}

void announce_plan(const std::vector<TreeEntry>& files,
                   const std::function<bool(const TreeEntry&)>& have, const PullEvents& events) {
  if (!events.planned) return;
  size_t count = 0;
  uint64_t bytes = 0;
  for (const TreeEntry& file : files) {
    if (have(file)) continue;
    ++count;
    bytes += file.size;
  }
  events.planned(count, bytes);
}

uint64_t fetch_file(const Config& config, HubApi& api, const HttpClient& http,
                    const BlobTarget& target, const PullOptions& options, const TreeEntry& file,
                    const std::string& commit, const ByteProgress& progress) {
  const RepoRef& repo = options.repo;
  auto resolve = [&] { return api.file_metadata(repo, commit, file.path); };
  FileMetadata meta = resolve();
  if (meta.etag != file.etag() || meta.size != file.size) {
    throw Error(ErrorKind::Integrity, "the Hub's listing and its resolve answer disagree on " +
                                          file.path + " (" + file.etag() + " vs " + meta.etag +
                                          ")");
  }
  // LFS content from storage goes in parallel ranges into a resumable partial; regular files
  // (small, from the Hub itself) in one stream.
  if (meta.is_lfs() && origin_of(meta.location) != origin_of(config.endpoint)) {
    uint64_t fetched = 0;
    for (int whole_file_try = 0; whole_file_try < 2; ++whole_file_try) {
      try {
        auto ranged = download_blob_ranged(api, http, config, target, repo, meta, resolve, progress,
                                           options.transfer);
        if (!ranged) break;  // the server ignores Range: one stream below
        return fetched + ranged->bytes_fetched;
      } catch (const Error& e) {
        // Corruption in transit shows only in the whole-file hash: fetch once more, then fail.
        if (e.kind() != ErrorKind::Integrity || whole_file_try == 1) throw;
        fetched += meta.size;
      }
    }
  }
  return download_blob(api, target, repo, meta, resolve, progress, options.transfer.rate_limit)
      .bytes_fetched;
}

}  // namespace

std::vector<std::string> weight_candidates(const std::string& weight_file) {
  if (weight_file.empty() || weight_file == "open_clip_pytorch_model.bin") {
    return {"open_clip_model.safetensors", "open_clip_pytorch_model.bin"};
  }
  for (const char* suffix : {".bin", ".pth"}) {
    std::string s = suffix;
    if (weight_file.size() > s.size() &&
        weight_file.compare(weight_file.size() - s.size(), s.size(), s) == 0) {
      return {weight_file.substr(0, weight_file.size() - s.size()) + ".safetensors", weight_file};
    }
  }
  return {weight_file};
}

const std::vector<std::string>& tokenizer_file_names() {
  static const std::vector<std::string> names = {"tokenizer_config.json",
                                                 "tokenizer.json",
                                                 "special_tokens_map.json",
                                                 "added_tokens.json",
                                                 "vocab.json",
                                                 "merges.txt",
                                                 "vocab.txt",
                                                 "spiece.model",
                                                 "sentencepiece.bpe.model",
                                                 "tokenizer.model"};
  return names;
}

bool path_selected(const std::string& path, const std::vector<std::string>& include,
                   const std::vector<std::string>& exclude) {
  bool included =
      include.empty() || std::any_of(include.begin(), include.end(),
                                     [&](const std::string& p) { return matches(p, path); });
  return included && std::none_of(exclude.begin(), exclude.end(),
                                  [&](const std::string& p) { return matches(p, path); });
}

std::vector<TreeEntry> select_files(const std::vector<TreeEntry>& listing,
                                    const PullOptions& options) {
  std::vector<TreeEntry> chosen;
  if (!options.optional_files.empty()) {
    for (const std::string& name : options.optional_files) {
      if (const TreeEntry* e = find(listing, name)) chosen.push_back(*e);
    }
    return chosen;
  }
  if (options.all || !options.include.empty()) {
    for (const TreeEntry& e : listing) {
      if (path_selected(e.path, options.include, options.exclude)) chosen.push_back(e);
    }
    return chosen;
  }
  const TreeEntry* config = find(listing, kConfigFile);
  if (!config) {
    throw Error(ErrorKind::NotFound,
                options.repo.id + " has no " + kConfigFile + ": not an OpenCLIP model repo")
        .with_hint("'--all' fetches every file of the repo");
  }
  chosen.push_back(*config);
  std::vector<std::string> candidates = weight_candidates(options.weight_file);
  for (const std::string& name : candidates) {
    if (const TreeEntry* weights = find(listing, name)) {
      chosen.push_back(*weights);
      break;
    }
  }
  if (chosen.size() < 2) {
    throw Error(ErrorKind::NotFound, options.repo.id +
                                         " has none of the weight files open_clip loads (" +
                                         join(candidates) + ")");
  }
  std::vector<TreeEntry> kept;
  for (const TreeEntry& e : chosen) {
    if (path_selected(e.path, {}, options.exclude)) kept.push_back(e);
  }
  return kept;
}

namespace {

struct Dependency {
  std::string repo_id;
  std::vector<std::string> files;
  bool has_tokenizer = false;
  // config.json is there only for AutoTokenizer's class lookup (an old tokenizer_config.json
  // names none): kept in the cache, where convert and push read it, not put in a --local-dir.
  bool config_for_tokenizer_only = false;
};

// Other repos open_clip reads when it loads this config (open-clip.md §6.5, §9): the HF
// tokenizer, and an HF text tower's config.json.
std::vector<Dependency> dependencies_of(const std::filesystem::path& config_file) {
  std::vector<Dependency> out;
  std::ifstream in(config_file);
  auto config = nlohmann::json::parse(in, nullptr, false);
  if (!config.is_object()) {
    throw Error(ErrorKind::Format, "open_clip_config.json is not valid JSON")
        .with_file(config_file.string());
  }
  const auto& text = config.value("model_cfg", nlohmann::json::object())
                         .value("text_cfg", nlohmann::json::object());
  auto name_of = [&](const char* key) {
    return text.contains(key) && text[key].is_string() ? text[key].get<std::string>()
                                                       : std::string();
  };
  std::string tokenizer = name_of("hf_tokenizer_name");
  std::string text_model = name_of("hf_model_name");
  if (!tokenizer.empty()) {
    Dependency d{tokenizer, tokenizer_file_names(), true, text_model != tokenizer};
    d.files.push_back("config.json");
    out.push_back(d);
  }
  if (!text_model.empty() && text_model != tokenizer)
    out.push_back({text_model, {"config.json"}, false, false});
  return out;
}

}  // namespace

PullResult pull(const Config& config, HubApi& api, const HttpClient& http, const HubCache& cache,
                const PullOptions& options, const PullEvents& events) {
  PullResult result = pull_repo(config, api, http, cache, options, events);
  // From the cache while online (a pinned commit): no request at all, not even for the
  // dependencies. Offline, they come from the cache too.
  if (options.dry_run || !options.optional_files.empty()) return result;
  if (result.from_cache_only && !config.offline) return result;
  auto config_file = std::find_if(result.files.begin(), result.files.end(),
                                  [](const PulledFile& f) { return f.path == kConfigFile; });
  if (config_file == result.files.end()) return result;
  for (const Dependency& dependency : dependencies_of(result.snapshot / kConfigFile)) {
    PullOptions sub;
    sub.repo.id = dependency.repo_id;
    if (auto problem = repo_id_problem(sub.repo.id)) {
      throw Error(ErrorKind::Format,
                  "open_clip_config.json names repo '" + sub.repo.id + "': " + *problem);
    }
    // The repo's own tokenizer comes at the same commit; another repo's at its main branch.
    sub.revision = sub.repo.id == options.repo.id ? result.commit : "main";
    sub.optional_files = dependency.files;
    if (!options.local_dir.empty() && dependency.config_for_tokenizer_only)
      std::erase(sub.optional_files, std::string("config.json"));
    sub.force = options.force;
    sub.local_dir = options.local_dir;
    // A folder for local-dir: loads needs the tokenizer files in it (open-clip.md §6.5); the text
    // model's config.json is fetched by name even then.
    if (!sub.local_dir.empty() && !dependency.has_tokenizer) continue;
    sub.transfer = options.transfer;
    PullResult pulled = pull_repo(config, api, http, cache, sub, events);
    result.bytes_fetched += pulled.bytes_fetched;
    result.dependencies.push_back(std::move(pulled));
  }
  return result;
}

// --local-dir: plain files and huggingface_hub's metadata; the cache is not touched.
PullResult pull_to_local_dir(const Config& config, HubApi& api, const HttpClient& http,
                             const PullOptions& options, const PullEvents& events) {
  if (config.offline) {
    throw Error(ErrorKind::Usage,
                "--local-dir needs the Hub; offline there is nothing to check it against");
  }
  LocalDir dir(options.local_dir);
  PullResult result;
  result.repo_id = options.repo.id;
  result.revision = options.revision;
  result.commit = api.resolve_commit(options.repo, options.revision);
  std::vector<TreeEntry> listing = api.list_files(options.repo, result.commit);
  for (const TreeEntry& e : listing) check_repo_path(e.path);
  result.snapshot = dir.root();
  std::vector<TreeEntry> files = select_files(listing, options);
  auto is_current = [&](const TreeEntry& file) {
    return !options.force && dir.is_current(file.path, file.etag());
  };
  if (!options.dry_run) announce_plan(files, is_current, events);
  for (const TreeEntry& file : files) {
    PulledFile pulled{file.path, file.size, file.etag(), false};
    bool current = is_current(file);
    if (!current && !options.dry_run) {
      if (events.file_started) events.file_started(file);
      result.bytes_fetched += fetch_file(config, api, http, dir.target(file.path), options, file,
                                         result.commit, events.bytes);
      dir.write_metadata(file.path, result.commit, file.etag());
    }
    pulled.fetched = !current;
    result.files.push_back(pulled);
  }
  return result;
}

PullResult pull_repo(const Config& config, HubApi& api, const HttpClient& http,
                     const HubCache& cache, const PullOptions& options, const PullEvents& events) {
  if (!options.local_dir.empty()) return pull_to_local_dir(config, api, http, options, events);
  const RepoRef& repo = options.repo;
  if (auto commit = cache.commit_for(repo, options.revision)) {
    bool pinned = is_commit_id(options.revision);
    if (pinned || config.offline) {
      if (auto cached = from_cache(cache, options, *commit)) return *cached;
    }
  }
  if (config.offline) {
    throw Error(ErrorKind::NotFound, "offline (HF_HUB_OFFLINE) and " + repo.id + "@" +
                                         options.revision + " is not complete in the cache at " +
                                         cache.root().string())
        .with_hint("pull it once while online");
  }

  PullResult result;
  result.repo_id = repo.id;
  result.revision = options.revision;
  result.commit = api.resolve_commit(repo, options.revision);
  std::vector<TreeEntry> listing = api.list_files(repo, result.commit);
  for (const TreeEntry& e : listing) check_repo_path(e.path);
  std::vector<TreeEntry> files = select_files(listing, options);
  result.snapshot = cache.snapshot_dir(repo, result.commit);
  auto is_cached = [&](const TreeEntry& file) {
    return !options.force && cache.has_file(repo, result.commit, file.path) &&
           std::filesystem::exists(cache.blob(repo, file.etag()));
  };
  if (!options.dry_run) announce_plan(files, is_cached, events);

  for (const TreeEntry& file : files) {
    PulledFile pulled{file.path, file.size, file.etag(), false};
    bool cached = is_cached(file);
    if (options.dry_run || cached) {
      pulled.fetched = !cached;
      result.files.push_back(pulled);
      continue;
    }
    if (options.force || !std::filesystem::exists(cache.blob(repo, file.etag()))) {
      std::optional<BlobLock> lock;
      if (config.use_locks) {
        lock.emplace(
            BlobLock::acquire(blob_lock_path(cache.root(), repo_folder_name(repo), file.etag()),
                              config.lock_timeout_s, system_clock(), events.waiting));
      }
      // Another process may have finished it while we waited.
      if (options.force || !std::filesystem::exists(cache.blob(repo, file.etag()))) {
        if (events.file_started) events.file_started(file);
        result.bytes_fetched += fetch_file(config, api, http, cache.blob_target(repo, file.etag()),
                                           options, file, result.commit, events.bytes);
        pulled.fetched = true;
      }
    }
    cache.link(repo, result.commit, file.path, file.etag());
    result.files.push_back(pulled);
  }
  if (options.dry_run) return result;

  // Weight names open_clip would try first but the repo lacks: a Python loader offline then
  // skips them without a request, as after its own 404.
  if (!options.optional_files.empty()) {
    for (const std::string& name : options.optional_files) {
      if (!find(listing, name)) cache.mark_missing(repo, result.commit, name);
    }
  } else if (!options.all && options.include.empty()) {
    for (const std::string& name : weight_candidates(options.weight_file)) {
      if (find(listing, name)) break;
      cache.mark_missing(repo, result.commit, name);
    }
  }
  // The listing is the commit's complete, unfiltered tree: safe to record for offline use.
  cache.write_tree(repo, result.commit, listing);
  // Snapshot entries first, then the ref, so that a ref never points at a missing snapshot.
  cache.write_ref(repo, options.revision, result.commit);
  cache.tag_cache_dir();
  return result;
}

}  // namespace oclip::hub
