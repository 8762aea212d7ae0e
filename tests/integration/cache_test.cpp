// oclip cache ls / verify on a cache laid out by hand exactly as Python's huggingface_hub
// writes it, and on one oclip pulled into from the local Hub.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "tests/support/local_hub_process.h"
#include "tests/support/process.h"
#include "tests/support/seed.h"
#include "tests/support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const std::string kCommit1 = "1111111111111111111111111111111111111111";
const std::string kCommit2 = "2222222222222222222222222222222222222222";
const std::string kConfig = R"({"model_cfg": {}, "preprocess_cfg": {}})";
const std::string kWeights(100000, 'w');

void write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

class Cache : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_ = cache() / "models--laion--CLIP-tiny";
    config_blob_ = oclip::git_blob_sha1_hex(kConfig);
    weights_blob_ = oclip::sha256_hex(kWeights);
    write(repo_ / "blobs" / config_blob_, kConfig);
    write(repo_ / "blobs" / weights_blob_, kWeights);
    write(repo_ / "blobs" / (weights_blob_ + ".3fa94c21.incomplete"), std::string(500, 'p'));
    write(repo_ / "blobs" / (weights_blob_ + ".oclip-0123456789abcdef.incomplete"),
          std::string(700, 'p'));
    write(repo_ / "refs" / "main", kCommit1);  // no newline, as Python writes it
    for (const std::string& commit : {kCommit1, kCommit2}) {
      fs::create_directories(repo_ / "snapshots" / commit);
      fs::create_symlink("../../blobs/" + config_blob_,
                         repo_ / "snapshots" / commit / "open_clip_config.json");
    }
    fs::create_symlink("../../blobs/" + weights_blob_,
                       repo_ / "snapshots" / kCommit1 / "open_clip_model.safetensors");
    write(cache() / "datasets--org--data" / "blobs" / oclip::git_blob_sha1_hex("a,b\n"), "a,b\n");
    fs::create_directories(cache() / "datasets--org--data" / "snapshots" / kCommit1);
    write(cache() / "datasets--org--data" / "refs" / "main", kCommit1);
    fs::create_symlink("../../blobs/" + oclip::git_blob_sha1_hex("a,b\n"),
                       cache() / "datasets--org--data" / "snapshots" / kCommit1 / "data.csv");
    fs::create_directories(cache() / ".locks" / "models--laion--CLIP-tiny");
    write(cache() / "CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n");
    write(cache() / "junk.txt", "x");
  }

  ProcessResult oclip(std::vector<std::string> argv) const {
    RunOptions options;
    options.env = {{"HF_HOME", home_.path().string()}};
    options.unset_env = {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "NO_COLOR"};
    argv.insert(argv.begin(), oclip_binary());
    return run_process(argv, options);
  }

  fs::path cache() const { return home_.path() / "hub"; }

  TempDir home_;
  fs::path repo_;
  std::string config_blob_, weights_blob_;
};

