// cli/config.h — flags and environment into one Config. The only code that reads the
// environment.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"

namespace oclip::cli {

// Global flags as given on the command line; empty or unset means "not given".
struct GlobalFlags {
  bool json = false;
  bool quiet = false;
  int verbose = 0;
  bool no_color = false;
  std::string endpoint;
  std::string cache_dir;
  std::string token;
  std::vector<std::string> config_dirs;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

EnvLookup process_environment();

struct Terminal {
  bool stdout_is_tty = false;
  bool stderr_is_tty = false;
};

// Same precedence and defaults as huggingface_hub: flag, then variable, then default.
// Throws Error(Usage) for a malformed value, naming the variable.
Config resolve_config(const GlobalFlags& flags, const EnvLookup& env, Terminal terminal);

// Python's truthy spellings: 1, ON, YES, TRUE in any case.
bool env_true(const std::optional<std::string>& value);

// `~` and `$VAR` / `${VAR}` expansion, as os.path.expanduser + expandvars.
std::string expand_path(const std::string& path, const EnvLookup& env);

}  // namespace oclip::cli
