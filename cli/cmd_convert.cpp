// oclip convert SRC -o DIR: a third-party or training checkpoint to a Hub-ready open_clip folder.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "card/card.h"
#include "cli/command.h"
#include "cli/output.h"
#include "cli/tokenizer_files.h"
#include "cli/validator_process.h"
#include "convert/conversion.h"
#include "core/file_io.h"
#include "core/text.h"
#include "hub/cache.h"
#include "hub/pull.h"

namespace oclip::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

struct Options {
  std::string source;
  std::string output;
  std::string from;
  convert::ConvertOptions convert;
  std::vector<double> mean, std;
  bool bin = false;
  bool force = false;
  bool dry_run = false;
  bool no_validate = false;
  std::string reference;
  std::string license;
  std::string tokenizer_dir;
};

// From --tokenizer-dir, else the Hub cache's copy of the tokenizer repo (offline).
TokenizerFiles tokenizer_files(const Config& config, const Options& options,
                               const std::string& repo) {
  if (!options.tokenizer_dir.empty()) return tokenizer_files_from_flag(options.tokenizer_dir);
  hub::HubCache cache(config.hub_cache, !config.disable_symlinks);
  hub::RepoRef ref{"model", repo, ""};
  std::optional<std::string> commit = cache.commit_for(ref, "main");
  if (!commit) return {};
  return tokenizer_files_in(cache.snapshot_dir(ref, *commit), repo);
}

int dry_run(const Config& config, const convert::Conversion& c) {
  if (config.json) {
    Json rows = Json::array();
    for (const convert::Planned& p : c.tensors)
      rows.push_back({{"source", p.source},
                      {"target", p.name},
                      {"dtype", convert::dtype_name(p.dtype)},
                      {"shape", p.shape},
                      {"transform", p.transform}});
    print_json({{"family", convert::family_name(c.family)},
                {"model", c.model_name},
                {"precision", c.precision},
                {"tensors", rows},
                {"dropped", c.dropped},
                {"notes", c.notes}});
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {
      {"source", "target", "dtype", "shape", "transform"}};
  for (const convert::Planned& p : c.tensors)
    rows.push_back({p.source, p.name, std::string(convert::dtype_name(p.dtype)),
                    shape_text(p.shape), p.transform});
  std::cout << format_table(rows);
  for (const std::string& d : c.dropped) std::cout << "dropped  " << d << "\n";
  std::cout << fmt::format("{} tensors, {} {}, {}\n", c.tensors.size(),
                           convert::family_name(c.family),
                           c.model_name.empty() ? "(custom config)" : c.model_name, c.precision);
  return 0;
}

// The validator's report on the new folder, or null with the reason in `notices`. A failed
// comparison throws Error(Validation); the folder stays for inspection.
Json validate_converted(const Config& config, const Options& options,
                        std::vector<std::string>& notices) {
  if (options.no_validate) return nullptr;
  ValidationRequest request;
  request.folder = options.output;
  request.reference = options.reference;
  request.source = options.source;
  Json report;
  try {
    report = validate_folder(config, request);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Unsupported) throw;
    notices.push_back(std::string("not validated: ") + e.what());
    return nullptr;
  }
  if (!report.value("pass", false)) {
    if (!config.json) std::cerr << report_text(report);
    throw Error(ErrorKind::Validation,
                "the converted weights failed validation; the folder is kept at " + options.output +
                    " for inspection");
  }
  notices.push_back(
      report.value("strength", "") == "weak"
          ? "validated with the weaker check only (pass --reference for a numerical proof)"
          : "validated against " + report["checks"][0].value("against", "the source"));
  return report;
}

