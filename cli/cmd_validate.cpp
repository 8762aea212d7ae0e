// oclip validate DIR|hf-hub:org/name: prove a converted folder numerically with LibTorch.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cli/validator_process.h"
#include "core/clock.h"
#include "hub/pull.h"

namespace oclip::cli {
namespace {

namespace fs = std::filesystem;

struct Options {
  std::string target;
  std::string reference;
  std::string source;
  std::string device = "auto";
  int threads = 0;
  double rtol = -1, cos = -1, maxabs = -1;
  bool allow_unvalidated = false;
};

// An hf-hub: name is pulled (or found in the cache) first.
fs::path folder_for(const Config& config, const std::string& target) {
  if (!target.starts_with("hf-hub:")) {
    if (!fs::is_directory(target)) throw Error(ErrorKind::NotFound, "no such folder: " + target);
    return target;
  }
  hub::PullOptions request;
  request.repo = hub::parse_hf_hub_name(target);
  if (!request.repo.revision.empty()) request.revision = request.repo.revision;
  hub::HttpClient http(config);
  hub::HubApi api(config, http, system_clock());
  hub::HubCache cache(config.hub_cache, !config.disable_symlinks);
  return hub::pull(config, api, http, cache, request, {}).snapshot;
}

int validate_command(const Config& config, const Options& options) {
  ValidationRequest request;
  request.folder = folder_for(config, options.target);
  request.reference = options.reference;
  request.source = options.source;
  request.args = {"--device", options.device, "--threads", std::to_string(options.threads)};
  auto bound = [&](const char* flag, double value) {
    if (value >= 0) request.args.insert(request.args.end(), {flag, fmt::format("{}", value)});
  };
  bound("--rtol", options.rtol);
  bound("--cos", options.cos);
  bound("--maxabs", options.maxabs);
  const fs::path& folder = request.folder;

  nlohmann::ordered_json report;
  try {
    report = validate_folder(config, request);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Unsupported || !options.allow_unvalidated) throw;
    if (config.json)
      print_json({{"folder", folder.string()}, {"validated", false}, {"reason", e.what()}});
    else
      std::cerr << "note: not validated: " << e.what() << "\n";
    return 0;
  }
  if (config.json)
    print_json(report);
  else
    std::cout << report_text(report);
  return report.value("pass", false) ? 0 : exit_code_for(ErrorKind::Validation);
}

}  // namespace

Command add_validate_command(CLI::App& parent) {
  auto options = std::make_shared<Options>();
  CLI::App* app = parent.add_subcommand(
      "validate", "Run a converted folder in LibTorch and compare it with a reference");
  app->add_option("TARGET", options->target,
                  "Folder with open_clip_config.json, or hf-hub:org/name")
      ->required();
  app->add_option("--reference", options->reference,
                  "reference.npz: image, text, image_features, text_features, logit_scale");
  app->add_option("--source", options->source,
                  "The TorchScript file the folder was converted from (found beside it otherwise)");
  app->add_option("--device", options->device, "Where to run: auto (CUDA when present), cpu, cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  app->add_option("--threads", options->threads, "CPU threads (default: LibTorch's)");
  app->add_option("--rtol", options->rtol, "Bound on each row's relative L2 error");
  app->add_option("--cos", options->cos, "Lower bound on each row's cosine similarity");
  app->add_option("--maxabs", options->maxabs, "Bound on max|a - r| / max(1, max|r|)");
  app->add_flag("--allow-unvalidated", options->allow_unvalidated,
                "Exit 0 when the architecture cannot be validated yet");
  app->footer(
      "Default bounds (fp32): rel 1e-4, cos 1-1e-7, maxabs 1e-4; fp16 weights: rel 1e-2, cos "
      "0.9999; bf16: rel 3e-2 (5e-2 deeper than 24 layers), cos 0.999.\n"
      "Example: oclip validate out/siglip --reference reference.npz");
  return {app, [options](const Config& config) { return validate_command(config, *options); }};
}

}  // namespace oclip::cli
