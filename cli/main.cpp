// oclip: manage OpenCLIP models on the Hugging Face Hub.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstring>
#include <iostream>

#include "cli/command.h"
#include "cli/config.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cli/validator_process.h"
#include "core/interrupt.h"
#include "core/version.h"

namespace {

using namespace oclip;

// Version, commit, and whether the LibTorch validator was built and is where oclip looks.
std::string version_text(const cli::GlobalFlags& flags) {
  std::string text = std::string("oclip ") + kVersion;
  if (*OCLIP_GIT_COMMIT) text += std::string(" (commit ") + OCLIP_GIT_COMMIT + ")";
  const std::string torch = OCLIP_TORCH_BUILD;
  Config config = cli::resolve_config(flags, cli::process_environment(), {});
  std::optional<std::filesystem::path> validator = cli::find_validator(config);
  text += "\nvalidator: ";
  if (validator)
    text += (torch == "none" ? "LibTorch" : torch) + " (" + validator->string() + ")";
  else if (torch == "none")
    text += "not built (no LibTorch when oclip was built)";
  else
    text += "built with " + torch + " but not found";
  return text;
}

void add_global_flags(CLI::App& app, cli::GlobalFlags& flags) {
  app.set_version_flag("--version", [&flags] { return version_text(flags); });
  app.add_flag("--json", flags.json, "Print results and errors as JSON on stdout");
  app.add_flag("-q,--quiet", flags.quiet, "Print only results and errors, no progress");
  app.add_flag("-v,--verbose", flags.verbose,
               "Print HTTP request and response headers (tokens masked)");
  app.add_flag("--no-color", flags.no_color, "No colour (also NO_COLOR=1)");
  app.add_option("--endpoint", flags.endpoint, "Hub URL (default $HF_ENDPOINT or huggingface.co)");
  app.add_option("--cache-dir", flags.cache_dir, "Hub cache folder (default $HF_HUB_CACHE)");
  app.add_option("--token", flags.token, "Hub token (default $HF_TOKEN or the saved token)");
  app.add_option("--config-dir", flags.config_dirs,
                 "Extra folder of model config *.json files (repeatable; also "
                 "$OCLIP_MODEL_CONFIG_PATH)")
      ->allow_extra_args(false);
}

// Config for reporting an error before flags could be resolved.
Config fallback_config(int argc, char** argv) {
  Config config;
  config.color = false;
  for (int i = 1; i < argc; ++i) config.json |= std::strcmp(argv[i], "--json") == 0;
  return config;
}

}  // namespace

int main(int argc, char** argv) {
  remove_temporaries_on_interrupt();
  CLI::App app{"oclip: manage OpenCLIP models on the Hugging Face Hub"};
  app.name("oclip");
  app.fallthrough();  // global flags work after the command name too
  cli::GlobalFlags flags;
  add_global_flags(app, flags);
  app.footer("\n" + cli::exit_code_table() +
             "\nEnvironment: HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_TOKEN, HF_TOKEN_PATH,\n"
             "HF_HUB_OFFLINE, HF_HUB_DISABLE_PROGRESS_BARS, HF_HUB_ETAG_TIMEOUT,\n"
             "HF_HUB_DOWNLOAD_TIMEOUT, NO_COLOR, OCLIP_MODEL_CONFIG_PATH, OCLIP_VALIDATOR\n"
             "(see man oclip).\n"
             "\nExample: oclip list-models --filter 'ViT-B-*'\n");

  std::vector<cli::Command> commands = {
      cli::add_list_models_command(app), cli::add_info_command(app),
      cli::add_pull_command(app),        cli::add_inspect_command(app),
      cli::add_convert_command(app),     cli::add_validate_command(app),
      cli::add_push_command(app),        cli::add_card_command(app),
  };
  for (cli::Command& c : cli::add_auth_commands(app)) commands.push_back(c);
  for (cli::Command& c : cli::add_cache_commands(app)) commands.push_back(c);
  commands.push_back(cli::add_completions_command(app));

  // Completion words are not a command line to parse: "--help" in them is just a word.
  if (argc >= 2 && std::strcmp(argv[1], "__complete") == 0) {
    try {
      const Config config = cli::resolve_config({}, cli::process_environment(), {});
      return cli::print_completions(app, config, std::vector<std::string>(argv + 2, argv + argc));
    } catch (const std::exception&) {
      return 1;  // a shell asking for candidates gets none, not an error message
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    Error error(ErrorKind::Usage, e.what());
    error.with_hint("run 'oclip --help' for usage");
    return cli::report_error(fallback_config(argc, argv), error);
  }

  Config config = fallback_config(argc, argv);
  try {
    cli::Terminal terminal{isatty(STDOUT_FILENO) == 1, isatty(STDERR_FILENO) == 1};
    config = cli::resolve_config(flags, cli::process_environment(), terminal);
    for (const cli::Command& command : commands) {
      if (command.app->parsed()) return command.run(config);
    }
    std::cerr << app.help();
    return cli::exit_code_for(ErrorKind::Usage);
  } catch (const Error& error) {
    return cli::report_error(config, error);
  } catch (const std::exception& e) {
    return cli::report_error(config,
                             Error(ErrorKind::Io, std::string("internal error: ") + e.what()));
  }
}
