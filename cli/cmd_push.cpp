// oclip push DIR --repo-id ORG/NAME: a model folder to a Hub repo in one commit.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include "card/card.h"
#include "cli/command.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "cli/scratch_dir.h"
#include "cli/tokenizer_files.h"
#include "convert/conversion.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/file_io.h"
#include "hub/cache.h"
#include "hub/pull.h"
#include "hub/upload.h"

namespace oclip::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr const char* kConfigFile = "open_clip_config.json";
constexpr const char* kReadme = "README.md";
// open_clip saves this tokenizer for models that use its own SimpleTokenizer (open-clip.md §4.2).
constexpr const char* kClipTokenizerRepo = "openai/clip-vit-large-patch14";

struct Options {
  std::string folder;
  std::string repo_id;
  std::string revision = "main";
  bool private_repo = false;
  bool create_pr = false;
  std::string commit_message = "Upload folder with oclip";
  std::string commit_description;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  std::vector<std::string> delete_patterns;
  bool dry_run = false;
  int jobs = 4;
  bool hf_tokenizer_self = false;
  std::string tokenizer_dir;
  std::string model_card;
  std::string license;
  bool force = false;
  bool no_card = false;
  bool progress = false;
  // open_clip's push_to_hf_hub flow: the folder built from a checkpoint first.
  std::string model;
  std::string pretrained;
  convert::ConvertOptions convert;
  std::vector<double> mean, std;
  std::string safe_serialization = "both";
};

std::vector<hub::LocalFile>::iterator find_file(std::vector<hub::LocalFile>& files,
                                                const std::string& path) {
  return std::find_if(files.begin(), files.end(),
                      [&](const hub::LocalFile& f) { return f.path == path; });
}

Json folder_config(const hub::LocalFile& file) {
  std::string text = file.content ? *file.content : read_file(file.source);
  Json config = Json::parse(text, nullptr, false);
  if (!config.is_object() || !config.contains("model_cfg") || !config["model_cfg"].is_object()) {
    throw Error(ErrorKind::Format, std::string(kConfigFile) + " has no model_cfg object")
        .with_file(file.source.string());
  }
  return config;
}

// The tokenizer files of `repo`, through the Hub cache (fetched when missing), with its
// config.json for the tokenizer class an old tokenizer_config.json leaves out.
TokenizerFiles tokenizer_files_from_hub(const Config& config, hub::HubApi& api,
                                        hub::HttpClient& http, const std::string& repo) {
  hub::HubCache cache(config.hub_cache, !config.disable_symlinks);
  hub::PullOptions pull;
  pull.repo.id = repo;
  pull.optional_files = hub::tokenizer_file_names();
  pull.optional_files.push_back("config.json");
  hub::PullResult result = hub::pull_repo(config, api, http, cache, pull, {});
  TokenizerFiles found = tokenizer_files_in(result.snapshot, repo);
  if (found.files.empty()) {
    throw Error(ErrorKind::NotFound, repo + " has none of the tokenizer files")
        .with_hint("give them with --tokenizer-dir DIR");
  }
  return found;
}

// The tokenizer files of `source` the folder lacks, from --tokenizer-dir or the tokenizer's own
// repo: open_clip's push always saves them (open-clip.md §4.2, §4.4).
void add_tokenizer_files(const Config& config, const Options& options, hub::HubApi& api,
                         hub::HttpClient& http, const std::string& source,
                         std::vector<hub::LocalFile>& files, std::vector<std::string>& notices) {
  TokenizerFiles found;
  if (!options.tokenizer_dir.empty()) {
    found = tokenizer_files_from_flag(options.tokenizer_dir);
  } else if (source != options.repo_id) {
    found = tokenizer_files_from_hub(config, api, http, source);
  }
  if (!found.problem.empty()) {
    throw Error(ErrorKind::Format, found.problem)
        .with_hint(
            "give the tokenizer files with --tokenizer-dir DIR, its tokenizer_config.json "
            "naming tokenizer_class");
  }
  if (!found.notice.empty()) notices.push_back(found.notice);
  int added = 0;
  for (const convert::ExtraFile& file : found.files) {
    if (find_file(files, file.name) != files.end()) continue;
    files.push_back(file.source.empty() ? hub::memory_file(file.name, file.content)
                                        : hub::local_file(file.name, file.source));
    ++added;
  }
  notices.push_back(std::to_string(added) + " tokenizer file" + (added == 1 ? "" : "s") +
                    " added from " +
                    (options.tokenizer_dir.empty() ? source : options.tokenizer_dir));
}

