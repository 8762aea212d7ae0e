// oclip card DIR: README.md for a model folder; `--check` reads an existing one's front matter.
#include <filesystem>
#include <iostream>
#include <memory>

#include "card/card.h"
#include "card/check.h"
#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "core/error.h"
#include "core/file_io.h"

namespace oclip::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

struct Options {
  std::string folder;
  std::string model_card;
  std::string license;
  std::string repo_id;
  bool force = false;
  bool check = false;
};

int check(const Config& config, const fs::path& readme) {
  std::error_code ec;
  if (!fs::is_regular_file(readme, ec)) {
    throw Error(ErrorKind::NotFound, "no README.md in " + readme.parent_path().string());
  }
  std::vector<std::string> problems = card::check_front_matter(read_file(readme));
  if (config.json) {
    print_json({{"readme", readme.string()}, {"ok", problems.empty()}, {"problems", problems}});
  } else {
    for (const std::string& p : problems) std::cout << readme.string() << ": " << p << "\n";
    if (problems.empty()) std::cout << readme.string() << ": front matter OK\n";
  }
  return problems.empty() ? 0 : exit_code_for(ErrorKind::Format);
}

int write_card(const Config& config, const Options& options) {
  fs::path folder = options.folder;
  fs::path readme = folder / "README.md";
  if (options.check) return check(config, readme);
  std::error_code ec;
  if (fs::exists(readme, ec) && !options.force) {
    throw Error(ErrorKind::Usage, readme.string() + " exists").with_hint("--force replaces it");
  }
  card::CardInput input;
  input.config =
      read_json_file((folder / "open_clip_config.json").string(), "open_clip_config.json");
  if (!input.config.is_object() || !input.config.contains("model_cfg")) {
    throw Error(ErrorKind::Format, "open_clip_config.json has no model_cfg")
        .with_file((folder / "open_clip_config.json").string());
  }
  if (!options.model_card.empty())
    input.model_card = read_json_file(options.model_card, "model card");
  input.repo_id = options.repo_id;
  fs::path name = fs::absolute(folder).lexically_normal();
  if (!name.has_filename()) name = name.parent_path();
  input.model_name = options.repo_id.empty()
                         ? name.filename().string()
                         : options.repo_id.substr(options.repo_id.rfind('/') + 1);
  input.license = !options.license.empty() ? options.license
                                           : card::card_license(input.model_card).value_or("");
  std::string text = card::render_readme(input);
  write_file_atomic(readme, text);
  if (config.json) {
    print_json({{"readme", readme.string()}, {"license", input.license}, {"bytes", text.size()}});
  } else {
    std::cout << readme.string() << "\n";
  }
  return 0;
}

}  // namespace

Command add_card_command(CLI::App& parent) {
  auto options = std::make_shared<Options>();
  CLI::App* app =
      parent.add_subcommand("card", "Write a model folder's README.md (model card), or check one");
  app->add_option("DIR", options->folder, "The model folder (holds open_clip_config.json)")
      ->required()
      ->check(CLI::ExistingDirectory);
  app->add_option("--model-card", options->model_card,
                  "Model card JSON: description, details, usage, comparison, citation, license");
  app->add_option("--license", options->license, "License id (wins over the card JSON's)");
  app->add_option("--repo-id", options->repo_id, "Hub repo the folder goes to, for the usage text");
  app->add_flag("--force", options->force, "Replace an existing README.md");
  app->add_flag("--check", options->check,
                "Check the existing README.md's front matter against the Hub's metadata rules");
  app->footer("Example: oclip card out/MobileCLIP-S2 --license other --repo-id org/MobileCLIP-S2");
  return {app, [options](const Config& config) { return write_card(config, *options); }};
}

}  // namespace oclip::cli
