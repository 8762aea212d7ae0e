// The local Hub's protocol, checked with plain libcurl (no oclip code in the loop).
#include <gtest/gtest.h>

#include <regex>

#include "core/hash.h"
#include "tests/support/http_client.h"
#include "tests/support/local_hub_process.h"
#include "tests/support/seed.h"

namespace {

class HubServer : public ::testing::Test {
 protected:
  void SetUp() override { write_seed(seed_.path(), tiny_model_files()); }

  std::vector<std::string> base_args() const {
    return {"--repo", "laion/tiny=" + seed_.path().string()};
  }

  std::string seed_file(const std::string& path) const { return tiny_model_files().at(path); }

  TempDir seed_;
};

std::string unquote(const std::string& s) {
  return s.size() >= 2 && s.front() == '"' && s.back() == '"' ? s.substr(1, s.size() - 2) : s;
}

}  // namespace

TEST_F(HubServer, RegularFileRedirectsToResolveCacheThenServesGitEtag) {
  LocalHubProcess hub(base_args());
  std::string url = hub.api() + "/laion/tiny/resolve/main/open_clip_config.json";
  HttpReply first = http_head(url);
  ASSERT_EQ(first.status, 307);
  std::string location = first.header("Location");
  ASSERT_EQ(location.rfind("/api/resolve-cache/models/laion/tiny/", 0), 0u)
      << location;  // relative
  EXPECT_NE(location.find("etag=%22"), std::string::npos);

  HttpReply head = http_head(resolve_location(url, location));
  ASSERT_EQ(head.status, 200);
  std::string content = seed_file("open_clip_config.json");
  EXPECT_EQ(unquote(head.header("ETag")), oclip::git_blob_sha1_hex(content));
  EXPECT_EQ(head.header("Content-Length"), std::to_string(content.size()));
  EXPECT_EQ(head.header("X-Repo-Commit").size(), 40u);
  EXPECT_EQ(head.header("Accept-Ranges"), "bytes");

  HttpReply get = http_get(resolve_location(url, location));
  EXPECT_EQ(get.body, content);
}

TEST_F(HubServer, ResolveCacheNeedsItsQuery) {
  LocalHubProcess hub(base_args());
  std::string url = hub.api() + "/laion/tiny/resolve/main/open_clip_config.json";
  std::string location = http_head(url).header("Location");
  std::string without_query = location.substr(0, location.find('?'));
  EXPECT_EQ(http_get(hub.api() + without_query).status, 400);
}

TEST_F(HubServer, LfsFileRedirectsToCdnWithLinkedHeaders) {
  LocalHubProcess hub(base_args());
  HttpReply head = http_head(hub.api() + "/laion/tiny/resolve/main/open_clip_model.safetensors");
  ASSERT_EQ(head.status, 302);
  std::string content = seed_file("open_clip_model.safetensors");
  EXPECT_EQ(unquote(head.header("X-Linked-Etag")), oclip::sha256_hex(content));
  EXPECT_EQ(head.header("X-Linked-Size"), std::to_string(content.size()));
  EXPECT_EQ(head.header("X-Repo-Commit").size(), 40u);
  std::string location = head.header("Location");
  ASSERT_EQ(location.rfind(hub.cdn() + "/", 0), 0u) << location;  // another origin: the CDN port
  EXPECT_NE(location.find("Expires="), std::string::npos);
  EXPECT_NE(location.find("Signature="), std::string::npos);

  HttpReply get = http_get(location);
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(get.body, content);
  std::string storage_etag = get.header("ETag");
  EXPECT_EQ(storage_etag.front(), '"');
  EXPECT_NE(unquote(storage_etag), oclip::sha256_hex(content));  // never the identity
}

TEST_F(HubServer, CdnRejectsTheHubToken) {
  LocalHubProcess hub([&] {
    auto args = base_args();
    args.insert(args.end(), {"--user", "hf_alice=alice"});
    return args;
  }());
  std::string location =
      http_head(hub.api() + "/laion/tiny/resolve/main/open_clip_model.safetensors",
                {"Authorization: Bearer hf_alice"})
          .header("Location");
  HttpReply with_token = http_get(location, {"Authorization: Bearer hf_alice"});
  EXPECT_EQ(with_token.status, 400);
  EXPECT_NE(with_token.body.find("Only one auth mechanism allowed"), std::string::npos);
}