// The tokenizer repo the config names, or open_clip's stand-in for its own tokenizer; with
// --hf-tokenizer-self the uploaded config names this repo instead (open-clip.md §4.2 step 3).
std::string tokenizer_source(const Options& options, std::vector<hub::LocalFile>& files,
                             std::vector<std::string>& notices) {
  auto config_file = find_file(files, kConfigFile);
  if (config_file == files.end()) {
    throw Error(ErrorKind::Usage,
                "--hf-tokenizer-self needs " + std::string(kConfigFile) + " in " + options.folder);
  }
  Json model = folder_config(*config_file);
  Json& text = model["model_cfg"]["text_cfg"];
  if (!text.is_object()) text = Json::object();
  std::string source = text.value("hf_tokenizer_name", std::string(kClipTokenizerRepo));
  if (options.hf_tokenizer_self) {
    text["hf_tokenizer_name"] = options.repo_id;
    *config_file = hub::memory_file(kConfigFile, model.dump(2, ' ', true));
    notices.push_back("hf_tokenizer_name set to " + options.repo_id);
  }
  return source;
}

// --pretrained TAG: the entry's weights and README from its Hub repo, through the cache.
// Returns the weight file; preprocessing then follows the entry unless flags say otherwise.
std::string pull_pretrained(const Config& config, hub::HubApi& api, hub::HttpClient& http,
                            Options& options, std::vector<std::string>& notices) {
  PretrainedOnHub hub_copy =
      pretrained_on_hub(load_registry(config), options.model, options.pretrained);
  hub::HubCache cache(config.hub_cache, !config.disable_symlinks);
  hub::PullOptions pull;
  pull.repo.id = hub_copy.repo_id;
  pull.optional_files = hub::weight_candidates(hub_copy.filename);
  pull.optional_files.push_back(kReadme);
  hub::PullResult pulled = hub::pull_repo(config, api, http, cache, pull, {});
  for (const std::string& name : pull.optional_files) {
    if (name == kReadme || !fs::exists(pulled.snapshot / name)) continue;
    if (options.convert.pretrained_tag.empty()) options.convert.pretrained_tag = options.pretrained;
    notices.push_back("weights of " + options.model + ":" + options.pretrained + " from " +
                      pull.repo.id + " (" + name + ")");
    return (pulled.snapshot / name).string();
  }
  throw Error(ErrorKind::NotFound, pull.repo.id + " has none of the weight files of " +
                                       options.model + ":" + options.pretrained);
}

// The license in the front matter of the README beside a checkpoint that sits in a Hub cache
// snapshot (a pulled model), with the repo it came from; nullopt otherwise.
std::optional<std::pair<std::string, std::string>> source_repo_license(
    const std::string& checkpoint) {
  const fs::path snapshot = fs::path(checkpoint).parent_path();
  const std::optional<hub::RepoRef> repo =
      hub::repo_of_folder_name(snapshot.parent_path().parent_path().filename().string());
  if (snapshot.parent_path().filename() != "snapshots" || !repo ||
      !fs::is_regular_file(snapshot / kReadme)) {
    return std::nullopt;
  }
  std::optional<std::string> license = card::front_matter_license(read_file(snapshot / kReadme));
  if (!license) return std::nullopt;
  return std::make_pair(*license, repo->id);
}

// --model NAME --pretrained FILE: the folder convert would write, built in `scratch`.
std::vector<hub::LocalFile> build_model_folder(const Config& config, Options options,
                                               const fs::path& scratch) {
  if (!options.mean.empty())
    options.convert.image_mean =
        std::array<double, 3>{options.mean[0], options.mean[1], options.mean[2]};
  if (!options.std.empty())
    options.convert.image_std =
        std::array<double, 3>{options.std[0], options.std[1], options.std[2]};
  options.convert.model = options.model;
  const convert::Checkpoint source = convert::read_checkpoint(options.pretrained);
  const convert::Conversion c =
      convert::plan_conversion(source, options.convert, load_registry(config));
  convert::FolderOptions folder;
  folder.write_bin = options.safe_serialization != "safetensors";
  fs::path dir = scratch / "model";
  convert::write_folder(c, source, dir, folder);
  if (options.safe_serialization == "bin") fs::remove(dir / "open_clip_model.safetensors");
  return hub::collect_folder(dir, {}, {});
}

