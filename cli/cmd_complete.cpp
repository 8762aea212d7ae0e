// Shell completion: `oclip completions bash|zsh|fish` prints a small script (completions/)
// that asks `oclip __complete WORDS...` (handled before parsing, see main.cpp) for candidates,
// computed here from the CLI11 definitions themselves: commands, flags, the values of flags
// with a fixed set, built-in model names and pretrained tags.
#include <iostream>
#include <memory>

#include "cli/command.h"

namespace oclip::cli {

const char* completion_script(std::string_view shell);  // completions/, embedded at build time

namespace {

// The line a script takes as "complete file names here".
constexpr const char* kFiles = ":files";

// "TEXT:{fp32,fp16,bf16}" -> fp32, fp16, bf16: the values an IsMember check allows.
std::vector<std::string> fixed_values(const CLI::Option* option) {
  const std::string type = option->get_type_name();
  const size_t open = type.find('{'), close = type.rfind('}');
  std::vector<std::string> values;
  if (open == std::string::npos || close == std::string::npos || close < open) return values;
  std::string item;
  for (char c : type.substr(open + 1, close - open - 1)) {
    if (c == ',')
      values.push_back(item), item.clear();
    else
      item += c;
  }
  values.push_back(item);
  return values;
}

// The option a word names in `app` or, since flags fall through, in its parents.
const CLI::Option* find_option(const CLI::App* app, const std::string& word) {
  const std::string name = word.substr(0, word.find('='));
  for (; app != nullptr; app = app->get_parent()) {
    for (const CLI::Option* option : app->get_options()) {
      if (option->get_positional()) continue;
      for (const std::string& l : option->get_lnames())
        if (name == "--" + l) return option;
      for (const std::string& s : option->get_snames())
        if (name == "-" + s) return option;
    }
  }
  return nullptr;
}

std::vector<std::string> model_names(const Config& config) {
  std::vector<std::string> names;
  for (const registry::ModelInfo& m : load_registry(config).models()) names.push_back(m.name);
  return names;
}

// The built-in model a command line names (the first word that is one).
std::string model_in(const Config& config, const std::vector<std::string>& words) {
  const registry::Registry registry = load_registry(config);
  for (const std::string& w : words)
    if (registry.has_model(w)) return w;
  return "";
}

const CLI::App* subcommand(const CLI::App* app, const std::string& name) {
  for (const CLI::App* sub : app->get_subcommands([](const CLI::App*) { return true; }))
    if (sub->get_name() == name) return sub;
  return nullptr;
}

std::vector<std::string> candidates(const Config& config, const CLI::App* root,
                                    const std::vector<std::string>& words) {
  const CLI::App* app = root;
  const CLI::Option* pending = nullptr;  // an option whose value comes next
  size_t positionals = 0;
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    const std::string& w = words[i];
    if (pending) {
      pending = nullptr;
      continue;
    }
    if (w.starts_with("-")) {
      const CLI::Option* option = find_option(app, w);
      if (option && option->get_expected_max() > 0 && w.find('=') == std::string::npos)
        pending = option;
      continue;
    }
    if (const CLI::App* sub = subcommand(app, w); sub != nullptr) {
      app = sub;
      positionals = 0;
      continue;
    }
    ++positionals;
  }
  const std::string& current = words.empty() ? "" : words.back();
  if (pending) {
    if (std::vector<std::string> values = fixed_values(pending); !values.empty()) return values;
    const std::string name = pending->get_name();
    if (name == "--model") return model_names(config);
    if (name == "--pretrained" || name == "--pretrained-tag") {
      // push --pretrained also takes a checkpoint file: a word that looks like a path is one.
      if (name == "--pretrained" && app->get_name() == "push" &&
          current.find_first_of("./") != std::string::npos)
        return {kFiles};
      std::vector<std::string> tags;
      for (std::string_view t : load_registry(config).tags_for(model_in(config, words)))
        tags.emplace_back(t);
      return tags;
    }
    return {kFiles};
  }
  std::vector<std::string> out;
  if (current.starts_with("-")) {
    for (const CLI::App* a = app; a != nullptr; a = a->get_parent())
      for (const CLI::Option* option : a->get_options())
        for (const std::string& l : option->get_lnames()) out.push_back("--" + l);
    return out;
  }
  for (const CLI::App* sub : app->get_subcommands([](const CLI::App*) { return true; }))
    out.push_back(sub->get_name());
  if (!out.empty()) return out;
  // The command's positional arguments: model names for MODEL, files otherwise.
  std::vector<const CLI::Option*> positional =
      app->get_options([](const CLI::Option* o) { return o->get_positional(); });
  if (positionals < positional.size() && positional[positionals]->get_name() == "MODEL")
    return model_names(config);
  return {kFiles};
}

}  // namespace

int print_completions(const CLI::App& root, const Config& config,
                      const std::vector<std::string>& words) {
  for (const std::string& c : candidates(config, &root, words)) std::cout << c << "\n";
  return 0;
}

Command add_completions_command(CLI::App& parent) {
  auto shell = std::make_shared<std::string>();
  CLI::App* app = parent.add_subcommand("completions", "Print a shell completion script");
  app->add_option("SHELL", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  app->footer("Example: oclip completions bash > ~/.local/share/bash-completion/completions/oclip");
  return {app, [shell](const Config&) {
            std::cout << completion_script(*shell);
            return 0;
          }};
}

}  // namespace oclip::cli
