// oclip pull against the local Hub: cache layout, errors, faults, offline use.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/hash.h"
#include "tests/support/local_hub_process.h"
#include "tests/support/process.h"
#include "tests/support/seed.h"
#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A model repo as open_clip pushes it: config, safetensors weights, README.
std::map<std::string, std::string> model_files(size_t weight_bytes = 600'000) {
  return {{"open_clip_config.json", R"({"model_cfg": {"embed_dim": 32}, "preprocess_cfg": {}})"},
          {"open_clip_model.safetensors", pseudo_random_bytes(weight_bytes)},
          {"open_clip_pytorch_model.bin", pseudo_random_bytes(weight_bytes / 2, 7)},
          {"README.md", "# tiny\n"},
          {"tokenizer/vocab.json", "{}"}};
}

class Pull : public ::testing::Test {
 protected:
  void SetUp() override { write_seed(seed_.path(), model_files()); }

  std::vector<std::string> args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> out = {"--repo", "laion/tiny=" + seed_.path().string()};
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
  }

  ProcessResult oclip(const LocalHubProcess& hub, std::vector<std::string> argv,
                      std::map<std::string, std::string> env = {}) const {
    RunOptions options;
    options.env = {{"HF_ENDPOINT", hub.api()},
                   {"HF_HOME", home_.path().string()},
                   {"OCLIP_RETRY_BASE_SECONDS", "0.01"}};
    for (auto& [k, v] : env) options.env[k] = v;
    options.unset_env = {"HF_TOKEN", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE",
                         "NO_COLOR"};
    argv.insert(argv.begin(), oclip_binary());
    return run_process(argv, options);
  }

  fs::path cache() const { return home_.path() / "hub"; }
  fs::path repo_dir() const { return cache() / "models--laion--tiny"; }
  std::string seed_file(const std::string& path) const { return model_files().at(path); }
  static std::string sha256(const std::string& s) { return oclip::sha256_hex(s); }

  TempDir seed_;
  TempDir home_;
};

nlohmann::json json_of(const ProcessResult& r) { return nlohmann::json::parse(r.out); }

size_t count_if(const std::vector<nlohmann::json>& log,
                const std::function<bool(const nlohmann::json&)>& f) {
  return static_cast<size_t>(std::count_if(log.begin(), log.end(), f));
}

}  // namespace

