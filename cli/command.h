// cli/command.h — what a command file gives main.cpp: its CLI11 subcommand and what to run.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "core/config.h"
#include "registry/registry.h"

namespace oclip::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int(const Config&)> run;  // returns the exit code; throws oclip::Error
};

Command add_list_models_command(CLI::App& parent);
Command add_info_command(CLI::App& parent);
Command add_pull_command(CLI::App& parent);
Command add_inspect_command(CLI::App& parent);
Command add_convert_command(CLI::App& parent);
Command add_validate_command(CLI::App& parent);
Command add_push_command(CLI::App& parent);
Command add_card_command(CLI::App& parent);
std::vector<Command> add_auth_commands(CLI::App& parent);   // login, logout, whoami
std::vector<Command> add_cache_commands(CLI::App& parent);  // cache ls, verify, rm, prune
Command add_completions_command(CLI::App& parent);

// `oclip __complete WORDS...`: one candidate per line for the last word (":files" for file
// names), from the definitions in `root`.
int print_completions(const CLI::App& root, const Config& config,
                      const std::vector<std::string>& words);

// The built-in registry plus --config-dir / OCLIP_MODEL_CONFIG_PATH folders.
registry::Registry load_registry(const Config& config);

// Where a built-in (model, tag) pretrained entry lives on the Hub; the file is empty when the
// entry names none (open_clip's default). Throws for an unknown tag, and Error(Unsupported)
// naming the URL for an entry with only a URL.
struct PretrainedOnHub {
  std::string repo_id;
  std::string filename;
};
PretrainedOnHub pretrained_on_hub(const registry::Registry& registry, const std::string& model,
                                  const std::string& tag);

}  // namespace oclip::cli
