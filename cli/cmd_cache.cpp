// oclip cache ls / verify: the shared Hub cache, OpenCLIP-aware, whoever wrote it.
#include <fmt/format.h>

#include <ctime>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "core/clock.h"
#include "hub/blob_lock.h"
#include "hub/cache_prune.h"
#include "hub/cache_scan.h"

namespace oclip::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

std::string ago(int64_t seconds_since_epoch) {
  if (seconds_since_epoch <= 0) return "-";
  const int64_t d = std::max<int64_t>(0, std::time(nullptr) - seconds_since_epoch);
  if (d < 120) return "just now";
  if (d < 7200) return fmt::format("{} minutes ago", d / 60);
  if (d < 2 * 86400) return fmt::format("{} hours ago", d / 3600);
  return fmt::format("{} days ago", d / 86400);
}

std::string open_clip_state(const hub::CachedRepo& repo) {
  if (!repo.open_clip()) return "";
  return repo.offline_ready() ? "open_clip, ready offline" : "open_clip, incomplete";
}

Json repo_json(const hub::CachedRepo& repo) {
  Json revisions = Json::array();
  for (const hub::CachedRevision& r : repo.revisions) {
    Json files = Json::array();
    for (const hub::CachedFile& f : r.files)
      files.push_back(
          {{"path", f.path}, {"size", f.size}, {"blob", f.blob}, {"dangling", f.dangling}});
    revisions.push_back({{"commit", r.commit},
                         {"refs", r.refs},
                         {"size_on_disk", r.size_on_disk},
                         {"last_modified", r.last_modified},
                         {"open_clip", r.open_clip},
                         {"offline_ready", r.offline_ready},
                         {"files", files}});
  }
  Json partials = Json::array();
  for (const hub::PartialDownload& p : repo.partials)
    partials.push_back({{"path", p.path.string()}, {"size", p.size}, {"writer", p.writer}});
  return {{"type", repo.type},
          {"id", repo.id},
          {"path", repo.dir.string()},
          {"size_on_disk", repo.size_on_disk},
          {"last_accessed", repo.last_accessed},
          {"last_modified", repo.last_modified},
          {"open_clip", repo.open_clip()},
          {"offline_ready", repo.offline_ready()},
          {"revisions", revisions},
          {"partial_downloads", partials},
          {"warnings", repo.warnings}};
}