int convert_command(const Config& config, Options options) {
  if (!options.from.empty()) options.convert.family = convert::family_from_name(options.from);
  if (!options.mean.empty())
    options.convert.image_mean =
        std::array<double, 3>{options.mean[0], options.mean[1], options.mean[2]};
  if (!options.std.empty())
    options.convert.image_std =
        std::array<double, 3>{options.std[0], options.std[1], options.std[2]};
  if (!fs::exists(options.source))
    throw Error(ErrorKind::NotFound, "no such file: " + options.source);
  if (!options.tokenizer_dir.empty() && !fs::is_directory(options.tokenizer_dir))
    throw Error(ErrorKind::NotFound, "--tokenizer-dir: no such folder: " + options.tokenizer_dir);
  const fs::path folder_config = fs::path(options.source).parent_path() / "open_clip_config.json";
  if (options.convert.model.empty() && fs::is_regular_file(folder_config)) {
    try {
      Json config_json = Json::parse(read_file(folder_config));
      if (config_json.contains("model_cfg")) options.convert.folder_config = config_json;
    } catch (const nlohmann::json::exception& e) {
      throw Error(ErrorKind::Format, folder_config.string() + ": " + json_error_message(e.what()))
          .with_file(folder_config.string());
    }
  }

  const registry::Registry registry = load_registry(config);
  const convert::Checkpoint source = convert::read_checkpoint(options.source);
  const convert::Conversion c = convert::plan_conversion(source, options.convert, registry);
  if (options.dry_run) return dry_run(config, c);
  if (options.output.empty()) throw Error(ErrorKind::Usage, "convert needs -o DIR (or --dry-run)");

  convert::FolderOptions folder;
  folder.write_bin = options.bin;
  folder.force = options.force;
  folder.inputs = {options.source, options.reference, options.tokenizer_dir};
  std::vector<std::string> notices;
  const Json& text_cfg =
      c.model_cfg.contains("text_cfg") ? c.model_cfg["text_cfg"] : Json::object();
  if (text_cfg.contains("hf_tokenizer_name")) {
    const std::string repo = text_cfg["hf_tokenizer_name"];
    TokenizerFiles tokenizer = tokenizer_files(config, options, repo);
    folder.extra_files = tokenizer.files;
    if (!tokenizer.notice.empty()) notices.push_back(tokenizer.notice);
    if (!tokenizer.problem.empty())
      notices.push_back(tokenizer.problem + ": AutoTokenizer may not load the folder");
    if (folder.extra_files.empty())
      notices.push_back("no tokenizer files: a local-dir: load needs " + repo +
                        "'s; run 'oclip pull hf-hub:" + repo +
                        " --all' and convert again, or pass --tokenizer-dir");
  } else if (!options.tokenizer_dir.empty()) {
    notices.push_back(
        "--tokenizer-dir ignored: the config names no hf_tokenizer_name, so open_clip uses its "
        "built-in tokenizer");
  }
  if (options.license.empty()) {
    notices.push_back("no README.md: pass --license to describe the model's terms");
  } else {
    card::CardInput card;
    card.model_name = fs::path(options.output).lexically_normal().filename().string();
    if (card.model_name.empty()) card.model_name = c.model_name;
    card.config = Json::parse(convert::config_json(c));
    card.license = options.license;
    folder.readme = card::render_readme(card);
  }
  convert::write_folder(c, source, options.output, folder);
  const Json validation = validate_converted(config, options, notices);

  if (config.json) {
    Json files = Json::array();
    for (const fs::directory_entry& e : fs::directory_iterator(options.output))
      files.push_back({{"path", e.path().filename().string()}, {"size", e.file_size()}});
    print_json({{"folder", options.output},
                {"family", convert::family_name(c.family)},
                {"model", c.model_name},
                {"precision", c.precision},
                {"tensors", c.tensors.size()},
                {"files", files},
                {"dropped", c.dropped},
                {"notes", c.notes},
                {"notices", notices},
                {"validated", !validation.is_null()},
                {"validation", validation}});
    return 0;
  }
  if (config.verbosity >= 0) {
    for (const std::string& n : c.notes) std::cerr << "note: " << n << "\n";
    for (const std::string& n : notices) std::cerr << "note: " << n << "\n";
  }
  std::cout << options.output << "\n";
  return 0;
}

}  // namespace

Command add_convert_command(CLI::App& parent) {
  auto options = std::make_shared<Options>();
  CLI::App* app =
      parent.add_subcommand("convert", "Convert a checkpoint into a Hub-ready open_clip folder");
  app->add_option(
         "SOURCE", options->source,
         "Checkpoint: Apple MobileCLIP .pt, big_vision .npz, OpenAI .pt, open_clip .pt/.bin")
      ->required();
  app->add_option("-o,--output", options->output,
                  "Folder to write (refused if it exists and is not empty)");
  app->add_option("--from", options->from, "Source family, when detection should not decide")
      ->check(CLI::IsMember({"openai", "open_clip", "mobileclip", "big_vision"}));
  app->add_option("--model", options->convert.model,
                  "open_clip architecture name (required for training checkpoints)");
  app->add_option("--precision", options->convert.precision,
                  "Tensor precision as open_clip's create_model(precision=) leaves it")
      ->check(CLI::IsMember({"fp32", "fp16", "bf16"}));
  app->add_flag("--bin", options->bin, "Also write open_clip_pytorch_model.bin");
  app->add_flag("--force", options->force,
                "Replace an existing output folder (never one holding an input or the current "
                "folder)");
  app->add_flag("--dry-run", options->dry_run,
                "Print the mapping (source, target, shape, transform); write nothing");
  app->add_option("--pretrained-tag", options->convert.pretrained_tag,
                  "Take preprocessing from this pretrained entry");
  app->add_option("--image-mean", options->mean, "Preprocessing mean (three numbers)")
      ->expected(3)
      ->delimiter(',');
  app->add_option("--image-std", options->std, "Preprocessing std (three numbers)")
      ->expected(3)
      ->delimiter(',');
  app->add_option("--image-interpolation", options->convert.image_interpolation,
                  "Preprocessing interpolation")
      ->check(CLI::IsMember({"bicubic", "bilinear", "random"}));
  app->add_option("--image-resize-mode", options->convert.image_resize_mode,
                  "Preprocessing resize mode")
      ->check(CLI::IsMember({"shortest", "longest", "squash"}));
  app->add_flag("--no-validate", options->no_validate, "Do not run the LibTorch validator");
  app->add_option("--reference", options->reference,
                  "reference.npz to validate against (inputs and expected outputs)");
  app->add_option("--license", options->license,
                  "License id of the weights: with it, README.md (the model card) is written too");
  app->add_option("--tokenizer-dir", options->tokenizer_dir,
                  "Folder with the tokenizer files to include");
  app->footer("Example: oclip convert mobileclip_s2.pt -o out/MobileCLIP-S2 --bin");
  return {app, [options](const Config& config) { return convert_command(config, *options); }};
}

}  // namespace oclip::cli