// open_clip keeps a README the repo has; oclip also keeps the folder's own unless --force,
// and writes one only with a known license. Returns what happened to README.md.
std::string settle_readme(const Options& options, hub::HubApi& api, const hub::RepoRef& repo,
                          std::vector<hub::LocalFile>& files, std::vector<std::string>& notices) {
  auto local = find_file(files, kReadme);
  if (local == files.end() && options.no_card) return "none";
  bool remote = hub::remote_file_exists(api, repo, options.revision, kReadme);
  if (local != files.end()) {
    if (remote && !options.force) {
      files.erase(local);
      notices.push_back("kept the repo's README.md (--force uploads the folder's)");
      return "kept";
    }
    return "uploaded";
  }
  if (remote && !options.force) {
    notices.push_back("kept the repo's README.md (--force writes a new model card)");
    return "kept";
  }
  Json card_json =
      options.model_card.empty() ? Json(nullptr) : read_json_file(options.model_card, "model card");
  card::CardInput input;
  input.repo_id = options.repo_id;
  input.model_name = options.repo_id.substr(options.repo_id.rfind('/') + 1);
  auto config_file = find_file(files, kConfigFile);
  if (config_file != files.end()) input.config = folder_config(*config_file);
  input.model_card = card_json;
  input.license = !options.license.empty() ? options.license
                                           : card::card_license(input.model_card).value_or("");
  if (input.license.empty() && !options.model.empty()) {
    if (auto source = source_repo_license(options.pretrained)) {
      input.license = source->first;
      notices.push_back("license " + source->first + " from " + source->second + "'s README");
    }
  }
  if (input.license.empty()) {
    throw Error(ErrorKind::Usage, "no README.md to push and no license to write one with")
        .with_hint("pass --license ID (or --model-card card.json with a license), or --no-card");
  }
  files.push_back(hub::memory_file(kReadme, card::render_readme(input)));
  notices.push_back("wrote a model card (license " + input.license + ")");
  return "generated";
}

Json result_json(const hub::PushResult& result, const std::string& readme, double seconds,
                 bool dry_run) {
  Json files = Json::array();
  for (const hub::PushedFile& f : result.files) {
    std::string action = f.ignored ? "ignored" : f.unchanged ? "unchanged" : "upload";
    files.push_back(
        {{"path", f.path},
         {"size", f.size},
         {"sha256", f.sha256},
         {"mode", f.mode},
         {"action", action},
         {"bytes_sent", !dry_run && action == "upload" && f.mode == "lfs" && !f.stored}});
  }
  return {{"repo", result.repo_id},
          {"revision", result.revision},
          {"dry_run", dry_run},
          {"repo_created", result.repo_created},
          {"repo_exists", result.repo_exists},
          {"committed", result.committed},
          {"parent_commit", result.parent_commit},
          {"commit", result.commit_oid},
          {"commit_url", result.commit_url},
          {"pr_url", result.pr_url},
          {"files", files},
          {"deleted", result.deleted},
          {"readme", readme},
          {"bytes_sent", result.bytes_sent},
          {"seconds", seconds}};
}

void print_human(const hub::PushResult& result, bool dry_run) {
  std::vector<std::vector<std::string>> rows;
  uint64_t total = 0;
  for (const hub::PushedFile& f : result.files) {
    std::string action = f.ignored ? "ignored" : f.unchanged ? "unchanged" : "upload";
    if (action == "upload") total += f.size;
    std::string mode = f.mode.empty() ? "" : " (" + f.mode + (f.stored ? ", stored" : "") + ")";
    rows.push_back({(dry_run && action == "upload" ? "would upload" : action), human_bytes(f.size),
                    f.path + mode});
  }
  for (const std::string& path : result.deleted) {
    rows.push_back({dry_run ? "would delete" : "delete", "", path});
  }
  std::cout << format_table(rows);
  std::string target = result.repo_id + "@" + result.revision;
  if (dry_run) {
    std::cout << (result.repo_exists ? "" : "would create " + result.repo_id + "; ")
              << "would upload " << human_bytes(total) << " to " << target << "\n";
  } else if (!result.committed) {
    std::cout << "nothing to push: " << target << " already has these files\n";
  } else {
    std::cout << "committed " << result.commit_oid.substr(0, 12) << " to " << target << ": "
              << result.commit_url << "\n";
    if (!result.pr_url.empty()) std::cout << "pull request: " << result.pr_url << "\n";
  }
}

