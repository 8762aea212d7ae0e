#include "cli/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "core/error.h"
#include "tests/support/temp_dir.h"

using oclip::Config;
using oclip::cli::EnvLookup;
using oclip::cli::GlobalFlags;
using oclip::cli::resolve_config;
using oclip::cli::Terminal;

namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  if (!vars.count("HOME")) vars["HOME"] = "/home/u";
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Config resolve(std::map<std::string, std::string> vars, GlobalFlags flags = {},
               Terminal terminal = {true, true}) {
  return resolve_config(flags, env_of(std::move(vars)), terminal);
}

}  // namespace

TEST(Config, Defaults) {
  Config c = resolve({});
  EXPECT_EQ(c.endpoint, "https://huggingface.co");
  EXPECT_EQ(c.hf_home, "/home/u/.cache/huggingface");
  EXPECT_EQ(c.hub_cache, "/home/u/.cache/huggingface/hub");
  EXPECT_EQ(c.token_path, "/home/u/.cache/huggingface/token");
  EXPECT_TRUE(c.token.empty());
  EXPECT_FALSE(c.offline);
  EXPECT_DOUBLE_EQ(c.etag_timeout_s, 10);
  EXPECT_DOUBLE_EQ(c.download_timeout_s, 10);
  EXPECT_TRUE(c.progress);
  EXPECT_TRUE(c.color);
}

TEST(Config, EndpointFromEnvWithoutTrailingSlash) {
  EXPECT_EQ(resolve({{"HF_ENDPOINT", "http://127.0.0.1:9/"}}).endpoint, "http://127.0.0.1:9");
}

TEST(Config, EndpointFlagBeatsEnv) {
  GlobalFlags flags;
  flags.endpoint = "http://flag";
  EXPECT_EQ(resolve({{"HF_ENDPOINT", "http://env"}}, flags).endpoint, "http://flag");
}

TEST(Config, EndpointWithoutSchemeIsUsageError) {
  try {
    resolve({{"HF_ENDPOINT", "huggingface.co"}});
    FAIL();
  } catch (const oclip::Error& e) {
    EXPECT_EQ(e.kind(), oclip::ErrorKind::Usage);
  }
}

TEST(Config, XdgCacheHomeMovesHfHome) {
  Config c = resolve({{"XDG_CACHE_HOME", "/xdg"}});
  EXPECT_EQ(c.hf_home, "/xdg/huggingface");
  EXPECT_EQ(c.hub_cache, "/xdg/huggingface/hub");
}

TEST(Config, HfHomeBeatsXdg) {
  Config c = resolve({{"XDG_CACHE_HOME", "/xdg"}, {"HF_HOME", "/hf"}});
  EXPECT_EQ(c.hf_home, "/hf");
  EXPECT_EQ(c.hub_cache, "/hf/hub");
  EXPECT_EQ(c.token_path, "/hf/token");
}

TEST(Config, HubCacheOrder) {
  EXPECT_EQ(resolve({{"HF_HOME", "/hf"}, {"HUGGINGFACE_HUB_CACHE", "/legacy"}}).hub_cache,
            "/legacy");
  EXPECT_EQ(resolve({{"HUGGINGFACE_HUB_CACHE", "/legacy"}, {"HF_HUB_CACHE", "/new"}}).hub_cache,
            "/new");
  GlobalFlags flags;
  flags.cache_dir = "/flag";
  EXPECT_EQ(resolve({{"HF_HUB_CACHE", "/new"}}, flags).hub_cache, "/flag");
}

TEST(Config, PathsExpandTildeAndVariables) {
  Config c = resolve({{"HF_HOME", "~/hf"},
                      {"HF_HUB_CACHE", "${DATA}/cache/$USER"},
                      {"DATA", "/d"},
                      {"USER", "me"}});
  EXPECT_EQ(c.hf_home, "/home/u/hf");
  EXPECT_EQ(c.hub_cache, "/d/cache/me");
  // Unknown variables stay as written, as in Python.
  EXPECT_EQ(resolve({{"HF_HUB_CACHE", "/x/$NOPE"}}).hub_cache, "/x/$NOPE");
}

TEST(Config, TokenOrder) {
  TempDir dir;
  std::ofstream(dir.path() / "token") << "  hf_file\n";
  std::string home = dir.path().string();
  Config from_file = resolve({{"HF_HOME", home}});
  EXPECT_EQ(from_file.token, "hf_file");
  EXPECT_EQ(from_file.token_source, (dir.path() / "token").string());

  Config legacy = resolve({{"HF_HOME", home}, {"HUGGING_FACE_HUB_TOKEN", "hf_legacy"}});
  EXPECT_EQ(legacy.token, "hf_legacy");
  Config env = resolve(
      {{"HF_HOME", home}, {"HUGGING_FACE_HUB_TOKEN", "hf_legacy"}, {"HF_TOKEN", "hf_env\r\n"}});
  EXPECT_EQ(env.token, "hf_env");
  EXPECT_EQ(env.token_source, "HF_TOKEN");
  GlobalFlags flags;
  flags.token = "hf_flag";
  EXPECT_EQ(resolve({{"HF_HOME", home}, {"HF_TOKEN", "hf_env"}}, flags).token, "hf_flag");
}