TEST_F(HubServer, SignedUrlsExpireAndCannotBeForged) {
  auto args = base_args();
  args.insert(args.end(), {"--url-ttl", "-1"});
  LocalHubProcess hub(args);
  std::string location =
      http_head(hub.api() + "/laion/tiny/resolve/main/open_clip_model.safetensors")
          .header("Location");
  HttpReply expired = http_get(location);
  EXPECT_EQ(expired.status, 403);
  EXPECT_NE(expired.body.find("expired"), std::string::npos);
  std::string forged =
      std::regex_replace(location, std::regex("Signature=[0-9a-f]+"), "Signature=00");
  EXPECT_EQ(http_get(forged).status, 403);
}

TEST_F(HubServer, RangesGive206SuffixAnd416) {
  LocalHubProcess hub(base_args());
  std::string location =
      http_head(hub.api() + "/laion/tiny/resolve/main/open_clip_model.safetensors")
          .header("Location");
  std::string content = seed_file("open_clip_model.safetensors");
  std::string total = std::to_string(content.size());

  HttpReply part = http_get(location, {"Range: bytes=100-199"});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.header("Content-Range"), "bytes 100-199/" + total);
  EXPECT_EQ(part.body, content.substr(100, 100));

  HttpReply open_ended = http_get(location, {"Range: bytes=299990-"});
  EXPECT_EQ(open_ended.status, 206);
  EXPECT_EQ(open_ended.body, content.substr(299990));

  HttpReply suffix = http_get(location, {"Range: bytes=-5"});
  EXPECT_EQ(suffix.body, content.substr(content.size() - 5));

  HttpReply past_end = http_get(location, {"Range: bytes=" + total + "-"});
  EXPECT_EQ(past_end.status, 416);
  EXPECT_EQ(past_end.header("Content-Range"), "bytes */" + total);
}

TEST_F(HubServer, MissingFileIs404EntryNotFoundWithCommit) {
  LocalHubProcess hub(base_args());
  HttpReply reply = http_head(hub.api() + "/laion/tiny/resolve/main/open_clip_pytorch_model.bin");
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.header("X-Error-Code"), "EntryNotFound");
  EXPECT_EQ(reply.header("X-Repo-Commit").size(), 40u);
}

TEST_F(HubServer, RevisionsBranchesTagsAndCommits) {
  TempDir dev;
  write_seed(dev.path(), {{"open_clip_config.json", "{\"dev\": true}"}});
  auto args = base_args();
  args.insert(args.end(),
              {"--tag", "laion/tiny@v1", "--branch", "laion/tiny@dev/x=" + dev.path().string()});
  LocalHubProcess hub(args);
  auto info = nlohmann::json::parse(http_get(hub.api() + "/api/models/laion/tiny").body);
  std::string main_sha = info["sha"];

  auto commit_of = [&](const std::string& rev) {
    return http_head(hub.api() + "/laion/tiny/resolve/" + rev + "/README.md").status;
  };
  EXPECT_EQ(commit_of("v1"), 307);
  EXPECT_EQ(commit_of(main_sha), 307);
  EXPECT_EQ(commit_of(main_sha.substr(0, 7)), 307);
  EXPECT_EQ(commit_of("nope"), 404);

  // A branch with '/' works encoded as one segment and unencoded (longest match).
  auto dev_info =
      nlohmann::json::parse(http_get(hub.api() + "/api/models/laion/tiny/revision/dev%2Fx").body);
  EXPECT_NE(dev_info["sha"], main_sha);
  auto unencoded =
      nlohmann::json::parse(http_get(hub.api() + "/api/models/laion/tiny/tree/dev/x").body);
  ASSERT_TRUE(unencoded.is_array());
  EXPECT_EQ(unencoded.size(), 2u);  // .gitattributes and open_clip_config.json

  HttpReply twice = http_head(hub.api() + "/laion/tiny/resolve/refs%252Fheads%252Fmain/README.md");
  EXPECT_EQ(twice.status, 404);
  EXPECT_EQ(twice.header("X-Error-Code"), "RevisionNotFound");
  EXPECT_EQ(http_head(hub.api() + "/laion/tiny/resolve/refs%2Fheads%2Fmain/README.md").status, 307);

  auto refs_json = nlohmann::json::parse(http_get(hub.api() + "/api/models/laion/tiny/refs").body);
  EXPECT_EQ(refs_json["tags"][0]["name"], "v1");
  EXPECT_EQ(refs_json["tags"][0]["targetCommit"], main_sha);
}