TEST_F(Cache, ListsWhatPythonWroteWithBlobsCountedOnce) {
  ProcessResult r = oclip({"cache", "ls", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  ASSERT_EQ(j["repos"].size(), 2u);
  EXPECT_EQ(j["repos"][0]["type"], "dataset");
  const Json& model = j["repos"][1];
  EXPECT_EQ(model["id"], "laion/CLIP-tiny");
  EXPECT_EQ(model["size_on_disk"], kConfig.size() + kWeights.size());  // shared config blob once
  EXPECT_TRUE(model["open_clip"]);
  EXPECT_TRUE(model["offline_ready"]);
  ASSERT_EQ(model["revisions"].size(), 2u);
  EXPECT_EQ(model["revisions"][0]["refs"], Json({"main"}));
  EXPECT_TRUE(model["revisions"][0]["offline_ready"]);
  EXPECT_FALSE(model["revisions"][1]["offline_ready"]);  // config only
  ASSERT_EQ(model["partial_downloads"].size(), 2u);
  EXPECT_EQ(model["partial_downloads"][0]["writer"], "other");
  EXPECT_EQ(model["partial_downloads"][0]["size"], 500);
  EXPECT_EQ(model["partial_downloads"][1]["writer"], "oclip");
  EXPECT_EQ(j["warnings"], Json({"not a repo folder: junk.txt"}));

  r = oclip({"cache", "ls"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("laion/CLIP-tiny"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("open_clip, ready offline"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dataset:org/data"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("partial downloads:"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("warning: not a repo folder: junk.txt"), std::string::npos) << r.err;
}

TEST_F(Cache, VerifyFindsCorruptBlobsAndFixRemovesThem) {
  EXPECT_EQ(oclip({"cache", "verify"}).exit_code, 0);
  std::string damaged = kWeights;
  damaged[500] = 'x';
  write(repo_ / "blobs" / weights_blob_, damaged);
  ProcessResult r = oclip({"cache", "verify", "laion/CLIP-tiny", "--json"});
  EXPECT_EQ(r.exit_code, 7);
  Json j = Json::parse(r.out);
  ASSERT_EQ(j["repos"][0]["problems"].size(), 1u);
  EXPECT_EQ(j["repos"][0]["problems"][0]["kind"], "corrupt");
  EXPECT_EQ(j["repos"][0]["problems"][0]["detail"], "sha256 " + oclip::sha256_hex(damaged));

  r = oclip({"cache", "verify", "laion/CLIP-tiny", "--fix"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(fs::exists(repo_ / "blobs" / weights_blob_));
  EXPECT_FALSE(fs::is_symlink(repo_ / "snapshots" / kCommit1 / "open_clip_model.safetensors"));
  EXPECT_TRUE(fs::exists(repo_ / "snapshots" / kCommit1 / "open_clip_config.json"));
  // No longer complete for offline use, so the next pull fetches the weights again.
  EXPECT_FALSE(Json::parse(oclip({"cache", "ls", "--json"}).out)["repos"][1]["offline_ready"]);
  EXPECT_EQ(oclip({"cache", "verify"}).exit_code, 0);
}

TEST_F(Cache, VerifyReportsOrphansAndBrokenLinks) {
  write(repo_ / "blobs" / oclip::git_blob_sha1_hex("old"), "old");
  fs::create_symlink("../../blobs/" + std::string(64, 'a'),
                     repo_ / "snapshots" / kCommit2 / "open_clip_model.safetensors");
  ProcessResult r = oclip({"cache", "verify", "--json"});
  EXPECT_EQ(r.exit_code, 7);  // the broken link is damage; the orphan alone would not be
  Json problems = Json::parse(r.out)["repos"][1]["problems"];
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0]["kind"], "dangling");
  EXPECT_EQ(problems[1]["kind"], "orphaned");
  ASSERT_EQ(oclip({"cache", "verify", "--fix"}).exit_code, 0);
  EXPECT_FALSE(fs::is_symlink(repo_ / "snapshots" / kCommit2 / "open_clip_model.safetensors"));
  EXPECT_TRUE(fs::exists(repo_ / "blobs" / oclip::git_blob_sha1_hex("old")));  // prune's job
}

TEST_F(Cache, UnknownRepoAndMissingSubcommand) {
  ProcessResult r = oclip({"cache", "verify", "nobody/nothing"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("nobody/nothing is not in the cache"), std::string::npos) << r.err;
  EXPECT_EQ(oclip({"cache"}).exit_code, 2);
}

TEST_F(Cache, RemovingARevisionKeepsBlobsAnotherSnapshotUses) {
  ProcessResult r = oclip({"cache", "rm", "laion/CLIP-tiny@main", "--dry-run", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["bytes_freed"], kWeights.size());  // the config blob is shared
  EXPECT_TRUE(fs::exists(repo_ / "refs" / "main"));               // a dry run changes nothing

  ASSERT_EQ(oclip({"cache", "rm", "laion/CLIP-tiny@main"}).exit_code, 0);
  EXPECT_FALSE(fs::exists(repo_ / "refs" / "main"));
  EXPECT_FALSE(fs::exists(repo_ / "snapshots" / kCommit1));
  EXPECT_FALSE(fs::exists(repo_ / "blobs" / weights_blob_));
  EXPECT_TRUE(fs::exists(repo_ / "blobs" / config_blob_));
  EXPECT_TRUE(fs::exists(repo_ / "snapshots" / kCommit2 / "open_clip_config.json"));

  r = oclip({"cache", "rm", "laion/CLIP-tiny@main"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("cached: 222222222222"), std::string::npos) << r.err;
  // The last revision takes the whole folder with it.
  ASSERT_EQ(oclip({"cache", "rm", "laion/CLIP-tiny@2222222"}).exit_code, 0);
  EXPECT_FALSE(fs::exists(repo_));
  EXPECT_EQ(oclip({"cache", "rm", "laion/CLIP-tiny"}).exit_code, 3);
}

TEST_F(Cache, PruneTakesDetachedRevisionsAndIdlePartials) {
  // A download in progress holds its blob's lock: its partials stay.
  const fs::path lock = cache() / ".locks" / "models--laion--CLIP-tiny" / (weights_blob_ + ".lock");
  int fd = ::open(lock.c_str(), O_CREAT | O_RDWR, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  Json j = Json::parse(oclip({"cache", "prune", "--json"}).out);
  EXPECT_EQ(j["revisions"].size(), 1u);
  EXPECT_EQ(j["revisions"][0]["commit"], kCommit2);
  EXPECT_EQ(j["partial_downloads"].size(), 0u);
  EXPECT_FALSE(fs::exists(repo_ / "snapshots" / kCommit2));
  EXPECT_TRUE(fs::exists(repo_ / "blobs" / (weights_blob_ + ".3fa94c21.incomplete")));
  ::close(fd);
  // Once it is released they go; the referenced revision stays ready offline.
  j = Json::parse(oclip({"cache", "prune", "--json"}).out);
  EXPECT_EQ(j["partial_downloads"].size(), 2u);
  EXPECT_EQ(j["bytes_freed"], 1200);
  EXPECT_TRUE(Json::parse(oclip({"cache", "ls", "--json"}).out)["repos"][1]["offline_ready"]);
}

TEST_F(Cache, PruneOlderThanKeepsTheLatestWhenAsked) {
  const auto old = fs::file_time_type::clock::now() - std::chrono::hours(24 * 10);
  for (const std::string& blob : {config_blob_, weights_blob_})
    fs::last_write_time(repo_ / "blobs" / blob, old);
  Json j = Json::parse(
      oclip({"cache", "prune", "--older-than", "1d", "--keep-latest", "--dry-run", "--json"}).out);
  EXPECT_EQ(j["revisions"].size(), 1u);  // one of the two old revisions is kept
  ASSERT_EQ(oclip({"cache", "prune", "--older-than", "1d"}).exit_code, 0);
  EXPECT_FALSE(fs::exists(repo_));
  EXPECT_TRUE(fs::exists(cache() / "datasets--org--data"));  // recent: kept
  EXPECT_EQ(oclip({"cache", "prune", "--older-than", "soon"}).exit_code, 2);
}

TEST(CachePulled, WhatOclipPullsIsReadyOfflineAndVerifies) {
  TempDir seed, home;
  write_seed(seed.path(),
             {{"open_clip_config.json", kConfig}, {"open_clip_model.safetensors", kWeights}});
  LocalHubProcess hub({"--repo", "laion/pulled=" + seed.path().string()});
  RunOptions options;
  options.env = {{"HF_ENDPOINT", hub.api()}, {"HF_HOME", home.path().string()}};
  options.unset_env = {"HF_TOKEN", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE"};
  ASSERT_EQ(run_process({oclip_binary(), "pull", "hf-hub:laion/pulled"}, options).exit_code, 0);
  ProcessResult r = run_process({oclip_binary(), "cache", "ls", "--json"}, options);
  Json repo = Json::parse(r.out)["repos"][0];
  EXPECT_EQ(repo["id"], "laion/pulled");
  EXPECT_TRUE(repo["offline_ready"]);
  EXPECT_EQ(repo["revisions"][0]["refs"], Json({"main"}));
  EXPECT_EQ(run_process({oclip_binary(), "cache", "verify"}, options).exit_code, 0);
}

}  // namespace
