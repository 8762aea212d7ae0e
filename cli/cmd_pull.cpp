// oclip pull MODEL: a model's config and weights into the shared Hub cache.
#include <chrono>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/hash.h"
#include "hub/pull.h"

namespace oclip::cli {
namespace {

struct Options {
  std::string model;
  std::string tag;
  std::string revision;
  bool all = false;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  bool force = false;
  bool dry_run = false;
  bool offline = false;
  bool progress = false;  // with --json: JSON lines on stderr
  std::string local_dir;
  int jobs = 4;
  std::string split_size;  // empty: automatic
  std::string limit_rate;
};

// "123", "64K", "16M", "1G" (powers of 1024, as curl's --limit-rate).
uint64_t parse_size(const std::string& text, const std::string& flag) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = text.substr(used);
  double scale = unit.empty()                 ? 1
                 : unit == "K" || unit == "k" ? 1024
                 : unit == "M" || unit == "m" ? 1 << 20
                 : unit == "G" || unit == "g" ? 1 << 30
                                              : -1;
  if (used == 0 || scale < 0 || !(value > 0)) {
    throw Error(ErrorKind::Usage,
                flag + " takes a size such as 512K, 16M or 1G, not '" + text + "'");
  }
  return static_cast<uint64_t>(value * scale);
}

// hf-hub:org/name[@rev], or a built-in name with --pretrained TAG.
hub::PullOptions plan(const Config& config, const Options& options) {
  hub::PullOptions pull;
  if (options.model.rfind("hf-hub:", 0) == 0) {
    if (!options.tag.empty())
      throw Error(ErrorKind::Usage, "--pretrained goes with a built-in name, not an hf-hub: name");
    pull.repo = hub::parse_hf_hub_name(options.model);
  } else if (options.model.rfind("local-dir:", 0) == 0) {
    throw Error(ErrorKind::Usage, "a local-dir: model is already on disk; nothing to pull");
  } else {
    registry::Registry registry = load_registry(config);
    if (!registry.has_model(options.model))
      registry.config(options.model);  // throws with suggestions
    if (options.tag.empty()) {
      std::string tags;
      for (std::string_view t : registry.tags_for(options.model)) tags += " " + std::string(t);
      throw Error(ErrorKind::Usage,
                  options.model + " is an architecture; pull needs --pretrained TAG")
          .with_hint(tags.empty() ? options.model + " has no pretrained weights" : "tags:" + tags);
    }
    PretrainedOnHub hub_copy = pretrained_on_hub(registry, options.model, options.tag);
    pull.repo.id = hub_copy.repo_id;
    pull.weight_file = hub_copy.filename;
  }
  if (!options.revision.empty()) {
    if (auto problem = hub::revision_problem(options.revision))
      throw Error(ErrorKind::Usage, "invalid --revision '" + options.revision + "': " + *problem);
    if (!pull.repo.revision.empty() && pull.repo.revision != options.revision) {
      throw Error(ErrorKind::Usage, "two revisions given: @" + pull.repo.revision +
                                        " and --revision " + options.revision);
    }
    pull.repo.revision = options.revision;
  }
  pull.revision = pull.repo.revision.empty() ? "main" : pull.repo.revision;
  pull.all = options.all;
  pull.include = options.include;
  pull.exclude = options.exclude;
  pull.force = options.force;
  pull.dry_run = options.dry_run;
  pull.transfer.streams = options.jobs;
  pull.local_dir = options.local_dir;
  if (!options.split_size.empty()) {
    pull.transfer.part_bytes = parse_size(options.split_size, "--split-size");
  }
  if (!options.limit_rate.empty())
    pull.transfer.rate_limit = parse_size(options.limit_rate, "--limit-rate");
  return pull;
}

std::string file_sha256(const hub::HubCache& cache, const hub::RepoRef& repo,
                        const hub::PulledFile& file) {
  if (file.etag.size() == 64) return file.etag;  // LFS: the etag is the sha256
  std::error_code ec;
  auto blob = cache.blob(repo, file.etag);
  return std::filesystem::exists(blob, ec) ? sha256_hex(read_file(blob)) : "";
}

nlohmann::ordered_json result_json(const hub::HubCache& cache, const hub::PullResult& result,
                                   bool dry_run) {
  hub::RepoRef repo;
  repo.id = result.repo_id;
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const hub::PulledFile& f : result.files) {
    nlohmann::ordered_json row = {{"path", f.path}, {"size", f.size}, {"etag", f.etag}};
    if (!dry_run) row["sha256"] = file_sha256(cache, repo, f);
    row[dry_run ? "would_fetch" : "fetched"] = f.fetched;
    files.push_back(row);
  }
  return {{"repo", result.repo_id},
          {"revision", result.revision},
          {"commit", result.commit},
          {"snapshot", result.snapshot.string()},
          {"files", files},
          {"bytes_fetched", result.bytes_fetched},
          {"network", !result.from_cache_only}};
}