int push(const Config& config, Options options) {
  if (auto problem = hub::repo_id_problem(options.repo_id)) {
    throw Error(ErrorKind::Usage, "invalid --repo-id '" + options.repo_id + "': " + *problem);
  }
  if (options.repo_id.find('/') == std::string::npos) {
    throw Error(ErrorKind::Usage, "invalid --repo-id '" + options.repo_id +
                                      "': name its namespace too, as org/name or user/name");
  }
  if (options.folder.empty() == options.model.empty()) {
    throw Error(ErrorKind::Usage, "push takes a folder, or --model NAME --pretrained FILE|TAG");
  }
  if (!options.model.empty() && options.pretrained.empty()) {
    throw Error(ErrorKind::Usage,
                "--model needs --pretrained FILE|TAG (a checkpoint, or a pretrained tag)");
  }
  if (auto problem = hub::revision_problem(options.revision)) {
    throw Error(ErrorKind::Usage, "invalid --revision '" + options.revision + "': " + *problem);
  }
  if (options.create_pr && options.revision.rfind("refs/pr/", 0) == 0) {
    throw Error(ErrorKind::Usage, "--create-pr starts from a branch, not " + options.revision);
  }
  if (config.offline) {
    throw Error(ErrorKind::Network, "push needs the Hub, and offline mode is on (HF_HUB_OFFLINE)")
        .with_hint("unset HF_HUB_OFFLINE to push");
  }
  if (config.token.empty()) {
    throw Error(ErrorKind::Auth, "push needs a token with write access")
        .with_hint("run 'oclip login', or set HF_TOKEN");
  }
  auto started = std::chrono::steady_clock::now();
  hub::HttpClient http(config);
  hub::HubApi api(config, http, system_clock());
  hub::PushOptions push;
  push.repo.id = options.repo_id;
  push.revision = options.revision;
  push.create_pr = options.create_pr;
  push.private_repo = options.private_repo;
  push.commit_message = options.commit_message;
  push.commit_description = options.commit_description;
  push.delete_patterns = options.delete_patterns;
  push.dry_run = options.dry_run;
  push.jobs = options.jobs;

  std::vector<std::string> notices;
  ScratchDir scratch("oclip-push-");
  bool building = !options.model.empty();
  if (building && !fs::is_regular_file(options.pretrained)) {
    if (options.pretrained.find_first_of("./") != std::string::npos)
      throw Error(ErrorKind::Usage, "--pretrained " + options.pretrained + ": no such file");
    options.pretrained = pull_pretrained(config, api, http, options, notices);
  }
  std::vector<hub::LocalFile> files =
      building ? build_model_folder(config, options, scratch.path())
               : hub::collect_folder(options.folder, options.include, options.exclude);
  if (files.empty() && options.delete_patterns.empty()) {
    throw Error(ErrorKind::Usage, "nothing to push: no files selected in " + options.folder);
  }
  if (building || options.hf_tokenizer_self) {
    std::string source = tokenizer_source(options, files, notices);
    add_tokenizer_files(config, options, api, http, source, files, notices);
  }
  std::string readme = settle_readme(options, api, push.repo, files, notices);

  bool human = !config.json && config.verbosity >= 0;
  for (const std::string& notice : notices) {
    if (human) std::cerr << notice << "\n";
  }
  ProgressLine::Style style = options.dry_run                   ? ProgressLine::Style::Off
                              : config.json && options.progress ? ProgressLine::Style::JsonLines
                              : config.progress                 ? ProgressLine::Style::Terminal
                                                                : ProgressLine::Style::Off;
  ProgressLine progress(style, system_clock());
  hub::PushEvents events;
  events.stage = [&](const std::string& message) {
    if (human && config.progress) std::cerr << message << "\n";
  };
  events.transfer_started = [&](uint64_t total) { progress.start("upload", total); };
  events.bytes = [&](uint64_t delta) { progress.add(delta); };
  hub::PushResult result = hub::push(config, api, files, push, events);
  progress.finish();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (config.json) {
    Json out = result_json(result, readme, seconds, options.dry_run);
    out["notices"] = notices;
    print_json(out);
  } else {
    print_human(result, options.dry_run);
  }
  return 0;
}

}  // namespace