TEST_F(HubServer, RepoInfoMatchesResolveAndExpandFilters) {
  LocalHubProcess hub(base_args());
  auto info = nlohmann::json::parse(http_get(hub.api() + "/api/models/laion/tiny?blobs=true").body);
  std::string commit = http_head(hub.api() + "/laion/tiny/resolve/main/open_clip_model.safetensors")
                           .header("X-Repo-Commit");
  EXPECT_EQ(info["sha"], commit);
  EXPECT_EQ(info["id"], "laion/tiny");
  bool saw_lfs = false;
  for (const auto& s : info["siblings"]) {
    if (s["rfilename"] == "open_clip_model.safetensors") {
      saw_lfs = true;
      EXPECT_EQ(s["lfs"]["sha256"], oclip::sha256_hex(seed_file("open_clip_model.safetensors")));
    }
  }
  EXPECT_TRUE(saw_lfs);
  EXPECT_EQ(info["siblings"].size(), 7u);  // six files plus .gitattributes

  auto some = nlohmann::json::parse(
      http_get(hub.api() + "/api/models/laion/tiny?expand[]=sha&expand=private").body);
  EXPECT_EQ(some.size(), 4u);  // _id, id and the two asked for
  EXPECT_TRUE(some.contains("sha"));
  EXPECT_FALSE(some.contains("siblings"));
  EXPECT_EQ(http_get(hub.api() + "/api/models/laion/tiny?expand=bogus").status, 400);
}

TEST_F(HubServer, TreePaginatesWithAbsoluteLinkHeader) {
  auto args = base_args();
  args.insert(args.end(), {"--page-size", "2"});
  LocalHubProcess hub(args);
  std::string url = hub.api() + "/api/models/laion/tiny/tree/main?recursive=true&expand=false";
  std::vector<std::string> paths;
  int pages = 0;
  while (!url.empty() && pages < 20) {
    HttpReply page = http_get(url);
    ASSERT_EQ(page.status, 200);
    for (const auto& e : nlohmann::json::parse(page.body)) paths.push_back(e["path"]);
    ++pages;
    std::smatch m;
    std::string link = page.header("Link");
    url = std::regex_match(link, m, std::regex(R"(<(https?://[^>]+)>; rel="next")")) ? m[1].str()
                                                                                     : "";
    if (!link.empty()) {
      EXPECT_FALSE(url.empty()) << link;
    }
  }
  EXPECT_EQ(pages, 5);  // 7 files + 2 folders, two per page
  EXPECT_EQ(paths.size(), 9u);
  EXPECT_NE(std::find(paths.begin(), paths.end(), "tokenizer/vocab.json"), paths.end());
}

