// oclip push against the local Hub's write side: one commit per push, LFS basic and multipart
// uploads, nothing sent twice, faults retried or reported, and every push read back by pull.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/file_io.h"
#include "core/hash.h"
#include "tests/support/http_client.h"
#include "tests/support/local_hub_process.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kAlice = "hf_alicePushToken0123456";
const std::string kBob = "hf_bobReadOnlyToken98765";
const fs::path kCases = fs::path(OCLIP_GOLDEN_DIR) / "cases";
// Small enough that the golden weights (about 1 MB) go multipart in several parts.
const std::vector<std::string> kWriteSide = {
    "--user", kAlice + "=alice:laion", "--user", kBob + "=bob", "--multipart-threshold",
    "300000", "--chunk-size",          "250000"};

std::vector<std::string> with(std::vector<std::string> base, const std::vector<std::string>& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

class Push : public ::testing::Test {
 protected:
  explicit Push(const std::vector<std::string>& extra = {}) : hub_(with(kWriteSide, extra)) {}

  ProcessResult oclip(std::vector<std::string> args, const std::string& token = kAlice,
                      const fs::path& cache = {}) const {
    RunOptions options;
    options.env = {{"HF_ENDPOINT", hub_.api()},
                   {"HF_HOME", (home_.path() / "home").string()},
                   {"HF_HUB_CACHE", (cache.empty() ? home_.path() / "cache" : cache).string()},
                   {"OCLIP_RETRY_BASE_SECONDS", "0.01"}};
    if (!token.empty()) options.env["HF_TOKEN"] = token;
    for (const auto& [name, value] : extra_env_) options.env[name] = value;
    options.unset_env = {"HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH"};
    if (token.empty()) options.unset_env.push_back("HF_TOKEN");
    args.insert(args.begin(), oclip_binary());
    ProcessResult r = run_process(args, options);
    for (const std::string& secret : {kAlice, kBob}) {
      EXPECT_EQ(r.out.find(secret), std::string::npos) << r.out;
      EXPECT_EQ(r.err.find(secret), std::string::npos) << r.err;
    }
    return r;
  }

  json push_json(const fs::path& folder, const std::string& repo,
                 std::vector<std::string> more = {}) const {
    std::vector<std::string> args = {"push", folder.string(), "--repo-id", repo, "--json"};
    args.insert(args.end(), more.begin(), more.end());
    ProcessResult r = oclip(args);
    EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    return json::parse(r.out, nullptr, false);
  }

  // A folder of a golden case converted by oclip.
  fs::path converted(const std::string& name, const std::string& source) const {
    fs::path out = home_.path() / "converted" / name;
    ProcessResult r = oclip({"convert", (kCases / name / "source" / source).string(), "-o",
                             out.string(), "--no-validate", "--bin"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }

  // A small folder: config, weights (multipart), a nested file and an empty one.
  fs::path small_folder(const std::string& name) const {
    fs::path dir = home_.path() / name;
    write(dir / "open_clip_config.json",
          R"({"model_cfg": {"embed_dim": 32, "vision_cfg": {"width": 64, "layers": 2,)"
          R"( "patch_size": 8, "image_size": 32}, "text_cfg": {"width": 32, "layers": 2,)"
          R"( "heads": 2}}, "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}})");
    std::string weights;
    for (uint32_t i = 0; i < 700000; ++i) weights.push_back(static_cast<char>((i * 7919u) >> 3));
    write(dir / "open_clip_model.safetensors", weights);
    write(dir / "notes/readme.txt", "nested\n");
    write(dir / "empty.txt", "");
    return dir;
  }

  fs::path pull_all(const std::string& repo, const std::string& token = kAlice) const {
    fs::path cache = home_.path() / ("pulled-" + std::to_string(++pulls_));
    ProcessResult r = oclip({"pull", "hf-hub:" + repo, "--all"}, token, cache);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  static void expect_same_files(const fs::path& folder, const fs::path& snapshot) {
    int compared = 0;
    for (const auto& entry : fs::recursive_directory_iterator(folder)) {
      if (!entry.is_regular_file()) continue;
      fs::path relative = fs::relative(entry.path(), folder);
      ASSERT_TRUE(fs::exists(snapshot / relative)) << relative;
      EXPECT_EQ(oclip::read_file(snapshot / relative), oclip::read_file(entry.path())) << relative;
      ++compared;
    }
    EXPECT_GT(compared, 0);
  }

  std::vector<json> requests(const std::string& method, const std::string& path_part) const {
    std::vector<json> out;
    for (const json& line : hub_.log()) {
      if (line["method"] == method &&
          line["path"].get<std::string>().find(path_part) != std::string::npos) {
        out.push_back(line);
      }
    }
    return out;
  }

  json model_info(const std::string& repo, const std::string& revision = "main") const {
    HttpReply r = http_get(hub_.api() + "/api/models/" + repo + "/revision/" + revision,
                           {"Authorization: Bearer " + kAlice});
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }

  static std::vector<std::string> siblings(const json& info) {
    std::vector<std::string> out;
    for (const json& s : info["siblings"]) out.push_back(s["rfilename"]);
    return out;
  }

  LocalHubProcess hub_;
  TempDir home_;
  std::map<std::string, std::string> extra_env_;  // set for one call
  mutable int pulls_ = 0;
};

TEST_F(Push, GoldenConversionsArePulledBackByteIdentical) {
  for (const auto& [name, source] : std::vector<std::pair<std::string, std::string>>{
           {"clip-tiny-native", "open_clip_pytorch_model.bin"},
           {"openai-vit-tiny", "openai-vit-tiny.pt"},
           {"openai-rn-tiny", "openai-rn-tiny.pt"}}) {
    SCOPED_TRACE(name);
    fs::path folder = converted(name, source);
    json result = push_json(folder, "alice/" + name, {"--license", "mit"});
    EXPECT_TRUE(result["repo_created"]);
    EXPECT_TRUE(result["committed"]);
    EXPECT_EQ(result["readme"], "generated");
    EXPECT_GT(result["bytes_sent"].get<uint64_t>(),
              fs::file_size(folder / "open_clip_model.safetensors"));
    for (const json& f : result["files"]) {
      bool weights =
          f["path"] == "open_clip_model.safetensors" || f["path"] == "open_clip_pytorch_model.bin";
      EXPECT_EQ(f["mode"], weights ? "lfs" : "regular") << f;
    }
    fs::path snapshot = pull_all("alice/" + name);
    expect_same_files(folder, snapshot);
    EXPECT_EQ(result["commit"], snapshot.filename().string());
    std::string readme = oclip::read_file(snapshot / "README.md");
    EXPECT_NE(readme.find("license: mit"), std::string::npos) << readme;
  }
  // Parts of about 250 kB each, never with the token; the completion neither.
  std::vector<json> parts = requests("PUT", "/lfs-upload/");
  EXPECT_GT(parts.size(), 6u);
  for (const json& p : parts) EXPECT_FALSE(p["authorization"]) << p;
  for (const json& c : requests("POST", "/api/complete_multipart"))
    EXPECT_FALSE(c["authorization"]);
}

TEST_F(Push, ASecondPushSendsNothingAndMakesNoCommit) {
  fs::path folder = small_folder("model");
  json first = push_json(folder, "alice/model", {"--no-card"});
  ASSERT_TRUE(first["committed"]);
  size_t puts = requests("PUT", "/lfs-upload/").size();
  json second = push_json(folder, "alice/model", {"--no-card"});
  EXPECT_FALSE(second["committed"]);
  EXPECT_EQ(second["bytes_sent"], 0);
  for (const json& f : second["files"]) EXPECT_EQ(f["action"], "unchanged") << f;
  EXPECT_EQ(requests("PUT", "/lfs-upload/").size(), puts);
  EXPECT_EQ(requests("POST", "/commit/").size(), 1u);
  EXPECT_EQ(model_info("alice/model")["sha"], first["commit"]);
}

TEST_F(Push, ChangedFilesAloneAreSentAndDeletePatternsApply) {
  fs::path folder = small_folder("model");
  write(folder / "old.bin", "old weights");
  push_json(folder, "alice/model", {"--no-card"});
  fs::remove(folder / "old.bin");
  write(folder / "notes/readme.txt", "changed\n");
  // A request is logged just after its answer: count the uploads once a push's commit is logged.
  auto puts_after_commits = [&](size_t commits) {
    hub_.log_when([&](const std::vector<json>& lines) {
      return static_cast<size_t>(std::count_if(lines.begin(), lines.end(), [](const json& l) {
               return l["method"] == "POST" &&
                      l["path"].get<std::string>().find("/commit/") != std::string::npos;
             })) >= commits;
    });
    return requests("PUT", "/lfs-upload/").size();
  };
  size_t puts = puts_after_commits(1);
  json result = push_json(folder, "alice/model", {"--no-card", "--delete", "*.bin"});
  EXPECT_TRUE(result["committed"]);
  EXPECT_EQ(result["deleted"], json::array({"old.bin"}));
  for (const json& f : result["files"]) {
    EXPECT_EQ(f["action"], f["path"] == "notes/readme.txt" ? "upload" : "unchanged") << f;
  }
  EXPECT_EQ(puts_after_commits(2), puts);
  std::vector<std::string> files = siblings(model_info("alice/model"));
  EXPECT_EQ(std::count(files.begin(), files.end(), "old.bin"), 0);
  expect_same_files(folder, pull_all("alice/model"));
}

TEST_F(Push, DryRunCreatesAndSendsNothing) {
  fs::path folder = small_folder("model");
  ProcessResult r =
      oclip({"push", folder.string(), "--repo-id", "alice/model", "--dry-run", "--no-card"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("would create alice/model"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("would upload"), std::string::npos) << r.out;
  EXPECT_TRUE(requests("POST", "/api/repos/create").empty());
  HttpReply info = http_get(hub_.api() + "/api/models/alice/model");
  EXPECT_EQ(info.status, 401);  // anonymous and missing: as the Hub answers
}

TEST_F(Push, VerboseShowsEachExchangeWithCredentialsMasked) {
  fs::path folder = small_folder("model");
  ProcessResult r = oclip({"-v", "push", folder.string(), "--repo-id", "alice/model", "--no-card"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"> POST /api/repos/create HTTP/1.1", "< HTTP/1.1 200 OK",
                           "> PUT /lfs-upload/", "> POST /api/models/alice/model/commit/main",
                           "Authorization: Bearer hf_...3456", "Signature=***"}) {
    EXPECT_NE(r.err.find(line), std::string::npos) << line << "\n" << r.err;
  }
  EXPECT_FALSE(std::regex_search(r.err, std::regex("Signature=[0-9a-f]")));
  // Storage requests never carry the token: no Authorization among a PUT's header lines.
  std::smatch put;
  ASSERT_TRUE(std::regex_search(r.err, put, std::regex("> PUT [^\n]*\n((> [^\n]*\n)*)")));
  EXPECT_NE(put[1].str().find("> Host: 127.0.0.1"), std::string::npos) << put[1];
  EXPECT_EQ(put[1].str().find("Authorization"), std::string::npos) << put[1];
}

class PushFaults : public Push {
 protected:
  PushFaults()
      : Push({"--fault", "drop=0,site=cdn,method=PUT,path=/lfs-upload/*/2,times=1", "--fault",
              "status=429,site=api,method=POST,path=/api/models/alice/model/commit/*,times=2,"
              "retry-after=0"}) {}
};

TEST_F(PushFaults, ADroppedPartIsRetriedAloneAndARateLimitedCommitAgain) {
  fs::path folder = small_folder("model");
  json result = push_json(folder, "alice/model", {"--no-card"});
  ASSERT_TRUE(result["committed"]);
  std::map<std::string, int> attempts;
  for (const json& p : requests("PUT", "/lfs-upload/")) attempts[p["path"]]++;
  ASSERT_EQ(attempts.size(), 3u);  // 700 000 bytes in parts of 250 000
  for (const auto& [path, count] : attempts) {
    EXPECT_EQ(count, path.substr(path.size() - 2) == "/2" ? 2 : 1) << path;
  }
  EXPECT_EQ(requests("POST", "/commit/").size(), 3u);
  expect_same_files(folder, pull_all("alice/model"));
}

class PushUrlExpires : public Push {
 protected:
  PushUrlExpires()
      : Push({"--fault", "status=403,site=cdn,method=PUT,path=/lfs-upload/*,times=1"}) {}
};

TEST_F(PushUrlExpires, ARefusedUploadUrlIsReplacedByAskingTheBatchAgain) {
  fs::path folder = small_folder("model");
  json result = push_json(folder, "alice/model", {"--no-card"});
  ASSERT_TRUE(result["committed"]);
  EXPECT_EQ(requests("POST", ".git/info/lfs/objects/batch").size(), 2u);
  for (const json& f : result["files"]) {
    if (f["mode"] == "lfs") {
      EXPECT_TRUE(f["bytes_sent"]) << f;
    }
  }
  expect_same_files(folder, pull_all("alice/model"));
}

class PushCommitFails : public Push {
 protected:
  PushCommitFails()
      : Push({"--fault", "status=500,site=api,method=POST,path=*/commit/*,times=1"}) {}
};

TEST_F(PushCommitFails, ARerunSendsOnlyWhatTheServerLacks) {
  fs::path folder = small_folder("model");
  ProcessResult first = oclip({"push", folder.string(), "--repo-id", "alice/model", "--no-card"});
  EXPECT_EQ(first.exit_code, 6) << first.err;  // a commit without a known answer is not repeated
  EXPECT_EQ(model_info("alice/model")["siblings"].size(), 1u);  // .gitattributes only
  size_t puts = requests("PUT", "/lfs-upload/").size();
  json second = push_json(folder, "alice/model", {"--no-card"});
  EXPECT_TRUE(second["committed"]);
  EXPECT_EQ(requests("PUT", "/lfs-upload/").size(), puts);
  for (const json& f : second["files"]) {
    if (f["mode"] == "lfs") {
      EXPECT_EQ(f["bytes_sent"], false) << f;
    }
  }
  expect_same_files(folder, pull_all("alice/model"));
}

class PushRace : public Push {
 protected:
  PushRace() : Push({"--fault", "race,site=api,method=POST,path=*/commit/*,times=1"}) {}
};

TEST_F(PushRace, AMovedParentIsAConflictAndNothingIsCommitted) {
  fs::path folder = small_folder("model");
  ProcessResult r = oclip({"push", folder.string(), "--repo-id", "alice/model", "--no-card"});
  EXPECT_EQ(r.exit_code, 11) << r.err;
  EXPECT_NE(r.err.find("the branch moved while pushing to alice/model: nothing was committed"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("run the push again"), std::string::npos) << r.err;
  // Only the other writer's commit landed.
  EXPECT_EQ(siblings(model_info("alice/model")),
            (std::vector<std::string>{".gitattributes", "CONCURRENT.md"}));
  ProcessResult again = oclip({"push", folder.string(), "--repo-id", "alice/model", "--no-card"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  expect_same_files(folder, pull_all("alice/model"));
}

TEST_F(Push, WritesNeedATokenWithWriteAccess) {
  fs::path folder = small_folder("model");
  // Refused before any request: no token, offline mode, a repo id without its namespace.
  ProcessResult anonymous =
      oclip({"push", folder.string(), "--repo-id", "alice/model", "--no-card"}, "");
  EXPECT_EQ(anonymous.exit_code, 4) << anonymous.err;
  EXPECT_NE(anonymous.err.find("needs a token with write access"), std::string::npos)
      << anonymous.err;
  extra_env_ = {{"HF_HUB_OFFLINE", "1"}};
  ProcessResult offline = oclip({"push", folder.string(), "--repo-id", "alice/model", "--no-card"});
  extra_env_.clear();
  EXPECT_EQ(offline.exit_code, 6) << offline.err;
  EXPECT_NE(offline.err.find("offline mode is on"), std::string::npos) << offline.err;
  ProcessResult bare = oclip({"push", folder.string(), "--repo-id", "model", "--no-card"});
  EXPECT_EQ(bare.exit_code, 2) << bare.err;
  EXPECT_NE(bare.err.find("name its namespace too"), std::string::npos) << bare.err;
  ProcessResult revision = oclip(
      {"push", folder.string(), "--repo-id", "alice/model", "--no-card", "--revision", "../x"});
  EXPECT_EQ(revision.exit_code, 2) << revision.err;
  EXPECT_NE(revision.err.find("invalid --revision '../x'"), std::string::npos) << revision.err;
  EXPECT_TRUE(hub_.log().empty());
  push_json(folder, "alice/model", {"--no-card"});
  write(folder / "extra.txt", "more");
  ProcessResult bob =
      oclip({"push", folder.string(), "--repo-id", "alice/model", "--no-card"}, kBob);
  EXPECT_EQ(bob.exit_code, 4) << bob.err;
  EXPECT_NE(bob.err.find("cannot write to alice/model"), std::string::npos) << bob.err;
}

TEST_F(Push, APullRequestLeavesTheBranchAlone) {
  fs::path folder = small_folder("model");
  json first = push_json(folder, "alice/model", {"--no-card"});
  write(folder / "notes/readme.txt", "proposed\n");
  json pr = push_json(folder, "alice/model", {"--no-card", "--create-pr"});
  EXPECT_TRUE(pr["committed"]);
  EXPECT_EQ(pr["pr_url"], hub_.api() + "/alice/model/discussions/1");
  EXPECT_EQ(model_info("alice/model")["sha"], first["commit"]);
  EXPECT_EQ(model_info("alice/model", "refs%2Fpr%2F1")["sha"], pr["commit"]);
  ProcessResult human = oclip({"push", folder.string(), "--repo-id", "alice/model", "--no-card",
                               "--create-pr", "--commit-message", "Second proposal"});
  EXPECT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("pull request: " + hub_.api() + "/alice/model/discussions/2"),
            std::string::npos)
      << human.out;
}

TEST_F(Push, ANewBranchStartsFromMainAndPrivateReposStayPrivate) {
  fs::path folder = small_folder("model");
  json result = push_json(folder, "alice/secret", {"--no-card", "--private", "--revision", "dev"});
  EXPECT_TRUE(result["committed"]);
  EXPECT_EQ(http_get(hub_.api() + "/api/models/alice/secret").status, 401);
  EXPECT_EQ(model_info("alice/secret", "dev")["sha"], result["commit"]);
  EXPECT_EQ(siblings(model_info("alice/secret", "main")),
            std::vector<std::string>{".gitattributes"});
}

TEST_F(Push, TheRepoReadmeIsKeptUnlessForced) {
  fs::path folder = small_folder("model");
  write(folder / "README.md", "---\nlicense: mit\n---\n# first\n");
  push_json(folder, "alice/model");
  write(folder / "README.md", "---\nlicense: mit\n---\n# second\n");
  ProcessResult kept = oclip({"push", folder.string(), "--repo-id", "alice/model"});
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_NE(kept.err.find("kept the repo's README.md"), std::string::npos) << kept.err;
  EXPECT_NE(oclip::read_file(pull_all("alice/model") / "README.md").find("# first"),
            std::string::npos);
  json forced = push_json(folder, "alice/model", {"--force"});
  EXPECT_EQ(forced["readme"], "uploaded");
  EXPECT_NE(oclip::read_file(pull_all("alice/model") / "README.md").find("# second"),
            std::string::npos);
}

TEST_F(Push, NoLicenseNoModelCard) {
  fs::path folder = small_folder("model");
  ProcessResult r = oclip({"push", folder.string(), "--repo-id", "alice/model"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("no license"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--license"), std::string::npos) << r.err;
  EXPECT_TRUE(requests("POST", "/api/repos/create").empty());
}

TEST_F(Push, BadInputIsRefusedBeforeAnyRequest) {
  fs::path folder = small_folder("model");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"push", folder.string(), "--repo-id", "alice/../x"},
        {"push", folder.string(), "--repo-id", "a/b/c"},
        {"push", (folder / "missing").string(), "--repo-id", "alice/x"},
        {"push", folder.string(), "--repo-id", "alice/x", "--create-pr", "--revision", "refs/pr/1"},
        {"push", folder.string(), "--repo-id", "alice/x", "--include", "*.none", "--no-card"}}) {
    ProcessResult r = oclip(args);
    EXPECT_EQ(r.exit_code, 2) << args[3] << r.err;
  }
  EXPECT_TRUE(hub_.log().empty());
}

class PushTokenizer : public Push {
 protected:
  explicit PushTokenizer(const std::vector<std::string>& more = {})
      : Push(with({"--repo", "openai/clip-vit-large-patch14=" + seed_tokenizer()}, more)) {}

  // A made-up tokenizer repo: real vocabularies cannot be bundled.
  static std::string seed_tokenizer() {
    static TempDir dir;
    write(dir.path() / "tokenizer_config.json", R"({"tokenizer_class": "CLIPTokenizer"})");
    write(dir.path() / "vocab.json", R"({"a</w>": 0, "b</w>": 1})");
    write(dir.path() / "merges.txt", "#version: 0.2\na b\n");
    write(dir.path() / "config.json", R"({"model_type": "clip"})");
    write(dir.path() / "pytorch_model.bin", "not a tokenizer file");
    return dir.path().string();
  }
};

TEST_F(PushTokenizer, HfTokenizerSelfNamesTheRepoAndBringsTheFiles) {
  fs::path folder = small_folder("model");
  json result = push_json(folder, "alice/model", {"--no-card", "--hf-tokenizer-self"});
  ASSERT_TRUE(result["committed"]);
  fs::path snapshot = pull_all("alice/model");
  json config = json::parse(oclip::read_file(snapshot / "open_clip_config.json"));
  EXPECT_EQ(config["model_cfg"]["text_cfg"]["hf_tokenizer_name"], "alice/model");
  EXPECT_EQ(config["preprocess_cfg"]["mean"], json::array({0.5, 0.5, 0.5}));
  for (const char* name : {"tokenizer_config.json", "vocab.json", "merges.txt"}) {
    EXPECT_EQ(oclip::read_file(snapshot / name),
              oclip::read_file(fs::path(seed_tokenizer()) / name))
        << name;
  }
  EXPECT_FALSE(fs::exists(snapshot / "config.json"));
  EXPECT_FALSE(fs::exists(snapshot / "pytorch_model.bin"));
  // The folder itself is untouched.
  EXPECT_FALSE(
      json::parse(oclip::read_file(folder / "open_clip_config.json"))["model_cfg"]["text_cfg"]
          .contains("hf_tokenizer_name"));
}

TEST_F(PushTokenizer, ModelAndPretrainedBuildThePushToHfHubFolder) {
  // A custom architecture the way open_clip users add one: a config file in --config-dir.
  fs::path golden = kCases / "clip-tiny-native";
  json config = json::parse(oclip::read_file(golden / "open_clip_config.json"));
  write(home_.path() / "configs/clip-tiny-native.json", config["model_cfg"].dump());
  std::string checkpoint = (golden / "source/open_clip_pytorch_model.bin").string();
  std::vector<std::string> args = {"--config-dir",
                                   (home_.path() / "configs").string(),
                                   "push",
                                   "--model",
                                   "clip-tiny-native",
                                   "--pretrained",
                                   checkpoint,
                                   "--repo-id",
                                   "alice/tiny",
                                   "--license",
                                   "mit",
                                   "--image-mean",
                                   "0.5",
                                   "0.5",
                                   "0.5",
                                   "--json"};
  ProcessResult r = oclip(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::path snapshot = pull_all("alice/tiny");
  for (const char* name :
       {"open_clip_model.safetensors", "open_clip_pytorch_model.bin", "open_clip_config.json",
        "README.md", "vocab.json", "merges.txt", "tokenizer_config.json"}) {
    EXPECT_TRUE(fs::exists(snapshot / name)) << name;
  }
  json pushed = json::parse(oclip::read_file(snapshot / "open_clip_config.json"));
  EXPECT_EQ(pushed["model_cfg"], config["model_cfg"]);
  EXPECT_EQ(pushed["preprocess_cfg"]["mean"], json::array({0.5, 0.5, 0.5}));
  // The weights are the converted state dict: the same bytes convert writes.
  fs::path converted = home_.path() / "converted";
  ASSERT_EQ(oclip({"--config-dir", (home_.path() / "configs").string(), "convert", checkpoint, "-o",
                   converted.string(), "--model", "clip-tiny-native", "--no-validate"})
                .exit_code,
            0);
  EXPECT_EQ(oclip::read_file(snapshot / "open_clip_model.safetensors"),
            oclip::read_file(converted / "open_clip_model.safetensors"));

  args[std::find(args.begin(), args.end(), "alice/tiny") - args.begin()] = "alice/tiny-bin";
  args.insert(args.end(), {"--safe-serialization", "bin", "--hf-tokenizer-self"});
  ASSERT_EQ(oclip(args).exit_code, 0);
  fs::path bin_only = pull_all("alice/tiny-bin");
  EXPECT_FALSE(fs::exists(bin_only / "open_clip_model.safetensors"));
  EXPECT_TRUE(fs::exists(bin_only / "open_clip_pytorch_model.bin"));
  EXPECT_EQ(json::parse(oclip::read_file(
                bin_only / "open_clip_config.json"))["model_cfg"]["text_cfg"]["hf_tokenizer_name"],
            "alice/tiny-bin");

  ProcessResult both = oclip({"push", (home_.path() / "configs").string(), "--model", "x",
                              "--pretrained", checkpoint, "--repo-id", "alice/x"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("a folder, or --model"), std::string::npos) << both.err;
}

// A model on the Hub whose README names its license: pushing its weights again needs no
// --license, since the source repo's front matter tells it (open-clip.md §4.4).
class PushFromHub : public PushTokenizer {
 protected:
  static std::string seed_source() {
    static TempDir dir;
    const fs::path golden = kCases / "clip-tiny-native" / "source";
    fs::copy_file(golden / "open_clip_pytorch_model.bin",
                  dir.path() / "open_clip_pytorch_model.bin", fs::copy_options::skip_existing);
    fs::copy_file(golden / "open_clip_config.json", dir.path() / "open_clip_config.json",
                  fs::copy_options::skip_existing);
    write(dir.path() / "README.md", "---\nlicense: cc-by-4.0\ntags:\n- clip\n---\n# tiny\n");
    return dir.path().string();
  }
  // The same model also under the Hub repo of ViT-B-32's laion2b_s34b_b79k entry.
  PushFromHub()
      : PushTokenizer({"--repo", "laion/tiny-source=" + seed_source(), "--repo",
                       "laion/CLIP-ViT-B-32-laion2B-s34B-b79K=" + seed_source()}) {}
};

TEST_F(PushFromHub, LicenseComesFromThePulledModelsReadme) {
  fs::path golden = kCases / "clip-tiny-native";
  json config = json::parse(oclip::read_file(golden / "open_clip_config.json"));
  write(home_.path() / "configs/clip-tiny-native.json", config["model_cfg"].dump());
  ProcessResult pulled = oclip({"pull", "hf-hub:laion/tiny-source", "--all"});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  fs::path snapshot = pulled.out.substr(0, pulled.out.find('\n'));
  ProcessResult r =
      oclip({"--config-dir", (home_.path() / "configs").string(), "push", "--model",
             "clip-tiny-native", "--pretrained",
             (snapshot / "open_clip_pytorch_model.bin").string(), "--repo-id", "alice/again"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("license cc-by-4.0 from laion/tiny-source's README"), std::string::npos)
      << r.err;
  fs::path pushed = pull_all("alice/again");
  EXPECT_NE(oclip::read_file(pushed / "README.md").find("license: cc-by-4.0\n"), std::string::npos);
}

TEST_F(PushFromHub, PretrainedTagTakesTheEntrysHubWeights) {
  // ViT-B-32's tag resolves to its Hub repo, whose weights are pulled and checked against the
  // architecture: the tiny model stands in, so the conversion is refused, listing the names.
  ProcessResult r = oclip({"push", "--model", "ViT-B-32", "--pretrained", "laion2b_s34b_b79k",
                           "--repo-id", "alice/b32"});
  EXPECT_EQ(r.exit_code, 8) << r.err;
  EXPECT_NE(r.err.find("ViT-B-32"), std::string::npos) << r.err;
  EXPECT_FALSE(requests("GET", "/laion/CLIP-ViT-B-32-laion2B-s34B-b79K/resolve/").empty() &&
               requests("HEAD", "/laion/CLIP-ViT-B-32-laion2B-s34B-b79K/resolve/").empty());
  EXPECT_TRUE(fs::exists(home_.path() / "cache/models--laion--CLIP-ViT-B-32-laion2B-s34B-b79K"));
  EXPECT_TRUE(requests("POST", "/api/models/alice/b32/commit/main").empty());

  ProcessResult unknown = oclip(
      {"push", "--model", "ViT-B-32", "--pretrained", "no_such_tag", "--repo-id", "alice/b32"});
  EXPECT_EQ(unknown.exit_code, 3) << unknown.err;  // as for pull: not in the table
  EXPECT_NE(unknown.err.find("laion2b_s34b_b79k"), std::string::npos) << unknown.err;
  ProcessResult missing = oclip(
      {"push", "--model", "ViT-B-32", "--pretrained", "epoch_3.pt", "--repo-id", "alice/b32"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no such file"), std::string::npos) << missing.err;
}

// Old tokenizer repos (bert-base-uncased, CLIPA's) name no tokenizer_class; AutoTokenizer then
// reads config.json, which a model folder does not carry.
class PushOldTokenizer : public Push {
 protected:
  PushOldTokenizer()
      : Push({"--repo", "bert-base-uncased=" + seed("bert"), "--repo", "acme/odd=" + seed("odd")}) {
  }

  static std::string seed(const std::string& model_type) {
    static std::map<std::string, TempDir> dirs;
    const fs::path dir = dirs[model_type].path();
    write(dir / "tokenizer_config.json", R"({"do_lower_case": true, "model_max_length": 512})");
    write(dir / "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\na\nb\n");
    write(dir / "config.json", R"({"model_type": ")" + model_type + R"("})");
    return dir.string();
  }

  fs::path folder_naming(const std::string& tokenizer) const {
    fs::path folder = small_folder("model-" + tokenizer.substr(0, tokenizer.find('/')));
    json config = json::parse(oclip::read_file(folder / "open_clip_config.json"));
    config["model_cfg"]["text_cfg"]["hf_tokenizer_name"] = tokenizer;
    write(folder / "open_clip_config.json", config.dump());
    return folder;
  }
};

TEST_F(PushOldTokenizer, TokenizerClassIsInferredFromTheModelType) {
  fs::path folder = folder_naming("bert-base-uncased");
  ProcessResult r = oclip(
      {"push", folder.string(), "--repo-id", "alice/clipa", "--no-card", "--hf-tokenizer-self"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("tokenizer_class BertTokenizer written"), std::string::npos) << r.err;
  fs::path snapshot = pull_all("alice/clipa");
  json tokenizer = json::parse(oclip::read_file(snapshot / "tokenizer_config.json"));
  EXPECT_EQ(tokenizer["tokenizer_class"], "BertTokenizer");
  EXPECT_EQ(tokenizer["do_lower_case"], true);  // the rest as the repo has it
  EXPECT_EQ(tokenizer["model_max_length"], 512);
  EXPECT_EQ(oclip::read_file(snapshot / "vocab.txt"),
            oclip::read_file(fs::path(seed("bert")) / "vocab.txt"));
  EXPECT_FALSE(fs::exists(snapshot / "config.json"));
}

TEST_F(PushOldTokenizer, UnknownModelTypeIsRefusedNamingTheRepo) {
  fs::path folder = folder_naming("acme/odd");
  ProcessResult r = oclip(
      {"push", folder.string(), "--repo-id", "alice/odd", "--no-card", "--hf-tokenizer-self"});
  EXPECT_EQ(r.exit_code, 8) << r.err;
  EXPECT_NE(r.err.find("acme/odd's tokenizer_config.json names no tokenizer_class"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("'odd'"), std::string::npos) << r.err;
  EXPECT_TRUE(requests("POST", "/api/models/alice/odd/commit/main").empty());
}

}  // namespace
