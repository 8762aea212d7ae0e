// core/config.h — resolved settings, built once by cli/config.cpp and passed to libraries.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace oclip {

struct Config {
  std::string endpoint = "https://huggingface.co";  // no trailing '/'
  std::filesystem::path hf_home;                    // $HF_HOME or its default
  std::filesystem::path hub_cache;                  // where models--org--name folders live
  std::filesystem::path token_path;                 // $HF_TOKEN_PATH or $HF_HOME/token

  std::string token;               // empty: anonymous
  std::string token_source;        // "--token", "HF_TOKEN", a file path: named in auth errors
  std::string env_token_variable;  // HF_TOKEN or HUGGING_FACE_HUB_TOKEN when one is set

  bool offline = false;                 // HF_HUB_OFFLINE: answer from the cache only
  bool disable_implicit_token = false;  // HF_HUB_DISABLE_IMPLICIT_TOKEN: no token on reads
  bool disable_symlinks = false;        // HF_HUB_DISABLE_SYMLINKS
  double etag_timeout_s = 10;           // HF_HUB_ETAG_TIMEOUT
  double download_timeout_s = 10;       // HF_HUB_DOWNLOAD_TIMEOUT
  std::string user_agent_origin;        // HF_HUB_USER_AGENT_ORIGIN
  // CURL_CA_BUNDLE, REQUESTS_CA_BUNDLE or SSL_CERT_FILE; empty: the system's.
  std::string ca_bundle;
  // OCLIP_RETRY_BASE_SECONDS: huggingface_hub's 1 s; every retry wait scales with it.
  double retry_base_s = 1;
  int max_retries = 5;  // OCLIP_MAX_RETRIES
  // OCLIP_DISABLE_LOCKS turns locking off, as on file systems whose locks silently lie.
  bool use_locks = true;
  double lock_timeout_s = 600;  // OCLIP_LOCK_TIMEOUT

  bool progress = true;  // false with HF_HUB_DISABLE_PROGRESS_BARS, -q or no terminal
  bool color = true;     // false with NO_COLOR, --no-color or no terminal
  bool json = false;
  int verbosity = 0;  // -1 quiet, 0 normal, 1+ verbose
  // Set (by -v): receives the HTTP header lines sent and received, a block of lines per call,
  // credentials masked. May be called from several transfer threads at once.
  std::function<void(const std::string& line)> trace;

  // OCLIP_VALIDATOR: the oclip-validate executable; empty: next to oclip, then
  // ../libexec/oclip/ beside it.
  std::filesystem::path validator;
  std::vector<std::filesystem::path> model_config_dirs;  // --config-dir, OCLIP_MODEL_CONFIG_PATH
};

}  // namespace oclip