TEST_F(HubServer, TreeFolderIdsAreGitTreeIds) {
  LocalHubProcess hub(base_args());
  auto root = nlohmann::json::parse(http_get(hub.api() + "/api/models/laion/tiny/tree/main").body);
  std::string tokenizer_oid;
  for (const auto& e : root) {
    if (e["path"] == "tokenizer") tokenizer_oid = e["oid"];
    EXPECT_EQ(std::string(e["path"]).find('/'), std::string::npos);  // one level only
  }
  // git itself, on the same files, is the oracle.
  TempDir repo;
  write_seed(repo.path(), {{"vocab.json", seed_file("tokenizer/vocab.json")},
                           {"merges.txt", seed_file("tokenizer/merges.txt")}});
  RunOptions in_repo;
  in_repo.cwd = repo.path().string();
  ASSERT_EQ(run_process({"git", "init", "-q"}, in_repo).exit_code, 0);
  ASSERT_EQ(run_process({"git", "add", "-A"}, in_repo).exit_code, 0);
  ProcessResult tree = run_process({"git", "write-tree"}, in_repo);
  ASSERT_EQ(tree.exit_code, 0) << tree.err;
  EXPECT_EQ(tokenizer_oid + "\n", tree.out);

  auto sub = nlohmann::json::parse(
      http_get(hub.api() + "/api/models/laion/tiny/tree/main/tokenizer").body);
  EXPECT_EQ(sub.size(), 2u);
  EXPECT_EQ(sub[0]["path"], "tokenizer/merges.txt");  // paths stay relative to the repo root
  HttpReply missing = http_get(hub.api() + "/api/models/laion/tiny/tree/main/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.header("X-Error-Code"), "EntryNotFound");
}

TEST_F(HubServer, PathsInfoTakesFormAndJson) {
  LocalHubProcess hub(base_args());
  std::string url = hub.api() + "/api/models/laion/tiny/paths-info/main";
  HttpReply form =
      http({"POST",
            url,
            {"Content-Type: application/x-www-form-urlencoded"},
            "paths=open_clip_model.safetensors&paths=missing.bin&paths=tokenizer&expand=false"});
  auto entries = nlohmann::json::parse(form.body);
  ASSERT_EQ(entries.size(), 2u);  // missing paths are left out
  EXPECT_EQ(entries[0]["lfs"]["oid"], oclip::sha256_hex(seed_file("open_clip_model.safetensors")));
  EXPECT_EQ(entries[1]["type"], "directory");
  EXPECT_FALSE(entries[0].contains("lastCommit"));

  HttpReply json = http({"POST",
                         url,
                         {"Content-Type: application/json"},
                         R"({"paths": ["dir with space/a b#c.txt"], "expand": true})"});
  auto expanded = nlohmann::json::parse(json.body);
  ASSERT_EQ(expanded.size(), 1u);
  EXPECT_EQ(expanded[0]["lastCommit"]["id"].get<std::string>().size(), 40u);
  EXPECT_EQ(expanded[0]["lastCommit"]["title"], "Upload folder using huggingface_hub");
}

TEST_F(HubServer, FileNamesWithSpacesAndHashes) {
  LocalHubProcess hub(base_args());
  std::string url = hub.api() + "/laion/tiny/resolve/main/dir%20with%20space/a%20b%23c.txt";
  HttpReply first = http_head(url);
  ASSERT_EQ(first.status, 307);
  HttpReply get = http_get(resolve_location(url, first.header("Location")));
  EXPECT_EQ(get.body, "odd name\n");
}

TEST_F(HubServer, PrivateReposHideBehind401And404) {
  auto args = base_args();
  args.insert(args.end(), {"--repo", "alice/secret=" + seed_.path().string(), "--private",
                           "alice/secret", "--user", "hf_alice=alice", "--user", "hf_bob=bob"});
  LocalHubProcess hub(args);
  std::string url = hub.api() + "/api/models/alice/secret";
  HttpReply anonymous = http_get(url);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.header("X-Error-Code"), "RepoNotFound");
  EXPECT_EQ(http_get(hub.api() + "/api/models/alice/missing").status, 401);  // same as missing
  HttpReply other = http_get(url, {"Authorization: Bearer hf_bob"});
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(other.header("X-Error-Code"), "RepoNotFound");
  EXPECT_EQ(http_get(url, {"Authorization: Bearer hf_alice"}).status, 200);
  HttpReply invalid = http_get(url, {"Authorization: Bearer hf_wrong"});
  EXPECT_EQ(invalid.status, 401);
  EXPECT_EQ(invalid.header("X-Error-Code"), "");
  EXPECT_NE(invalid.body.find("Invalid credentials"), std::string::npos);
  auto listing = nlohmann::json::parse(http_get(hub.api() + "/api/models?author=alice").body);
  EXPECT_TRUE(listing.empty());
  auto own = nlohmann::json::parse(
      http_get(hub.api() + "/api/models?author=alice", {"Authorization: Bearer hf_alice"}).body);
  EXPECT_EQ(own.size(), 1u);
}

TEST_F(HubServer, GatedReposListButRefuseFiles) {
  auto args = base_args();
  args.insert(args.end(),
              {"--repo", "org/gated=" + seed_.path().string(), "--gated", "org/gated", "--user",
               "hf_alice=alice", "--user", "hf_bob=bob", "--grant", "org/gated@alice"});
  LocalHubProcess hub(args);
  EXPECT_EQ(http_get(hub.api() + "/api/models/org/gated").status, 200);
  EXPECT_EQ(http_get(hub.api() + "/api/models/org/gated/tree/main").status, 200);
  std::string file = hub.api() + "/org/gated/resolve/main/open_clip_config.json";
  HttpReply anonymous = http_head(file);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.header("X-Error-Code"), "GatedRepo");
  HttpReply refused = http_head(file, {"Authorization: Bearer hf_bob"});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.header("X-Error-Code"), "GatedRepo");
  EXPECT_NE(refused.header("X-Error-Message").find("/org/gated"), std::string::npos);
  EXPECT_EQ(http_head(file, {"Authorization: Bearer hf_alice"}).status, 307);
}