int list_cache(const Config& config) {
  const hub::CacheScan scan = hub::scan_cache(config.hub_cache);
  if (config.json) {
    Json repos = Json::array();
    for (const hub::CachedRepo& r : scan.repos) repos.push_back(repo_json(r));
    print_json({{"cache", config.hub_cache.string()},
                {"size_on_disk", scan.size_on_disk},
                {"repos", repos},
                {"warnings", scan.warnings}});
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {
      {"REPO", "SIZE", "REVISIONS", "REFS", "LAST ACCESSED", "LAST MODIFIED", "OPEN_CLIP"}};
  std::vector<std::string> partials, warnings = scan.warnings;
  for (const hub::CachedRepo& r : scan.repos) {
    std::string refs;
    for (const hub::CachedRevision& rev : r.revisions)
      for (const std::string& ref : rev.refs) refs += (refs.empty() ? "" : ",") + ref;
    rows.push_back({r.display_name(), human_bytes(r.size_on_disk),
                    std::to_string(r.revisions.size()), refs, ago(r.last_accessed),
                    ago(r.last_modified), open_clip_state(r)});
    for (const hub::PartialDownload& p : r.partials)
      partials.push_back(
          fmt::format("  {}  {} ({})", human_bytes(p.size), p.path.string(), p.writer));
    for (const std::string& w : r.warnings) warnings.push_back(r.display_name() + ": " + w);
  }
  std::cout << format_table(rows);
  std::cout << fmt::format("{} repos, {} on disk in {}\n", scan.repos.size(),
                           human_bytes(scan.size_on_disk), config.hub_cache.string());
  if (!partials.empty()) std::cout << "partial downloads:\n";
  for (const std::string& p : partials) std::cout << p << "\n";
  for (const std::string& w : warnings) std::cerr << "warning: " << w << "\n";
  return 0;
}

// Deletes a corrupt blob and every link to it (so the next pull fetches it again) under the
// blob's download lock, or a dangling link.
void fix(const Config& config, const hub::CachedRepo& repo, const hub::BlobProblem& problem) {
  std::error_code ec;
  if (problem.kind == hub::BlobProblem::Kind::Dangling) {
    fs::remove(problem.path, ec);
    return;
  }
  const std::string blob = problem.path.filename().string();
  const fs::path lock_path =
      hub::blob_lock_path(config.hub_cache, repo.dir.filename().string(), blob);
  hub::BlobLock lock =
      hub::BlobLock::acquire(lock_path, config.lock_timeout_s, system_clock(),
                             [](const std::string& message) { std::cerr << message << "\n"; });
  for (const hub::CachedRevision& r : repo.revisions)
    for (const hub::CachedFile& f : r.files)
      if (f.blob == blob) fs::remove(repo.dir / "snapshots" / r.commit / f.path, ec);
  fs::remove(problem.path, ec);
}

int verify_cache(const Config& config, const std::string& wanted, bool apply_fix) {
  const hub::CacheScan scan = hub::scan_cache(config.hub_cache);
  std::vector<const hub::CachedRepo*> repos;
  for (const hub::CachedRepo& r : scan.repos)
    if (wanted.empty() || r.id == wanted || r.display_name() == wanted) repos.push_back(&r);
  if (repos.empty())
    throw Error(ErrorKind::NotFound, wanted.empty()
                                         ? "the cache is empty: " + config.hub_cache.string()
                                         : wanted + " is not in the cache")
        .with_hint("'oclip cache ls' shows what is there");

  ProgressLine progress(config.progress ? ProgressLine::Style::Terminal : ProgressLine::Style::Off,
                        system_clock());
  Json out = Json::array();
  bool unfixed_damage = false;
  for (const hub::CachedRepo* repo : repos) {
    progress.start("verify " + repo->display_name(), repo->size_on_disk);
    const std::vector<hub::BlobProblem> problems =
        hub::verify_repo(*repo, [&](uint64_t bytes) { progress.add(bytes); });
    progress.finish();
    Json listed = Json::array();
    for (const hub::BlobProblem& p : problems) {
      const bool damage = p.kind != hub::BlobProblem::Kind::Orphaned;
      const bool fixed = apply_fix && damage;
      if (fixed) fix(config, *repo, p);
      unfixed_damage |= damage && !fixed;
      listed.push_back({{"kind", hub::problem_name(p.kind)},
                        {"path", p.path.string()},
                        {"detail", p.detail},
                        {"fixed", fixed}});
      if (!config.json)
        std::cout << fmt::format("{}  {}  {}: {}{}\n", repo->display_name(),
                                 hub::problem_name(p.kind), p.path.string(), p.detail,
                                 fixed ? " (removed)" : "");
    }
    out.push_back({{"repo", repo->display_name()}, {"problems", listed}});
    if (!config.json && problems.empty()) std::cout << repo->display_name() << "  ok\n";
  }
  if (config.json) print_json({{"repos", out}});
  if (unfixed_damage) {
    if (!config.json)
      std::cerr << "hint: 'oclip cache verify --fix' removes what is damaged so the next pull "
                   "fetches it again\n";
    return exit_code_for(ErrorKind::Integrity);
  }
  return 0;
}

// "30d", "12h", "90m", "45s", "2w" in seconds.
int64_t parse_duration(const std::string& text) {
  size_t used = 0;
  long long n = -1;
  try {
    n = std::stoll(text, &used);
  } catch (const std::exception&) {
  }
  const std::string unit = text.substr(used);
  const int64_t scale = unit == "s"   ? 1
                        : unit == "m" ? 60
                        : unit == "h" ? 3600
                        : unit == "d" ? 86400
                        : unit == "w" ? 7 * 86400
                                      : 0;
  if (n < 0 || scale == 0)
    throw Error(
        ErrorKind::Usage,
        "--older-than takes a number and a unit (s, m, h, d, w), like 30d; got '" + text + "'");
  return n * scale;
}

int show_and_apply(const Config& config, const hub::RemovalPlan& plan, bool dry_run) {
  if (!dry_run) hub::apply_removal(plan, config.hub_cache, config.lock_timeout_s, system_clock());
  if (config.json) {
    Json revisions = Json::array();
    for (const auto& r : plan.revisions)
      revisions.push_back({{"repo", r.repo}, {"commit", r.commit}, {"refs", r.refs}});
    Json partials = Json::array();
    for (const fs::path& p : plan.partials) partials.push_back(p.string());
    print_json({{"dry_run", dry_run},
                {"revisions", revisions},
                {"partial_downloads", partials},
                {"bytes_freed", plan.bytes}});
    return 0;
  }
  const char* verb = dry_run ? "would remove" : "removed";
  for (const auto& r : plan.revisions) {
    std::string refs;
    for (const std::string& ref : r.refs) refs += (refs.empty() ? " (" : ", ") + ref;
    std::cout << fmt::format("{} {}@{}{}\n", verb, r.repo, r.commit.substr(0, 12),
                             refs.empty() ? "" : refs + ")");
  }
  for (const fs::path& p : plan.partials) std::cout << verb << " " << p.string() << "\n";
  std::cout << fmt::format("{} {} revisions and {} partial downloads, {} freed\n",
                           dry_run ? "would free:" : "done:", plan.revisions.size(),
                           plan.partials.size(), human_bytes(plan.bytes));
  return 0;
}

int remove_from_cache(const Config& config, const std::string& target, bool dry_run) {
  const size_t at = target.find('@');
  const std::string wanted = target.substr(0, at);
  std::optional<std::string> revision;
  if (at != std::string::npos) revision = target.substr(at + 1);
  const hub::CacheScan scan = hub::scan_cache(config.hub_cache);
  for (const hub::CachedRepo& r : scan.repos)
    if (r.id == wanted || r.display_name() == wanted)
      return show_and_apply(config, hub::plan_remove(r, revision), dry_run);
  throw Error(ErrorKind::NotFound, wanted + " is not in the cache")
      .with_hint("'oclip cache ls' shows what is there");
}

struct PruneFlags {
  std::string older_than;
  bool keep_latest = false;
  bool dry_run = false;
};

int prune_cache(const Config& config, const PruneFlags& flags) {
  hub::PruneOptions options;
  if (!flags.older_than.empty()) options.older_than_s = parse_duration(flags.older_than);
  options.keep_latest = flags.keep_latest;
  options.now = std::time(nullptr);
  const hub::CacheScan scan = hub::scan_cache(config.hub_cache);
  return show_and_apply(config, hub::plan_prune(scan, config.hub_cache, options), flags.dry_run);
}

}  // namespace