TEST(Config, EmptyTokenVariableFallsThrough) {
  TempDir dir;
  std::ofstream(dir.path() / "token") << "hf_file";
  Config c = resolve({{"HF_HOME", dir.path().string()}, {"HF_TOKEN", "  "}});
  EXPECT_EQ(c.token, "hf_file");
}

TEST(Config, TokenPathVariable) {
  TempDir dir;
  std::ofstream(dir.path() / "elsewhere") << "hf_elsewhere";
  Config c = resolve({{"HF_TOKEN_PATH", (dir.path() / "elsewhere").string()}});
  EXPECT_EQ(c.token, "hf_elsewhere");
  EXPECT_EQ(c.token_path, dir.path() / "elsewhere");
}

TEST(Config, OfflineSpellings) {
  for (const char* yes : {"1", "ON", "yes", "True"})
    EXPECT_TRUE(resolve({{"HF_HUB_OFFLINE", yes}}).offline) << yes;
  for (const char* no : {"0", "off", "", "2"})
    EXPECT_FALSE(resolve({{"HF_HUB_OFFLINE", no}}).offline) << no;
  EXPECT_TRUE(resolve({{"TRANSFORMERS_OFFLINE", "1"}}).offline);
}

TEST(Config, Timeouts) {
  Config c = resolve({{"HF_HUB_ETAG_TIMEOUT", "2.5"}, {"HF_HUB_DOWNLOAD_TIMEOUT", "30"}});
  EXPECT_DOUBLE_EQ(c.etag_timeout_s, 2.5);
  EXPECT_DOUBLE_EQ(c.download_timeout_s, 30);
  EXPECT_THROW(resolve({{"HF_HUB_ETAG_TIMEOUT", "soon"}}), oclip::Error);
  EXPECT_THROW(resolve({{"HF_HUB_DOWNLOAD_TIMEOUT", "-1"}}), oclip::Error);
}

TEST(Config, ProgressAndColor) {
  EXPECT_FALSE(resolve({{"HF_HUB_DISABLE_PROGRESS_BARS", "1"}}).progress);
  EXPECT_FALSE(resolve({}, {}, {true, false}).progress);  // stderr not a terminal
  EXPECT_FALSE(resolve({{"NO_COLOR", "1"}}).color);
  EXPECT_TRUE(resolve({{"NO_COLOR", ""}}).color);  // no-color.org: only non-empty counts
  EXPECT_FALSE(resolve({}, {}, {false, true}).color);
  GlobalFlags quiet;
  quiet.quiet = true;
  EXPECT_FALSE(resolve({}, quiet).progress);
  EXPECT_EQ(resolve({}, quiet).verbosity, -1);
  GlobalFlags no_color;
  no_color.no_color = true;
  EXPECT_FALSE(resolve({}, no_color).color);
}

TEST(Config, OtherHubVariables) {
  Config c = resolve({{"HF_HUB_DISABLE_IMPLICIT_TOKEN", "1"},
                      {"HF_HUB_DISABLE_SYMLINKS", "true"},
                      {"HF_HUB_USER_AGENT_ORIGIN", "ci"}});
  EXPECT_TRUE(c.disable_implicit_token);
  EXPECT_TRUE(c.disable_symlinks);
  EXPECT_EQ(c.user_agent_origin, "ci");
}

TEST(Config, ModelConfigDirsEnvFirstFlagsLast) {
  GlobalFlags flags;
  flags.config_dirs = {"/flag"};
  Config c = resolve({{"OCLIP_MODEL_CONFIG_PATH", "/a::/b"}}, flags);
  EXPECT_EQ(c.model_config_dirs, (std::vector<std::filesystem::path>{"/a", "/b", "/flag"}));
}

TEST(Config, CaBundleOrder) {
  EXPECT_EQ(resolve({}).ca_bundle, "");
  EXPECT_EQ(resolve({{"SSL_CERT_FILE", "/c"}}).ca_bundle, "/c");
  EXPECT_EQ(resolve({{"SSL_CERT_FILE", "/c"}, {"REQUESTS_CA_BUNDLE", "/b"}}).ca_bundle, "/b");
  EXPECT_EQ(resolve({{"REQUESTS_CA_BUNDLE", "/b"}, {"CURL_CA_BUNDLE", "~/a"}}).ca_bundle,
            "/home/u/a");
}

TEST(Config, RetrySettings) {
  Config c = resolve({{"OCLIP_RETRY_BASE_SECONDS", "0.25"}, {"OCLIP_MAX_RETRIES", "2"}});
  EXPECT_DOUBLE_EQ(c.retry_base_s, 0.25);
  EXPECT_EQ(c.max_retries, 2);
  EXPECT_EQ(resolve({}).max_retries, 5);
  EXPECT_THROW(resolve({{"OCLIP_MAX_RETRIES", "many"}}), oclip::Error);
}