TEST_F(HubServer, RenamedRepoAnswersRelative307) {
  auto args = base_args();
  args.insert(args.end(), {"--rename", "old/tiny=laion/tiny"});
  LocalHubProcess hub(args);
  HttpReply moved = http_head(hub.api() + "/old/tiny/resolve/main/README.md");
  EXPECT_EQ(moved.status, 307);
  EXPECT_EQ(moved.header("Location"), "/laion/tiny/resolve/main/README.md");
  HttpReply api = http_get(hub.api() + "/api/models/old/tiny?blobs=true");
  EXPECT_EQ(api.status, 307);
  EXPECT_EQ(api.header("Location"), "/api/models/laion/tiny?blobs=true");
}

TEST_F(HubServer, WhoamiNeedsAValidToken) {
  auto args = base_args();
  args.insert(args.end(), {"--user", "hf_alice=alice:laion,openai"});
  LocalHubProcess hub(args);
  EXPECT_EQ(http_get(hub.api() + "/api/whoami-v2").status, 401);
  HttpReply me = http_get(hub.api() + "/api/whoami-v2", {"Authorization: Bearer hf_alice"});
  ASSERT_EQ(me.status, 200);
  auto body = nlohmann::json::parse(me.body);
  EXPECT_EQ(body["name"], "alice");
  EXPECT_EQ(body["orgs"][1]["name"], "openai");
  EXPECT_EQ(body["auth"]["type"], "access_token");
}

TEST_F(HubServer, ListModelsFiltersByAuthorAndSearch) {
  auto args = base_args();
  args.insert(args.end(), {"--repo", "openai/clip-rn50=" + seed_.path().string()});
  LocalHubProcess hub(args);
  auto laion = nlohmann::json::parse(http_get(hub.api() + "/api/models?author=laion").body);
  ASSERT_EQ(laion.size(), 1u);
  EXPECT_EQ(laion[0]["id"], "laion/tiny");
  auto search = nlohmann::json::parse(http_get(hub.api() + "/api/models?search=RN50").body);
  ASSERT_EQ(search.size(), 1u);
  EXPECT_EQ(search[0]["id"], "openai/clip-rn50");
}

TEST_F(HubServer, FaultStatusWithRetryAfterThenRecovers) {
  auto args = base_args();
  args.insert(args.end(), {"--fault", "status=429,retry-after=3,path=/api/models/*,times=1"});
  LocalHubProcess hub(args);
  HttpReply limited = http_get(hub.api() + "/api/models/laion/tiny");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("Retry-After"), "3");
  EXPECT_EQ(http_get(hub.api() + "/api/models/laion/tiny").status, 200);
}

TEST_F(HubServer, Fault5xxOnCdnOnly) {
  auto args = base_args();
  args.insert(args.end(), {"--fault", "status=503,site=cdn"});
  LocalHubProcess hub(args);
  HttpReply head = http_head(hub.api() + "/laion/tiny/resolve/main/open_clip_model.safetensors");
  EXPECT_EQ(head.status, 302);
  EXPECT_EQ(http_get(head.header("Location")).status, 503);
}