Command add_push_command(CLI::App& parent) {
  auto options = std::make_shared<Options>();
  CLI::App* app =
      parent.add_subcommand("push", "Upload a model folder to a Hub repo in one commit");
  app->add_option("DIR", options->folder, "The folder to upload (e.g. a convert output)")
      ->check(CLI::ExistingDirectory);
  app->add_option("--repo-id", options->repo_id, "The Hub repo, org/name (created when missing)")
      ->required();
  app->add_option("--revision", options->revision,
                  "Branch to commit to (made from main when missing) or refs/pr/N (default main)");
  app->add_flag("--private", options->private_repo, "Create the repo private");
  app->add_flag("--create-pr", options->create_pr, "Open a pull request instead of committing");
  app->add_option("--commit-message", options->commit_message, "Commit title");
  app->add_option("--commit-description", options->commit_description, "Commit description");
  app->add_option("--include", options->include,
                  "Only folder paths matching this glob (repeatable)")
      ->allow_extra_args(false);
  app->add_option("--exclude", options->exclude,
                  "Skip folder paths matching this glob (repeatable)")
      ->allow_extra_args(false);
  app->add_option("--delete", options->delete_patterns,
                  "Delete repo files matching this glob in the same commit (repeatable)")
      ->allow_extra_args(false);
  app->add_flag("--dry-run", options->dry_run,
                "Show what would be uploaded and skipped, change nothing");
  app->add_option("--jobs", options->jobs, "Parallel uploads of LFS files and parts (default 4)")
      ->check(CLI::Range(1, 32));
  app->add_flag("--hf-tokenizer-self", options->hf_tokenizer_self,
                "Point the config's hf_tokenizer_name at this repo and add the tokenizer files");
  app->add_option("--tokenizer-dir", options->tokenizer_dir,
                  "With --hf-tokenizer-self: take the tokenizer files from this folder");
  app->add_option("--model-card", options->model_card,
                  "Model card JSON for a README the folder lacks (open_clip's model_card)");
  app->add_option("--license", options->license, "License id for a README the folder lacks");
  app->add_flag("--force", options->force, "Replace the repo's README.md");
  app->add_flag("--no-card", options->no_card, "Push without a README when the folder has none");
  app->add_flag("--progress", options->progress, "With --json: progress as JSON lines on stderr");
  app->add_option("--model", options->model,
                  "Instead of DIR: build the folder from --pretrained for this architecture");
  app->add_option("--pretrained", options->pretrained,
                  "With --model: the checkpoint (an open_clip training checkpoint or state dict), "
                  "or a pretrained tag whose Hub weights to take");
  app->add_option("--precision", options->convert.precision, "With --model: tensor precision")
      ->check(CLI::IsMember({"fp32", "fp16", "bf16"}));
  app->add_option("--safe-serialization", options->safe_serialization,
                  "With --model: weight files to write (default both)")
      ->check(CLI::IsMember({"both", "safetensors", "bin"}));
  app->add_option("--pretrained-tag", options->convert.pretrained_tag,
                  "With --model: take preprocessing from this pretrained entry");
  app->add_option("--image-mean", options->mean, "With --model: preprocessing mean")
      ->expected(3)
      ->delimiter(',');
  app->add_option("--image-std", options->std, "With --model: preprocessing std")
      ->expected(3)
      ->delimiter(',');
  app->add_option("--image-interpolation", options->convert.image_interpolation,
                  "With --model: preprocessing interpolation")
      ->check(CLI::IsMember({"bicubic", "bilinear", "random"}));
  app->add_option("--image-resize-mode", options->convert.image_resize_mode,
                  "With --model: preprocessing resize mode")
      ->check(CLI::IsMember({"shortest", "longest", "squash"}));
  app->footer(
      "Examples:\n  oclip push out/MobileCLIP-S2 --repo-id org/MobileCLIP-S2 --license other\n"
      "  oclip push --model ViT-B-32 --pretrained epoch_32.pt --repo-id org/model "
      "--hf-tokenizer-self --license mit\n"
      "  oclip push --model ViT-B-32 --pretrained laion2b_s34b_b79k --repo-id org/model");

  return {app, [options](const Config& config) { return push(config, *options); }};
}

}  // namespace oclip::cli