int pull(const Config& global, const Options& options) {
  Config config = global;
  config.offline |= options.offline;
  hub::PullOptions request = plan(config, options);
  hub::HttpClient http(config);
  hub::HubApi api(config, http, system_clock());
  hub::HubCache cache(config.hub_cache, !config.disable_symlinks);

  ProgressLine::Style style = options.dry_run                   ? ProgressLine::Style::Off
                              : config.json && options.progress ? ProgressLine::Style::JsonLines
                              : config.progress                 ? ProgressLine::Style::Terminal
                                                                : ProgressLine::Style::Off;
  ProgressLine progress(style, system_clock());
  auto started = std::chrono::steady_clock::now();
  hub::PullEvents events;
  events.planned = [&](size_t files, uint64_t bytes) { progress.plan(files, bytes); };
  events.file_started = [&](const hub::TreeEntry& file) { progress.start(file.path, file.size); };
  events.bytes = [&](uint64_t bytes) { progress.add(bytes); };
  events.waiting = [&](const std::string& message) {
    if (config.verbosity >= 0) std::cerr << message << "\n";
  };
  hub::PullResult result = hub::pull(config, api, http, cache, request, events);
  progress.finish();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (config.json) {
    nlohmann::ordered_json out = result_json(cache, result, options.dry_run);
    nlohmann::ordered_json dependencies = nlohmann::ordered_json::array();
    for (const hub::PullResult& d : result.dependencies)
      dependencies.push_back(result_json(cache, d, false));
    out["dependencies"] = dependencies;
    out["bytes_fetched"] = result.bytes_fetched;
    out["seconds"] = seconds;
    print_json(out);
    return 0;
  }
  if (options.dry_run) {
    std::vector<std::vector<std::string>> rows;
    uint64_t total = 0;
    for (const hub::PulledFile& f : result.files) {
      rows.push_back({f.fetched ? "fetch" : "cached", human_bytes(f.size), f.path});
      if (f.fetched) total += f.size;
    }
    std::cout << format_table(rows) << "would fetch " << human_bytes(total) << " from "
              << result.repo_id << "@" << result.commit.substr(0, 12) << "\n";
    return 0;
  }
  std::cout << result.snapshot.string() << "\n";
  return 0;
}

}  // namespace

Command add_pull_command(CLI::App& parent) {
  auto options = std::make_shared<Options>();
  CLI::App* app =
      parent.add_subcommand("pull", "Download a model's config and weights into the Hub cache");
  app->add_option("MODEL", options->model,
                  "hf-hub:org/name[@revision], or a built-in name with --pretrained")
      ->required();
  app->add_option("--pretrained", options->tag,
                  "Pretrained tag of a built-in name (see list-models --pretrained)");
  app->add_option("--revision", options->revision, "Branch, tag or commit (default main)");
  app->add_flag("--all", options->all, "Every file of the repo, not just what open_clip loads");
  // One value per flag, so that `--include '*.json' MODEL` leaves MODEL to the positional.
  app->add_option("--include", options->include, "Only repo paths matching this glob (repeatable)")
      ->allow_extra_args(false);
  app->add_option("--exclude", options->exclude, "Skip repo paths matching this glob (repeatable)")
      ->allow_extra_args(false);
  app->add_flag("--force", options->force, "Fetch again even what is cached");
  app->add_flag("--dry-run", options->dry_run, "Show what would be fetched, change nothing");
  app->add_flag("--offline", options->offline, "Use the cache only (as HF_HUB_OFFLINE=1)");
  app->add_flag("--progress", options->progress, "With --json: progress as JSON lines on stderr");
  app->add_option("--local-dir", options->local_dir,
                  "Plain files in DIR instead of the cache (huggingface_hub's local_dir layout)");
  app->add_option("--jobs", options->jobs, "Parallel range requests per large file (default 4)")
      ->check(CLI::Range(1, 32));
  app->add_option("--split-size", options->split_size,
                  "Size of each range request (default: 16M to 64M by file size)");
  app->add_option("--limit-rate", options->limit_rate,
                  "Cap on download speed, e.g. 10M (bytes per second)");
  app->footer("Example: oclip pull ViT-B-32 --pretrained laion2b_s34b_b79k");
  return {app, [options](const Config& config) { return pull(config, *options); }};
}

}  // namespace oclip::cli