TEST_F(HubServer, FaultDropsConnectionAfterNBytes) {
  auto args = base_args();
  args.insert(args.end(), {"--fault", "drop=1000,site=cdn,times=1"});
  LocalHubProcess hub(args);
  std::string location =
      http_head(hub.api() + "/laion/tiny/resolve/main/open_clip_model.safetensors")
          .header("Location");
  HttpReply cut = http_get(location);
  EXPECT_NE(cut.curl_code, 0);  // CURLE_PARTIAL_FILE
  EXPECT_EQ(cut.body.size(), 1000u);
  HttpReply whole = http_get(location);
  EXPECT_EQ(whole.curl_code, 0);
  EXPECT_EQ(whole.body, seed_file("open_clip_model.safetensors"));
  auto log = hub.log(3);
  auto dropped =
      std::find_if(log.begin(), log.end(), [](const auto& l) { return l.contains("fault"); });
  ASSERT_NE(dropped, log.end());
  EXPECT_EQ((*dropped)["fault"], "drop=1000");
  EXPECT_EQ((*dropped)["bytes"], 1000);
}

TEST_F(HubServer, FaultCorruptsOnce) {
  auto args = base_args();
  args.insert(args.end(), {"--fault", "corrupt,site=cdn,times=1"});
  LocalHubProcess hub(args);
  std::string location =
      http_head(hub.api() + "/laion/tiny/resolve/main/open_clip_model.safetensors")
          .header("Location");
  std::string content = seed_file("open_clip_model.safetensors");
  HttpReply bad = http_get(location);
  EXPECT_EQ(bad.body.size(), content.size());
  EXPECT_NE(bad.body, content);
  EXPECT_EQ(http_get(location).body, content);
}

TEST_F(HubServer, FaultIgnoresRange) {
  auto args = base_args();
  args.insert(args.end(), {"--fault", "ignore-range,site=cdn"});
  LocalHubProcess hub(args);
  std::string location =
      http_head(hub.api() + "/laion/tiny/resolve/main/open_clip_model.safetensors")
          .header("Location");
  HttpReply reply = http_get(location, {"Range: bytes=100-"});
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, seed_file("open_clip_model.safetensors"));
}

TEST_F(HubServer, FaultStallTripsClientTimeout) {
  auto args = base_args();
  args.insert(args.end(), {"--fault", "stall=3000,site=cdn,times=1"});
  LocalHubProcess hub(args);
  std::string location =
      http_head(hub.api() + "/laion/tiny/resolve/main/open_clip_model.safetensors")
          .header("Location");
  HttpReply stalled = http({"GET", location, {}, "", 300});
  EXPECT_EQ(stalled.curl_code, 28);  // CURLE_OPERATION_TIMEDOUT
  EXPECT_EQ(http_get(location).body.size(), 300'000u);
}

TEST_F(HubServer, FaultThrottlesBandwidth) {
  auto args = base_args();
  args.insert(args.end(), {"--fault", "throttle=300,site=cdn"});  // 300 KiB/s
  LocalHubProcess hub(args);
  std::string location =
      http_head(hub.api() + "/laion/tiny/resolve/main/open_clip_model.safetensors")
          .header("Location");
  HttpReply slow = http_get(location);
  EXPECT_EQ(slow.body.size(), 300'000u);
  EXPECT_GT(slow.seconds, 0.8);  // 293 KiB at 300 KiB/s: about one second, never much less
}

TEST_F(HubServer, LogRecordsRequestsWithoutTokens) {
  auto args = base_args();
  args.insert(args.end(), {"--user", "hf_secret_token=alice"});
  LocalHubProcess hub(args);
  http_head(hub.api() + "/laion/tiny/resolve/main/README.md",
            {"Authorization: Bearer hf_secret_token"});
  auto log = hub.log(1);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["method"], "HEAD");
  EXPECT_EQ(log[0]["status"], 307);
  EXPECT_EQ(log[0]["authorization"], true);
  EXPECT_EQ(log[0].dump().find("hf_secret_token"), std::string::npos);
}

TEST_F(HubServer, StopsCleanlyOnSigterm) {
  LocalHubProcess hub(base_args());
  EXPECT_EQ(http_head(hub.api() + "/laion/tiny/resolve/main/README.md").status, 307);
  EXPECT_EQ(hub.stop(), 0);
}

TEST(HubServerSeed, RejectsBadArguments) {
  ProcessResult unknown = run_process({local_hub_binary(), "--bogus", "x"});
  EXPECT_EQ(unknown.exit_code, 2);
  ProcessResult missing = run_process({local_hub_binary(), "--repo", "a/b=/nonexistent/seed"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("seed folder not found"), std::string::npos);
}
