#include "cli/config.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>

#include "core/error.h"
#include "core/text.h"

namespace oclip::cli {
namespace {

std::string trim_token(std::string value) {
  value.erase(
      std::remove_if(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n'; }),
      value.end());
  return strip(value);
}

// Set and non-empty.
std::optional<std::string> non_empty(const EnvLookup& env, const std::string& name) {
  auto value = env(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

double seconds(const EnvLookup& env, const std::string& name, double fallback) {
  auto value = non_empty(env, name);
  if (!value) return fallback;
  char* end = nullptr;
  double parsed = std::strtod(value->c_str(), &end);
  if (end == value->c_str() || *end != '\0' || !(parsed > 0)) {
    throw Error(ErrorKind::Usage,
                name + " must be a positive number of seconds, got '" + *value + "'");
  }
  return parsed;
}

std::string read_token_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream text;
  text << in.rdbuf();
  return trim_token(text.str());
}

std::vector<std::string> split_paths(const std::string& list) {
  std::vector<std::string> parts;
  std::stringstream stream(list);
  std::string part;
  while (std::getline(stream, part, ':')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
}

bool env_true(const std::optional<std::string>& value) {
  if (!value) return false;
  std::string v = *value;
  for (char& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return v == "1" || v == "ON" || v == "YES" || v == "TRUE";
}

std::string expand_path(const std::string& path, const EnvLookup& env) {
  std::string out = path;
  if (!out.empty() && out[0] == '~' && (out.size() == 1 || out[1] == '/')) {
    if (auto home = env("HOME")) out = *home + out.substr(1);
  }
  std::string result;
  for (size_t i = 0; i < out.size();) {
    if (out[i] != '$') {
      result.push_back(out[i++]);
      continue;
    }
    size_t start = i + 1;
    bool braced = start < out.size() && out[start] == '{';
    size_t name_start = braced ? start + 1 : start;
    size_t end = name_start;
    while (end < out.size() &&
           (std::isalnum(static_cast<unsigned char>(out[end])) || out[end] == '_'))
      ++end;
    bool closed = !braced || (end < out.size() && out[end] == '}');
    std::string name = out.substr(name_start, end - name_start);
    auto value = name.empty() || !closed ? std::nullopt : env(name);
    if (!value) {  // like Python, unknown variables stay as written
      result.push_back(out[i++]);
      continue;
    }
    result += *value;
    i = braced ? end + 1 : end;
  }
  return result;
}

Config resolve_config(const GlobalFlags& flags, const EnvLookup& env, Terminal terminal) {
  Config config;

  std::string endpoint = flags.endpoint;
  if (endpoint.empty()) endpoint = non_empty(env, "HF_ENDPOINT").value_or("https://huggingface.co");
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  if (endpoint.rfind("http://", 0) != 0 && endpoint.rfind("https://", 0) != 0) {
    throw Error(ErrorKind::Usage,
                "endpoint must start with http:// or https://, got '" + endpoint + "'");
  }
  config.endpoint = endpoint;

  if (auto home = non_empty(env, "HF_HOME")) {
    config.hf_home = expand_path(*home, env);
  } else if (auto xdg = non_empty(env, "XDG_CACHE_HOME")) {
    config.hf_home = std::filesystem::path(expand_path(*xdg, env)) / "huggingface";
  } else {
    config.hf_home = std::filesystem::path(expand_path("~/.cache", env)) / "huggingface";
  }

  if (!flags.cache_dir.empty()) {
    config.hub_cache = expand_path(flags.cache_dir, env);
  } else if (auto cache = non_empty(env, "HF_HUB_CACHE")) {
    config.hub_cache = expand_path(*cache, env);
  } else if (auto legacy = non_empty(env, "HUGGINGFACE_HUB_CACHE")) {
    config.hub_cache = expand_path(*legacy, env);
  } else {
    config.hub_cache = config.hf_home / "hub";
  }

  auto token_path = non_empty(env, "HF_TOKEN_PATH");
  config.token_path =
      token_path ? std::filesystem::path(expand_path(*token_path, env)) : config.hf_home / "token";

  struct Candidate {
    std::optional<std::string> value;
    std::string source;
  };
  const Candidate candidates[] = {
      {flags.token.empty() ? std::nullopt : std::optional<std::string>(flags.token), "--token"},
      {env("HF_TOKEN"), "HF_TOKEN"},
      {env("HUGGING_FACE_HUB_TOKEN"), "HUGGING_FACE_HUB_TOKEN"},
  };
  for (const Candidate& c : candidates) {
    if (!c.value) continue;
    std::string token = trim_token(*c.value);
    if (token.empty()) continue;
    if (c.source != "--token" && config.env_token_variable.empty())
      config.env_token_variable = c.source;
    if (!config.token.empty()) continue;
    config.token = token;
    config.token_source = c.source;
  }
  if (config.token.empty()) {
    config.token = read_token_file(config.token_path);
    if (!config.token.empty()) config.token_source = config.token_path.string();
  }

  config.offline = env_true(env("HF_HUB_OFFLINE")) || env_true(env("TRANSFORMERS_OFFLINE"));
  config.disable_implicit_token = env_true(env("HF_HUB_DISABLE_IMPLICIT_TOKEN"));
  config.disable_symlinks = env_true(env("HF_HUB_DISABLE_SYMLINKS"));
  config.etag_timeout_s = seconds(env, "HF_HUB_ETAG_TIMEOUT", 10);
  config.download_timeout_s = seconds(env, "HF_HUB_DOWNLOAD_TIMEOUT", 10);
  config.user_agent_origin = env("HF_HUB_USER_AGENT_ORIGIN").value_or("");
  config.use_locks = !env_true(env("OCLIP_DISABLE_LOCKS"));
  config.lock_timeout_s = seconds(env, "OCLIP_LOCK_TIMEOUT", 600);
  for (const char* name : {"CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"}) {
    if (auto bundle = non_empty(env, name)) {
      config.ca_bundle = expand_path(*bundle, env);
      break;
    }
  }
  if (auto validator = non_empty(env, "OCLIP_VALIDATOR"))
    config.validator = expand_path(*validator, env);
  config.retry_base_s = seconds(env, "OCLIP_RETRY_BASE_SECONDS", 1);
  if (auto retries = non_empty(env, "OCLIP_MAX_RETRIES")) {
    char* end = nullptr;
    long n = std::strtol(retries->c_str(), &end, 10);
    if (*end != '\0' || n < 0 || n > 100) {
      throw Error(ErrorKind::Usage,
                  "OCLIP_MAX_RETRIES must be a whole number from 0 to 100, got '" + *retries + "'");
    }
    config.max_retries = static_cast<int>(n);
  }

  config.json = flags.json;
  config.verbosity = flags.quiet ? -1 : flags.verbose;
  if (config.verbosity >= 1) {
    config.trace = [](const std::string& line) {
      static std::mutex mutex;
      std::lock_guard<std::mutex> lock(mutex);
      std::cerr << line << "\n";
    };
  }
  config.progress = !flags.quiet && !flags.json && !env_true(env("HF_HUB_DISABLE_PROGRESS_BARS")) &&
                    terminal.stderr_is_tty;
  // no-color.org: any non-empty NO_COLOR turns colour off.
  config.color = !flags.no_color && !non_empty(env, "NO_COLOR") && terminal.stdout_is_tty;

  // Later folders replace earlier configs of the same name, so flags come last and win.
  if (auto extra = non_empty(env, "OCLIP_MODEL_CONFIG_PATH")) {
    for (const std::string& dir : split_paths(*extra)) {
      config.model_config_dirs.push_back(expand_path(dir, env));
    }
  }
  for (const std::string& dir : flags.config_dirs) {
    config.model_config_dirs.push_back(expand_path(dir, env));
  }
  return config;
}

}  // namespace oclip::cli