TEST_F(Pull, WritesTheSharedCacheLayout) {
  LocalHubProcess hub(args());
  ProcessResult result = oclip(hub, {"pull", "hf-hub:laion/tiny"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::string commit = json_of(oclip(hub, {"pull", "hf-hub:laion/tiny", "--json"}))["commit"];
  fs::path snapshot = repo_dir() / "snapshots" / commit;
  EXPECT_EQ(result.out, snapshot.string() + "\n");

  std::string weights_sha = sha256(seed_file("open_clip_model.safetensors"));
  std::string config_sha1 = oclip::git_blob_sha1_hex(seed_file("open_clip_config.json"));
  EXPECT_EQ(fs::read_symlink(snapshot / "open_clip_model.safetensors"),
            fs::path("../../blobs") / weights_sha);
  EXPECT_EQ(fs::read_symlink(snapshot / "open_clip_config.json"),
            fs::path("../../blobs") / config_sha1);
  EXPECT_EQ(read(snapshot / "open_clip_model.safetensors"),
            seed_file("open_clip_model.safetensors"));
  EXPECT_EQ(read(repo_dir() / "refs" / "main"), commit);               // no newline
  EXPECT_FALSE(fs::exists(snapshot / "open_clip_pytorch_model.bin"));  // safetensors wins
  EXPECT_FALSE(fs::exists(snapshot / "README.md"));
  EXPECT_EQ(
      read(cache() / "CACHEDIR.TAG").rfind("Signature: 8a477f597d28d172789f06886806bc55\n", 0), 0u);
  for (const auto& e : fs::directory_iterator(repo_dir() / "blobs")) {
    EXPECT_EQ(e.path().string().find(".incomplete"), std::string::npos) << e.path();
  }
  for (const auto& e : fs::directory_iterator(cache())) {  // nothing but repos and the tag
    std::string name = e.path().filename().string();
    EXPECT_TRUE(name == "CACHEDIR.TAG" || name == ".locks" || name.rfind("models--", 0) == 0)
        << name;
  }
}

TEST_F(Pull, FallsBackToBinAndMarksSafetensorsMissing) {
  fs::remove(seed_.path() / "open_clip_model.safetensors");
  LocalHubProcess hub(args());
  auto out = json_of(oclip(hub, {"pull", "hf-hub:laion/tiny", "--json"}));
  std::string commit = out["commit"];
  ASSERT_EQ(out["files"].size(), 2u);
  EXPECT_EQ(out["files"][1]["path"], "open_clip_pytorch_model.bin");
  EXPECT_EQ(out["files"][1]["sha256"], sha256(seed_file("open_clip_pytorch_model.bin")));
  fs::path marker = repo_dir() / ".no_exist" / commit / "open_clip_model.safetensors";
  EXPECT_TRUE(fs::is_regular_file(marker));
  EXPECT_EQ(fs::file_size(marker), 0u);
}

TEST_F(Pull, PretrainedTagResolvesThroughTheTable) {
  TempDir vitamin;
  write_seed(vitamin.path(),
             {{"open_clip_config.json", "{}"}, {"pytorch_model.bin", pseudo_random_bytes(1000)}});
  LocalHubProcess hub({"--repo", "jienengchen/ViTamin-S=" + vitamin.path().string()});
  ProcessResult result = oclip(hub, {"pull", "ViTamin-S", "--pretrained", "DATACOMP1B", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto out = json_of(result);
  EXPECT_EQ(out["repo"], "jienengchen/ViTamin-S");
  EXPECT_EQ(out["files"][1]["path"], "pytorch_model.bin");  // the file the entry names
  EXPECT_TRUE(fs::exists(home_.path() / "hub/models--jienengchen--ViTamin-S/.no_exist" /
                         out["commit"].get<std::string>() / "pytorch_model.safetensors"));
}

TEST_F(Pull, UnknownTagAndArchitectureOnlyAreRefused) {
  LocalHubProcess hub(args());
  ProcessResult tag = oclip(hub, {"pull", "ViT-B-32", "--pretrained", "nope"});
  EXPECT_EQ(tag.exit_code, 3);
  EXPECT_NE(tag.err.find("laion2b_s34b_b79k"), std::string::npos);
  ProcessResult bare = oclip(hub, {"pull", "ViT-B-16-plus"});
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_NE(bare.err.find("no pretrained weights"), std::string::npos) << bare.err;
  EXPECT_EQ(oclip(hub, {"pull", "hf-hub:org/repo/sub"}).exit_code, 2);
  EXPECT_TRUE(hub.log().empty());  // refused before any request
}

TEST_F(Pull, SecondPullFetchesNothingAndPinnedCommitMakesNoRequest) {
  LocalHubProcess hub(args());
  auto first = json_of(oclip(hub, {"pull", "hf-hub:laion/tiny", "--json"}));
  EXPECT_GT(first["bytes_fetched"].get<uint64_t>(), 600'000u);
  auto again = json_of(oclip(hub, {"pull", "hf-hub:laion/tiny", "--json"}));
  EXPECT_EQ(again["bytes_fetched"], 0);
  auto is_tree = [](const auto& l) {
    return l["path"].template get<std::string>().find("/tree/") != std::string::npos;
  };
  size_t requests =
      hub.log_when([&](const auto& lines) { return count_if(lines, is_tree) >= 2; }).size();
  std::string commit = first["commit"];
  ProcessResult pinned = oclip(hub, {"pull", "hf-hub:laion/tiny@" + commit, "--json"});
  ASSERT_EQ(pinned.exit_code, 0) << pinned.err;
  EXPECT_EQ(json_of(pinned)["network"], false);
  EXPECT_EQ(hub.log().size(), requests);
}

TEST_F(Pull, OfflineUsesRefsAndNamesWhatIsMissing) {
  std::string snapshot;
  {
    LocalHubProcess hub(args());
    snapshot = oclip(hub, {"pull", "hf-hub:laion/tiny"}).out;
  }
  LocalHubProcess nothing({});  // an endpoint that knows no repo: offline must not ask it
  ProcessResult offline = oclip(nothing, {"pull", "hf-hub:laion/tiny"}, {{"HF_HUB_OFFLINE", "1"}});
  EXPECT_EQ(offline.exit_code, 0) << offline.err;
  EXPECT_EQ(offline.out, snapshot);
  EXPECT_EQ(oclip(nothing, {"pull", "hf-hub:laion/tiny", "--offline"}).exit_code, 0);
  ProcessResult missing = oclip(nothing, {"pull", "hf-hub:laion/other"}, {{"HF_HUB_OFFLINE", "1"}});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("laion/other@main"), std::string::npos) << missing.err;
  EXPECT_TRUE(nothing.log().empty());
}

TEST_F(Pull, ErrorsHaveTheirOwnExitCodes) {
  LocalHubProcess hub(
      args({"--repo", "alice/secret=" + seed_.path().string(), "--private", "alice/secret",
            "--repo", "org/gated=" + seed_.path().string(), "--gated", "org/gated", "--user",
            "hf_alice=alice", "--user", "hf_bob=bob"}));
  ProcessResult revision = oclip(hub, {"pull", "hf-hub:laion/tiny@v9"});
  EXPECT_EQ(revision.exit_code, 3);
  EXPECT_NE(revision.err.find("revision not found"), std::string::npos);
  ProcessResult missing = oclip(hub, {"pull", "hf-hub:laion/none"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("hint: check the repo id; log in"), std::string::npos) << missing.err;
  ProcessResult private_repo = oclip(hub, {"pull", "hf-hub:alice/secret"});
  EXPECT_EQ(private_repo.exit_code, 3);
  // The Hub answers both alike, so oclip cannot tell them apart either: one message.
  EXPECT_NE(private_repo.err.find("repo alice/secret not found, or private"), std::string::npos)
      << private_repo.err;
  EXPECT_EQ(oclip(hub, {"pull", "hf-hub:alice/secret", "--token", "hf_bob"}).exit_code, 3);
  EXPECT_EQ(oclip(hub, {"pull", "hf-hub:alice/secret"}, {{"HF_TOKEN", "hf_alice"}}).exit_code, 0);
  ProcessResult gated = oclip(hub, {"pull", "hf-hub:org/gated"});
  EXPECT_EQ(gated.exit_code, 5);
  EXPECT_NE(gated.err.find(hub.api() + "/org/gated"), std::string::npos) << gated.err;
  EXPECT_EQ(oclip(hub, {"pull", "hf-hub:org/gated", "--token", "hf_bob"}).exit_code, 5);
  ProcessResult invalid = oclip(hub, {"pull", "hf-hub:laion/tiny", "--token", "hf_wrong"});
  EXPECT_EQ(invalid.exit_code, 4);
  EXPECT_NE(invalid.err.find("--token"), std::string::npos) << invalid.err;
  ProcessResult json = oclip(hub, {"pull", "hf-hub:org/gated", "--json"});
  auto error = json_of(json)["error"];
  EXPECT_EQ(error["kind"], "gated");
  EXPECT_EQ(error["http_status"], 401);
  EXPECT_EQ(error["error_code"], "GatedRepo");
}

TEST_F(Pull, TokenNeverReachesTheCdn) {
  LocalHubProcess hub(args({"--user", "hf_alice=alice"}));
  ASSERT_EQ(oclip(hub, {"pull", "hf-hub:laion/tiny", "--token", "hf_alice"}).exit_code, 0);
  auto log = hub.log_when([](const auto& lines) {
    return count_if(lines, [](const auto& l) { return l["site"] == "cdn"; }) > 0;
  });
  EXPECT_GT(count_if(log, [](const auto& l) { return l["site"] == "cdn"; }), 0u);
  EXPECT_EQ(
      count_if(log, [](const auto& l) { return l["site"] == "cdn" && l["authorization"] == true; }),
      0u);
  EXPECT_GT(
      count_if(log, [](const auto& l) { return l["site"] == "api" && l["authorization"] == true; }),
      0u);
  for (const auto& l : log) EXPECT_EQ(l["user_agent"].get<std::string>().rfind("oclip/", 0), 0u);
}

TEST_F(Pull, RetriesRateLimitsAndServerErrors) {
  LocalHubProcess hub(args({"--fault", "status=429,retry-after=1,path=/api/*,times=2", "--fault",
                            "status=503,site=cdn,times=2"}));
  ProcessResult result = oclip(hub, {"pull", "hf-hub:laion/tiny", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto log = hub.log_when([](const auto& lines) {
    return count_if(lines, [](const auto& l) { return l["site"] == "cdn" && l["status"] == 200; }) >
           0;
  });
  EXPECT_EQ(count_if(log, [](const auto& l) { return l["status"] == 429; }), 2u);
  EXPECT_EQ(count_if(log, [](const auto& l) { return l["status"] == 503; }), 2u);
  EXPECT_EQ(read(fs::path(json_of(result)["snapshot"].get<std::string>()) /
                 "open_clip_model.safetensors"),
            seed_file("open_clip_model.safetensors"));
}

TEST_F(Pull, GivesUpAfterBoundedRetries) {
  LocalHubProcess hub(args({"--fault", "status=503,site=cdn"}));
  ProcessResult result = oclip(hub, {"pull", "hf-hub:laion/tiny"}, {{"OCLIP_MAX_RETRIES", "3"}});
  EXPECT_EQ(result.exit_code, 6);
  EXPECT_NE(result.err.find("503"), std::string::npos) << result.err;
  auto is_503 = [](const auto& l) { return l["status"] == 503; };
  EXPECT_EQ(count_if(hub.log_when([&](const auto& lines) { return count_if(lines, is_503) >= 4; }),
                     is_503),
            4u);
  EXPECT_FALSE(fs::exists(repo_dir() / "refs" / "main"));
}

TEST_F(Pull, ResumesWithRangeAfterADroppedConnection) {
  LocalHubProcess hub(args({"--fault", "drop=250000,site=cdn,times=1"}));
  ProcessResult result = oclip(hub, {"pull", "hf-hub:laion/tiny", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto resumed = [](const auto& l) {
    return l["site"] == "cdn" && l["range"] == "bytes=250000-599999" && l["status"] == 206;
  };
  auto log = hub.log_when([&](const auto& lines) { return count_if(lines, resumed) > 0; });
  EXPECT_EQ(count_if(log, resumed), 1u);
  EXPECT_EQ(json_of(result)["bytes_fetched"].get<uint64_t>(),
            600'000u + seed_file("open_clip_config.json").size());
}

TEST_F(Pull, FallsBackToOneStreamWhenRangesAreIgnored) {
  LocalHubProcess hub(args({"--fault", "ignore-range,site=cdn"}));
  ProcessResult result = oclip(hub, {"pull", "hf-hub:laion/tiny", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto ignored = [](const auto& l) {
    return l["site"] == "cdn" && l["range"] != "" && l["status"] == 200;
  };
  auto log = hub.log_when([&](const auto& lines) { return count_if(lines, ignored) > 0; });
  EXPECT_GE(count_if(log, ignored), 1u);
  fs::path snapshot = json_of(result)["snapshot"].get<std::string>();
  EXPECT_EQ(read(snapshot / "open_clip_model.safetensors"),
            seed_file("open_clip_model.safetensors"));
}

TEST_F(Pull, RestartsWhenAResumeRangeIsIgnored) {
  // The config is a regular file, served by the Hub itself in one stream.
  LocalHubProcess hub(
      args({"--fault", "drop=20,site=api,path=/api/resolve-cache/*,method=GET,times=1", "--fault",
            "ignore-range,site=api"}));
  ProcessResult result = oclip(hub, {"pull", "hf-hub:laion/tiny", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto ignored = [](const auto& l) { return l["range"] == "bytes=20-" && l["status"] == 200; };
  auto log = hub.log_when([&](const auto& lines) { return count_if(lines, ignored) > 0; });
  EXPECT_EQ(count_if(log, ignored), 1u);
  fs::path snapshot = json_of(result)["snapshot"].get<std::string>();
  EXPECT_EQ(read(snapshot / "open_clip_config.json"), seed_file("open_clip_config.json"));
}

TEST_F(Pull, RefetchesOnceAfterCorruption) {
  LocalHubProcess hub(args({"--fault", "corrupt,site=cdn,times=1"}));
  ProcessResult result = oclip(hub, {"pull", "hf-hub:laion/tiny"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto cdn_get = [](const auto& l) { return l["site"] == "cdn" && l["method"] == "GET"; };
  EXPECT_EQ(count_if(hub.log_when([&](const auto& lines) { return count_if(lines, cdn_get) >= 2; }),
                     cdn_get),
            2u);
  fs::path snapshot = result.out.substr(0, result.out.size() - 1);
  EXPECT_EQ(sha256(read(snapshot / "open_clip_model.safetensors")),
            sha256(seed_file("open_clip_model.safetensors")));
}

TEST_F(Pull, PersistentCorruptionFailsWithIntegrityAndLeavesNothing) {
  LocalHubProcess hub(args({"--fault", "corrupt,site=cdn"}));
  ProcessResult result = oclip(hub, {"pull", "hf-hub:laion/tiny"});
  EXPECT_EQ(result.exit_code, 7);
  EXPECT_NE(result.err.find("sha256 mismatch"), std::string::npos) << result.err;
  std::string weights = sha256(seed_file("open_clip_model.safetensors"));
  EXPECT_FALSE(fs::exists(repo_dir() / "blobs" / weights));
  for (const auto& e : fs::directory_iterator(repo_dir() / "blobs")) {
    EXPECT_EQ(e.path().string().find(".incomplete"), std::string::npos) << e.path();
  }
  EXPECT_FALSE(fs::exists(repo_dir() / "refs" / "main"));
}

TEST_F(Pull, StalledTransferIsAbortedAndRetried) {
  LocalHubProcess hub(args({"--fault", "stall=2500,site=cdn,times=1"}));
  ProcessResult result =
      oclip(hub, {"pull", "hf-hub:laion/tiny"}, {{"HF_HUB_DOWNLOAD_TIMEOUT", "1"}});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto cdn_gets = [](const auto& log) {
    return count_if(log, [](const auto& l) { return l["site"] == "cdn" && l["method"] == "GET"; });
  };
  // The stalled answer is logged when the server gives up on it, after the stall.
  EXPECT_EQ(cdn_gets(hub.log_when([&](const auto& log) { return cdn_gets(log) >= 2; })), 2u);
}

TEST_F(Pull, ExpiredStorageUrlIsResolvedAgain) {
  // Slow enough that the signed URL (1 s) expires before the dropped transfer resumes.
  // Expires has whole seconds, so a 1 s URL lives up to 2 s: drop after 2.2 s at 200 KiB/s.
  LocalHubProcess hub(args({"--url-ttl", "1", "--fault", "throttle=200,site=cdn", "--fault",
                            "drop=450000,site=cdn,times=1"}));
  ProcessResult result = oclip(hub, {"pull", "hf-hub:laion/tiny"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // The first answer (206 for bytes=0-599999) is cut at 450000; the resumed range must
  // succeed on a fresh URL after the old one was refused.
  auto resumed = [](const auto& l) {
    return l["site"] == "cdn" && l["status"] == 206 && l["range"] == "bytes=450000-599999";
  };
  auto log = hub.log_when([&](const auto& lines) { return count_if(lines, resumed) > 0; });
  // On a slow machine a refreshed URL can expire too before it is used: at least one refresh.
  EXPECT_GE(count_if(log, [](const auto& l) { return l["site"] == "cdn" && l["status"] == 403; }),
            1u);
  EXPECT_EQ(count_if(log, resumed), 1u);
}

TEST_F(Pull, FollowsARenamedRepo) {
  LocalHubProcess hub(args({"--rename", "old/tiny=laion/tiny"}));
  ProcessResult result = oclip(hub, {"pull", "hf-hub:old/tiny", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(json_of(result)["files"].size(), 2u);
}

TEST_F(Pull, RefusesRepoPathsThatEscape) {
  TempDir payload;
  write_seed(payload.path(), {{"evil", "pwned"}});
  for (std::string name : {"../../evil", "/tmp/evil", "a\\..\\evil", "a//b"}) {
    LocalHubProcess hub(
        args({"--raw-file", "laion/tiny@" + name + "=" + (payload.path() / "evil").string()}));
    ProcessResult result = oclip(hub, {"pull", "hf-hub:laion/tiny", "--all"});
    EXPECT_EQ(result.exit_code, 8) << name << ": " << result.err;
    EXPECT_NE(result.err.find("refusing repo file name '" + name + "'"), std::string::npos)
        << result.err;
    EXPECT_FALSE(fs::exists(home_.path() / "evil"));
    EXPECT_FALSE(fs::exists(repo_dir() / "blobs"));
  }
}

TEST_F(Pull, AllIncludeExcludeAndDryRun) {
  LocalHubProcess hub(args());
  auto dry = json_of(oclip(hub, {"pull", "hf-hub:laion/tiny", "--all", "--dry-run", "--json"}));
  EXPECT_EQ(dry["files"].size(), 6u);
  EXPECT_FALSE(fs::exists(cache()));  // a dry run writes nothing

  auto some = json_of(oclip(hub, {"pull", "hf-hub:laion/tiny", "--include", "tokenizer/",
                                  "--include", "*.md", "--json"}));
  ASSERT_EQ(some["files"].size(), 2u);
  EXPECT_EQ(some["files"][0]["path"], "README.md");
  EXPECT_EQ(some["files"][1]["path"], "tokenizer/vocab.json");
  fs::path snapshot = some["snapshot"].get<std::string>();
  EXPECT_EQ(
      fs::read_symlink(snapshot / "tokenizer" / "vocab.json").string().rfind("../../../blobs/", 0),
      0u);

  auto all =
      json_of(oclip(hub, {"pull", "hf-hub:laion/tiny", "--all", "--exclude", "*.bin", "--json"}));
  EXPECT_EQ(all["files"].size(), 5u);
  for (const auto& f : all["files"]) EXPECT_NE(f["path"], "open_clip_pytorch_model.bin");
}

TEST_F(Pull, RevisionsByTagBranchAndShortCommit) {
  TempDir dev;
  write_seed(dev.path(), {{"open_clip_config.json", "{\"dev\": 1}"},
                          {"open_clip_model.safetensors", "dev weights"}});
  LocalHubProcess hub(
      args({"--tag", "laion/tiny@v1", "--branch", "laion/tiny@feature/x=" + dev.path().string()}));
  auto tag = json_of(oclip(hub, {"pull", "hf-hub:laion/tiny@v1", "--json"}));
  EXPECT_EQ(read(repo_dir() / "refs" / "v1"), tag["commit"]);
  auto branch =
      json_of(oclip(hub, {"pull", "hf-hub:laion/tiny", "--revision", "feature/x", "--json"}));
  EXPECT_NE(branch["commit"], tag["commit"]);
  EXPECT_EQ(read(repo_dir() / "refs" / "feature" / "x"), branch["commit"]);
  EXPECT_EQ(read(fs::path(branch["snapshot"].get<std::string>()) / "open_clip_model.safetensors"),
            "dev weights");
  std::string short_id = tag["commit"].get<std::string>().substr(0, 8);
  auto by_short = json_of(oclip(hub, {"pull", "hf-hub:laion/tiny@" + short_id, "--json"}));
  EXPECT_EQ(by_short["commit"], tag["commit"]);
  EXPECT_EQ(oclip(hub, {"pull", "hf-hub:laion/tiny@v1", "--revision", "v2"}).exit_code, 2);
}

TEST_F(Pull, ReadsACacheLaidOutByPythonWithoutFetching) {
  // What huggingface_hub leaves after hf_hub_download of both files: blobs, relative links, ref.
  LocalHubProcess hub(args());
  std::string commit =
      json_of(oclip(hub, {"pull", "hf-hub:laion/tiny", "--dry-run", "--json"}))["commit"];
  fs::path snapshot = repo_dir() / "snapshots" / commit;
  fs::create_directories(snapshot);
  fs::create_directories(repo_dir() / "blobs");
  fs::create_directories(repo_dir() / "refs");
  std::string weights_sha = sha256(seed_file("open_clip_model.safetensors"));
  std::string config_sha1 = oclip::git_blob_sha1_hex(seed_file("open_clip_config.json"));
  std::ofstream(repo_dir() / "blobs" / weights_sha, std::ios::binary)
      << seed_file("open_clip_model.safetensors");
  std::ofstream(repo_dir() / "blobs" / config_sha1, std::ios::binary)
      << seed_file("open_clip_config.json");
  fs::create_symlink("../../blobs/" + weights_sha, snapshot / "open_clip_model.safetensors");
  fs::create_symlink("../../blobs/" + config_sha1, snapshot / "open_clip_config.json");
  std::ofstream(repo_dir() / "refs" / "main") << commit;

  auto out = json_of(oclip(hub, {"pull", "hf-hub:laion/tiny", "--json"}));
  EXPECT_EQ(out["bytes_fetched"], 0);
  ProcessResult offline = oclip(hub, {"pull", "hf-hub:laion/tiny", "--offline"});
  EXPECT_EQ(offline.exit_code, 0) << offline.err;
}

TEST_F(Pull, HonoursProxyVariables) {
  LocalHubProcess hub(args());
  // Nothing listens on port 9 of loopback: through that "proxy" every request fails.
  ProcessResult proxied = oclip(hub, {"pull", "hf-hub:laion/tiny"},
                                {{"http_proxy", "http://127.0.0.1:9"}, {"OCLIP_MAX_RETRIES", "0"}});
  EXPECT_EQ(proxied.exit_code, 6) << proxied.err;
  ProcessResult bypassed = oclip(hub, {"pull", "hf-hub:laion/tiny"},
                                 {{"http_proxy", "http://127.0.0.1:9"}, {"no_proxy", "127.0.0.1"}});
  EXPECT_EQ(bypassed.exit_code, 0) << bypassed.err;
}

namespace {

// Journals of partial downloads in a blobs folder, and how many ranges each vouches for.
size_t journal_ranges(const fs::path& blobs) {
  size_t ranges = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(blobs, ec)) {
    if (e.path().string().find(".journal.incomplete") == std::string::npos) continue;
    std::ifstream in(e.path());
    for (std::string line; std::getline(in, line);) ranges += line.rfind("range ", 0) == 0;
  }
  return ranges;
}

std::vector<std::string> oclip_env_argv(const LocalHubProcess& hub, const fs::path& home,
                                        std::vector<std::string> args,
                                        std::vector<std::string> env = {}) {
  std::vector<std::string> argv = {"env", "HF_ENDPOINT=" + hub.api(), "HF_HOME=" + home.string(),
                                   "OCLIP_RETRY_BASE_SECONDS=0.01"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.push_back(oclip_binary());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

TEST_F(Pull, FetchesLargeFilesAsParallelRanges) {
  LocalHubProcess hub(args());
  ProcessResult result =
      oclip(hub, {"pull", "hf-hub:laion/tiny", "--split-size", "64K", "--jobs", "4"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto ranged = [](const auto& l) { return l["site"] == "cdn" && l["status"] == 206; };
  auto log = hub.log_when([&](const auto& lines) { return count_if(lines, ranged) >= 10; });
  EXPECT_EQ(count_if(log, ranged), 10u);  // 600,000 bytes in 64 KiB parts
  EXPECT_EQ(count_if(log, [](const auto& l) { return l["range"] == "bytes=589824-599999"; }), 1u);
  fs::path snapshot = result.out.substr(0, result.out.size() - 1);
  EXPECT_EQ(read(snapshot / "open_clip_model.safetensors"),
            seed_file("open_clip_model.safetensors"));
}

TEST_F(Pull, IdleStreamTakesHalfOfASlowStreamsRange) {
  // The first range request crawls at 50 KiB/s: alone, its 300,000 bytes would take 6 s.
  LocalHubProcess hub(args({"--fault", "throttle=50,site=cdn,times=1"}));
  auto started = std::chrono::steady_clock::now();
  ProcessResult result =
      oclip(hub, {"pull", "hf-hub:laion/tiny", "--split-size", "300000", "--jobs", "2", "--json"});
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto stolen = [](const auto& l) {
    return l["site"] == "cdn" && l["status"] == 206 && l["range"] != "bytes=0-299999" &&
           l["range"] != "bytes=300000-599999";
  };
  auto log = hub.log_when([&](const auto& lines) { return count_if(lines, stolen) > 0; });
  EXPECT_GE(count_if(log, stolen), 1u);
  EXPECT_LT(seconds, 4.5);
  fs::path snapshot = json_of(result)["snapshot"].get<std::string>();
  EXPECT_EQ(read(snapshot / "open_clip_model.safetensors"),
            seed_file("open_clip_model.safetensors"));
  EXPECT_EQ(json_of(result)["bytes_fetched"].get<uint64_t>(),
            600'000u + seed_file("open_clip_config.json").size());
}

TEST_F(Pull, KilledPullResumesFromItsJournal) {
  LocalHubProcess hub(args({"--fault", "throttle=100,site=cdn"}));
  fs::path blobs = repo_dir() / "blobs";
  {
    ChildProcess first(
        oclip_env_argv(hub, home_.path(),
                       {"pull", "hf-hub:laion/tiny", "--split-size", "64K", "--jobs", "2"}),
        (home_.path() / "first.out").string());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (journal_ranges(blobs) < 3 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_GE(journal_ranges(blobs), 3u);
    first.kill_hard();
  }
  size_t kept = journal_ranges(blobs);
  ProcessResult second =
      oclip(hub, {"pull", "hf-hub:laion/tiny", "--split-size", "64K", "--jobs", "4", "--json"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  // The second run asked only for what the first had not finished.
  EXPECT_LE(json_of(second)["bytes_fetched"].get<uint64_t>(), 600'000u - (kept - 2) * 65536u);
  auto log = hub.log_when([](const auto& lines) {
    return count_if(lines, [](const auto& l) { return l["range"] == "bytes=0-65535"; }) >= 1;
  });
  EXPECT_EQ(count_if(log, [](const auto& l) { return l["range"] == "bytes=0-65535"; }), 1u);
  fs::path snapshot = json_of(second)["snapshot"].get<std::string>();
  EXPECT_EQ(sha256(read(snapshot / "open_clip_model.safetensors")),
            sha256(seed_file("open_clip_model.safetensors")));
  for (const auto& e : fs::directory_iterator(blobs)) {
    EXPECT_EQ(e.path().string().find(".incomplete"), std::string::npos) << e.path();
  }
}

TEST_F(Pull, InterruptedPullKeepsWhatItFetchedForTheNextRun) {
  LocalHubProcess hub(args({"--fault", "throttle=100,site=cdn"}));
  fs::path blobs = repo_dir() / "blobs";
  ChildProcess first(
      oclip_env_argv(hub, home_.path(), {"pull", "hf-hub:laion/tiny", "--split-size", "64K"}),
      (home_.path() / "first.out").string());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (journal_ranges(blobs) < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const size_t before = journal_ranges(blobs);
  ASSERT_GE(before, 2u);
  EXPECT_EQ(first.terminate(), 128 + SIGTERM);  // Ctrl-C and SIGTERM end it by the signal
  // The signal's cleanup spares the resumable download: its journal still holds the ranges.
  EXPECT_GE(journal_ranges(blobs), before);
}

TEST_F(Pull, DamagedPartialRangeIsFetchedAgain) {
  LocalHubProcess hub(args({"--fault", "throttle=100,site=cdn"}));
  fs::path blobs = repo_dir() / "blobs";
  {
    ChildProcess first(
        oclip_env_argv(hub, home_.path(),
                       {"pull", "hf-hub:laion/tiny", "--split-size", "64K", "--jobs", "1"}),
        (home_.path() / "first.out").string());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (journal_ranges(blobs) < 2 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    first.kill_hard();
  }
  ASSERT_GE(journal_ranges(blobs), 2u);
  // Flip a byte inside the first recorded range, as a torn write would.
  for (const auto& e : fs::directory_iterator(blobs)) {
    std::string name = e.path().string();
    if (name.find(".oclip-") == std::string::npos || name.find(".journal.") != std::string::npos)
      continue;
    std::fstream partial(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    partial.seekp(100);
    partial.put(static_cast<char>(seed_file("open_clip_model.safetensors")[100] ^ 0xff));
  }
  ProcessResult second =
      oclip(hub, {"pull", "hf-hub:laion/tiny", "--split-size", "64K", "--jobs", "4"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  auto first_range = [](const auto& l) { return l["range"] == "bytes=0-65535"; };
  EXPECT_EQ(
      count_if(hub.log_when([&](const auto& lines) { return count_if(lines, first_range) >= 2; }),
               first_range),
      2u);
  fs::path snapshot = second.out.substr(0, second.out.size() - 1);
  EXPECT_EQ(read(snapshot / "open_clip_model.safetensors"),
            seed_file("open_clip_model.safetensors"));
}

TEST_F(Pull, ConcurrentPullsWithoutWorkingLocksAllSucceed) {
  LocalHubProcess hub(args({"--fault", "throttle=400,site=cdn"}));
  std::vector<std::unique_ptr<ChildProcess>> pulls;
  for (int i = 0; i < 4; ++i) {
    pulls.push_back(std::make_unique<ChildProcess>(
        oclip_env_argv(hub, home_.path(), {"pull", "hf-hub:laion/tiny", "--split-size", "64K"},
                       {"OCLIP_DISABLE_LOCKS=1"}),
        (home_.path() / ("pull" + std::to_string(i) + ".out")).string()));
  }
  for (auto& p : pulls) EXPECT_EQ(p->wait(), 0);
  std::string weights = sha256(seed_file("open_clip_model.safetensors"));
  EXPECT_EQ(sha256(read(repo_dir() / "blobs" / weights)), weights);
  for (const auto& e : fs::directory_iterator(repo_dir() / "blobs")) {
    EXPECT_EQ(e.path().string().find(".incomplete"), std::string::npos) << e.path();
  }
}

TEST_F(Pull, ConcurrentPullsWithLocksDownloadOnce) {
  LocalHubProcess hub(args({"--fault", "throttle=400,site=cdn"}));
  std::vector<std::unique_ptr<ChildProcess>> pulls;
  for (int i = 0; i < 4; ++i) {
    pulls.push_back(std::make_unique<ChildProcess>(
        oclip_env_argv(hub, home_.path(), {"pull", "hf-hub:laion/tiny", "--split-size", "64K"}),
        (home_.path() / ("pull" + std::to_string(i) + ".out")).string()));
  }
  for (auto& p : pulls) EXPECT_EQ(p->wait(), 0);
  uint64_t cdn_bytes = 0;
  for (const auto& l : hub.log()) {
    if (l["site"] == "cdn") cdn_bytes += l["bytes"].get<uint64_t>();
  }
  // Once, not four times; a stolen tail range may fetch a few bytes twice on a loaded machine.
  EXPECT_GE(cdn_bytes, 600'000u);
  EXPECT_LT(cdn_bytes, 2 * 600'000u);
  std::string weights = sha256(seed_file("open_clip_model.safetensors"));
  EXPECT_EQ(sha256(read(repo_dir() / "blobs" / weights)), weights);
}

TEST_F(Pull, LockOfADeadProcessIsPassedAndALiveOneIsWaitedFor) {
  LocalHubProcess hub(args());
  std::string weights = sha256(seed_file("open_clip_model.safetensors"));
  fs::path lock = cache() / ".locks" / "models--laion--tiny" / (weights + ".lock");
  fs::create_directories(lock.parent_path());
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  // Held by this test's own descriptor, as a leaked descriptor or a stuck client would hold it.
  struct Held {
    int fd;
    ~Held() { close(fd); }
  };
  auto hold = [&](const std::string& holder) {
    std::ofstream(lock) << holder;
    int fd = open(lock.c_str(), O_RDONLY);
    EXPECT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
    return std::unique_ptr<Held>(new Held{fd});
  };

  // Above any pid the kernel hands out: that holder is gone.
  {
    auto holding = hold("pid 4194400 on " + std::string(host));
    ProcessResult result = oclip(hub, {"pull", "hf-hub:laion/tiny"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.err.find("stale lock"), std::string::npos) << result.err;
    EXPECT_EQ(sha256(read(repo_dir() / "blobs" / weights)), weights);
  }
  // A live holder (this test) is waited for and named; the wait is bounded.
  fs::remove_all(repo_dir());
  {
    auto holding = hold("pid " + std::to_string(getpid()) + " on " + host);
    ProcessResult result = oclip(hub, {"pull", "hf-hub:laion/tiny"}, {{"OCLIP_LOCK_TIMEOUT", "2"}});
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.err.find("held by pid " + std::to_string(getpid())), std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find("still held after 2 s"), std::string::npos) << result.err;
    EXPECT_FALSE(fs::exists(repo_dir() / "blobs" / weights));
  }
}

TEST_F(Pull, FetchesTheTokenizerAndTextModelRepos) {
  TempDir model, tokenizer, text;
  write_seed(
      model.path(),
      {{"open_clip_config.json",
        R"({"model_cfg": {"text_cfg": {"hf_tokenizer_name": "timm/ViT-B-16-SigLIP", "hf_model_name": "xlm-roberta-base"}}})"},
       {"open_clip_model.safetensors", pseudo_random_bytes(1000)}});
  write_seed(tokenizer.path(), {{"tokenizer_config.json", "{}"},
                                {"spiece.model", pseudo_random_bytes(500)},
                                {"open_clip_model.safetensors", pseudo_random_bytes(2000)}});
  write_seed(text.path(),
             {{"config.json", "{\"model_type\": \"xlm-roberta\"}"}, {"model.safetensors", "x"}});
  LocalHubProcess hub({"--repo", "laion/siglip=" + model.path().string(), "--repo",
                       "timm/ViT-B-16-SigLIP=" + tokenizer.path().string(), "--repo",
                       "xlm-roberta-base=" + text.path().string()});
  ProcessResult result = oclip(hub, {"pull", "hf-hub:laion/siglip", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto deps = json_of(result)["dependencies"];
  ASSERT_EQ(deps.size(), 2u);
  EXPECT_EQ(deps[0]["repo"], "timm/ViT-B-16-SigLIP");
  ASSERT_EQ(deps[0]["files"].size(), 2u);  // only tokenizer files, not the other repo's weights
  EXPECT_EQ(deps[0]["files"][0]["path"], "tokenizer_config.json");
  EXPECT_EQ(deps[0]["files"][1]["path"], "spiece.model");
  EXPECT_EQ(deps[1]["repo"], "xlm-roberta-base");
  EXPECT_EQ(deps[1]["files"][0]["path"], "config.json");

  fs::path tokenizer_repo = cache() / "models--timm--ViT-B-16-SigLIP";
  std::string commit = deps[0]["commit"];
  EXPECT_EQ(read(tokenizer_repo / "refs" / "main"), commit);
  EXPECT_EQ(read(tokenizer_repo / "snapshots" / commit / "spiece.model"),
            read(tokenizer.path() / "spiece.model"));
  // Files AutoTokenizer would look for but the repo lacks are marked, so offline loads skip them.
  EXPECT_TRUE(fs::exists(tokenizer_repo / ".no_exist" / commit / "tokenizer.json"));
  EXPECT_TRUE(fs::exists(cache() / "models--xlm-roberta-base" / "snapshots" /
                         deps[1]["commit"].get<std::string>() / "config.json"));
}

TEST_F(Pull, TakesTheRepoOwnTokenizerFiles) {
  TempDir model;
  write_seed(model.path(), {{"open_clip_config.json",
                             R"({"model_cfg": {"text_cfg": {"hf_tokenizer_name": "org/self"}}})"},
                            {"open_clip_model.safetensors", pseudo_random_bytes(1000)},
                            {"tokenizer.json", "{}"},
                            {"README.md", "not needed"}});
  LocalHubProcess hub({"--repo", "org/self=" + model.path().string()});
  ProcessResult result = oclip(hub, {"pull", "hf-hub:org/self", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto out = json_of(result);
  ASSERT_EQ(out["dependencies"].size(), 1u);
  EXPECT_EQ(out["dependencies"][0]["commit"], out["commit"]);
  fs::path snapshot = out["snapshot"].get<std::string>();
  EXPECT_TRUE(fs::exists(snapshot / "tokenizer.json"));
  EXPECT_FALSE(fs::exists(snapshot / "README.md"));
}

TEST_F(Pull, CompleteCacheIsNotWrittenAgain) {
  // What a read-only cache needs (tests run as root, so permissions would not show it): a
  // second pull of a complete snapshot changes no file, folder or time stamp.
  LocalHubProcess hub(args());
  ASSERT_EQ(oclip(hub, {"pull", "hf-hub:laion/tiny"}).exit_code, 0);
  auto state = [&] {
    std::map<std::string, long long> entries;
    for (const auto& e : fs::recursive_directory_iterator(cache())) {
      struct stat st;
      ::lstat(e.path().c_str(), &st);
      entries[e.path().string()] =
          static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    }
    return entries;
  };
  auto before = state();
  ProcessResult again = oclip(hub, {"pull", "hf-hub:laion/tiny", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json_of(again)["bytes_fetched"], 0);
  EXPECT_EQ(state(), before);
}

TEST_F(Pull, JsonProgressLinesOnStderr) {
  LocalHubProcess hub(args());
  ProcessResult result = oclip(hub, {"pull", "hf-hub:laion/tiny", "--json", "--progress"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::istringstream lines(result.err);
  uint64_t last_weights = 0;
  size_t count = 0;
  nlohmann::json last;
  for (std::string line; std::getline(lines, line); ++count) {
    last = nlohmann::json::parse(line);
    EXPECT_EQ(last["event"], "progress");
    EXPECT_EQ(last["files"], 2);  // the config and the weights: the job's totals ride along
    if (last["path"] == "open_clip_model.safetensors") last_weights = last["bytes"];
  }
  EXPECT_GE(count, 2u);
  EXPECT_EQ(last_weights, 600'000u);
  uint64_t job = 600'000u + seed_file("open_clip_config.json").size();
  EXPECT_EQ(last["job_total"].get<uint64_t>(), job);
  EXPECT_EQ(last["job_bytes"].get<uint64_t>(), job);
  EXPECT_EQ(json_of(result)["bytes_fetched"].get<uint64_t>(),
            600'000u + seed_file("open_clip_config.json").size());
  // Without --progress, --json keeps stderr quiet.
  ProcessResult quiet = oclip(hub, {"pull", "hf-hub:laion/tiny", "--json", "--force"});
  EXPECT_EQ(quiet.err, "");
}

TEST_F(Pull, LocalDirHoldsPlainFilesAndPythonMetadata) {
  LocalHubProcess hub(args());
  TempDir target;
  fs::path dir = target.path() / "tiny";
  auto first =
      json_of(oclip(hub, {"pull", "hf-hub:laion/tiny", "--local-dir", dir.string(), "--json"}));
  EXPECT_EQ(first["snapshot"], dir.string());
  EXPECT_FALSE(fs::is_symlink(dir / "open_clip_model.safetensors"));
  EXPECT_EQ(read(dir / "open_clip_model.safetensors"), seed_file("open_clip_model.safetensors"));
  EXPECT_FALSE(fs::exists(cache()));  // the cache is not touched
  EXPECT_EQ(read(dir / ".cache/huggingface/.gitignore"), "*");
  std::istringstream metadata(
      read(dir / ".cache/huggingface/download/open_clip_model.safetensors.metadata"));
  std::string commit, etag, timestamp;
  std::getline(metadata, commit);
  std::getline(metadata, etag);
  std::getline(metadata, timestamp);
  EXPECT_EQ(commit, first["commit"]);
  EXPECT_EQ(etag, sha256(seed_file("open_clip_model.safetensors")));
  EXPECT_GT(std::stod(timestamp), 1.7e9);
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    EXPECT_EQ(e.path().string().find(".incomplete"), std::string::npos) << e.path();
  }

  auto again =
      json_of(oclip(hub, {"pull", "hf-hub:laion/tiny", "--local-dir", dir.string(), "--json"}));
  EXPECT_EQ(again["bytes_fetched"], 0);

  // A file edited after the download no longer matches its metadata: fetched again.
  std::ofstream(dir / "open_clip_config.json") << "edited";
  fs::last_write_time(dir / "open_clip_config.json",
                      fs::file_time_type::clock::now() + std::chrono::seconds(5));
  auto edited =
      json_of(oclip(hub, {"pull", "hf-hub:laion/tiny", "--local-dir", dir.string(), "--json"}));
  EXPECT_EQ(edited["bytes_fetched"], seed_file("open_clip_config.json").size());
  EXPECT_EQ(read(dir / "open_clip_config.json"), seed_file("open_clip_config.json"));
}

TEST_F(Pull, LocalDirSkipsFilesPythonAlreadyFetched) {
  LocalHubProcess hub(args());
  TempDir target;
  fs::path dir = target.path();
  std::string commit =
      json_of(oclip(hub, {"pull", "hf-hub:laion/tiny", "--dry-run", "--json"}))["commit"];
  // As huggingface_hub's hf_hub_download(local_dir=...) leaves it.
  write_seed(dir, {{"open_clip_model.safetensors", seed_file("open_clip_model.safetensors")}});
  double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() +
      2;
  write_seed(dir / ".cache/huggingface/download",
             {{"open_clip_model.safetensors.metadata",
               commit + "\n" + sha256(seed_file("open_clip_model.safetensors")) + "\n" +
                   std::to_string(now) + "\n"}});
  auto out =
      json_of(oclip(hub, {"pull", "hf-hub:laion/tiny", "--local-dir", dir.string(), "--json"}));
  EXPECT_EQ(out["bytes_fetched"], seed_file("open_clip_config.json").size());  // only the config
}

TEST_F(Pull, LimitRateCapsTheSpeed) {
  LocalHubProcess hub(args());
  auto started = std::chrono::steady_clock::now();
  ProcessResult result =
      oclip(hub, {"pull", "hf-hub:laion/tiny", "--limit-rate", "400K", "--split-size", "64K"});
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_GT(seconds, 1.0);  // 586 KiB at 400 KiB/s; unlimited it takes milliseconds
  // Also in one stream, when the server ignores Range.
  LocalHubProcess no_ranges(args({"--fault", "ignore-range,site=cdn"}));
  started = std::chrono::steady_clock::now();
  result = oclip(no_ranges, {"pull", "hf-hub:laion/tiny", "--limit-rate", "400K", "--force"});
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_GT(seconds, 1.0);
  EXPECT_EQ(oclip(hub, {"pull", "hf-hub:laion/tiny", "--limit-rate", "fast"}).exit_code, 2);
  EXPECT_EQ(oclip(hub, {"pull", "hf-hub:laion/tiny", "--jobs", "0"}).exit_code, 2);
}

TEST_F(Pull, RecordsTheTreeAndUsesItOffline) {
  LocalHubProcess hub(args());
  auto first = json_of(oclip(hub, {"pull", "hf-hub:laion/tiny", "--json"}));
  std::string commit = first["commit"];
  auto tree = nlohmann::json::parse(read(repo_dir() / "trees" / (commit + ".json")));
  EXPECT_EQ(tree["format_version"], 1);
  ASSERT_EQ(tree["files"].size(), 6u);  // the whole commit, not just what was pulled
  EXPECT_EQ(tree["files"]["open_clip_model.safetensors"]["lfs_sha256"],
            sha256(seed_file("open_clip_model.safetensors")));
  EXPECT_EQ(tree["files"]["README.md"]["blob_id"],
            oclip::git_blob_sha1_hex(seed_file("README.md")));
  EXPECT_FALSE(tree["files"]["README.md"].contains("lfs_sha256"));

  // Offline, the tree tells a complete selection from a partial one.
  ProcessResult partial = oclip(hub, {"pull", "hf-hub:laion/tiny", "--all", "--offline"});
  EXPECT_EQ(partial.exit_code, 3);
  ASSERT_EQ(oclip(hub, {"pull", "hf-hub:laion/tiny", "--all"}).exit_code, 0);
  size_t requests = hub.log(1).size();
  auto offline = json_of(oclip(hub, {"pull", "hf-hub:laion/tiny", "--all", "--offline", "--json"}));
  EXPECT_EQ(offline["files"].size(), 6u);
  EXPECT_EQ(offline["network"], false);
  auto some = json_of(
      oclip(hub, {"pull", "hf-hub:laion/tiny", "--include", "tokenizer/", "--offline", "--json"}));
  EXPECT_EQ(some["files"].size(), 1u);
  EXPECT_EQ(hub.log().size(), requests);
}

TEST_F(Pull, DependenciesComeFromTheCacheOffline) {
  TempDir model, tokenizer;
  write_seed(model.path(), {{"open_clip_config.json",
                             R"({"model_cfg": {"text_cfg": {"hf_tokenizer_name": "timm/tok"}}})"},
                            {"open_clip_model.safetensors", pseudo_random_bytes(1000)}});
  write_seed(tokenizer.path(), {{"tokenizer.json", "{}"}});
  LocalHubProcess hub({"--repo", "laion/siglip=" + model.path().string(), "--repo",
                       "timm/tok=" + tokenizer.path().string()});
  ASSERT_EQ(oclip(hub, {"pull", "hf-hub:laion/siglip"}).exit_code, 0);
  LocalHubProcess nothing({});
  auto offline =
      json_of(oclip(nothing, {"pull", "hf-hub:laion/siglip", "--json"}, {{"HF_HUB_OFFLINE", "1"}}));
  ASSERT_EQ(offline["dependencies"].size(), 1u);
  EXPECT_EQ(offline["dependencies"][0]["repo"], "timm/tok");
  EXPECT_EQ(offline["dependencies"][0]["files"][0]["path"], "tokenizer.json");
  EXPECT_TRUE(nothing.log().empty());
}