std::vector<Command> add_cache_commands(CLI::App& parent) {
  CLI::App* cache = parent.add_subcommand("cache", "Inspect, check and clean the shared Hub cache");
  cache->require_subcommand(1);
  CLI::App* ls = cache->add_subcommand(
      "ls", "Repos, revisions, refs, sizes (blobs once), partial downloads, OpenCLIP readiness");
  ls->footer("Example: oclip cache ls --json");

  auto repo = std::make_shared<std::string>();
  auto apply_fix = std::make_shared<bool>(false);
  CLI::App* verify = cache->add_subcommand(
      "verify", "Re-hash every blob against its name; find orphaned blobs and broken links");
  verify->add_option("REPO", *repo, "Only this repo (org/name, or dataset:org/name)");
  verify->add_flag(
      "--fix", *apply_fix,
      "Remove corrupt blobs (with their links) and broken links, so a pull refetches them");
  verify->footer(
      "Exit 7 when damage is found and not fixed.\nExample: oclip cache verify "
      "laion/CLIP-ViT-B-32-laion2B-s34B-b79K --fix");
  auto target = std::make_shared<std::string>();
  auto rm_dry_run = std::make_shared<bool>(false);
  CLI::App* rm = cache->add_subcommand(
      "rm", "Remove a repo, or one revision and the blobs no other revision uses");
  rm->add_option("REPO", *target, "org/name, or org/name@REVISION (commit, short commit or ref)")
      ->required();
  rm->add_flag("--dry-run", *rm_dry_run, "Say what would go and how much it frees");
  rm->footer("Example: oclip cache rm laion/CLIP-ViT-B-32-laion2B-s34B-b79K@refs/pr/3");

  auto prune_flags = std::make_shared<PruneFlags>();
  CLI::App* prune = cache->add_subcommand(
      "prune", "Remove detached revisions and partial downloads nobody is writing");
  prune->add_option("--older-than", prune_flags->older_than,
                    "Also revisions not modified for this long (30d, 12h, 2w)");
  prune->add_flag("--keep-latest", prune_flags->keep_latest, "Keep each repo's newest revision");
  prune->add_flag("--dry-run", prune_flags->dry_run, "Say what would go and how much it frees");
  prune->footer("Example: oclip cache prune --older-than 30d --keep-latest --dry-run");

  return {
      {ls, [](const Config& config) { return list_cache(config); }},
      {rm, [target, rm_dry_run](
               const Config& config) { return remove_from_cache(config, *target, *rm_dry_run); }},
      {prune, [prune_flags](const Config& config) { return prune_cache(config, *prune_flags); }},
      {verify, [repo, apply_fix](const Config& config) {
         return verify_cache(config, *repo, *apply_fix);
       }}};
}

}  // namespace oclip::cli
