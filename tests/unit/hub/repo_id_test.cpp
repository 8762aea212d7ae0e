#include "hub/repo_id.h"

#include <gtest/gtest.h>

#include "core/error.h"

using oclip::hub::parse_hf_hub_name;
using oclip::hub::repo_id_problem;

TEST(RepoId, AcceptsHubIds) {
  EXPECT_FALSE(repo_id_problem("laion/CLIP-ViT-B-32-laion2B-s34B-b79K"));
  EXPECT_FALSE(repo_id_problem("gpt2"));
  EXPECT_FALSE(repo_id_problem("timm/resnet50_clip.openai"));
}

TEST(RepoId, RejectsWhatHuggingfaceHubRejects) {
  for (const char* bad : {"", "a/b/c", "a//b", "../x", "a/..b", "a--b/c", "a/b.git", "-a/b", "a/b-",
                          "a/.b", "a b/c", "a/b\\c", "/abs"}) {
    EXPECT_TRUE(repo_id_problem(bad)) << bad;
  }
  EXPECT_TRUE(repo_id_problem("org/" + std::string(97, 'x')));
}

TEST(Revision, GitRefNamesOnly) {
  using oclip::hub::revision_problem;
  for (const char* good :
       {"main", "v1.0", "refs/pr/3", "feature/x-y_z", "0123456789abcdef0123456789abcdef01234567"}) {
    EXPECT_FALSE(revision_problem(good)) << good;
  }
  for (const char* bad :
       {"",    "../../x", "a..b", "/main", "main/", "a//b", ".hidden", "a/.b", "x.lock", "x.",
        "a b", "a~1",     "a^",   "a:b",   "a?",    "a*",   "a[b",     "a\\b", "a@{1}",  "a\tb"}) {
    EXPECT_TRUE(revision_problem(bad)) << bad;
  }
  EXPECT_THROW(parse_hf_hub_name("hf-hub:org/repo@../x"), oclip::Error);
}

TEST(RepoId, ParsesHfHubNames) {
  auto repo = parse_hf_hub_name("hf-hub:laion/tiny@refs/pr/3");
  EXPECT_EQ(repo.id, "laion/tiny");
  EXPECT_EQ(repo.revision, "refs/pr/3");
  EXPECT_EQ(parse_hf_hub_name("hf-hub:gpt2").id, "gpt2");
  EXPECT_EQ(oclip::hub::repo_folder_name(parse_hf_hub_name("hf-hub:laion/tiny")),
            "models--laion--tiny");
}

TEST(RepoId, SubfolderIsUsageError) {
  try {
    parse_hf_hub_name("hf-hub:org/repo/sub");
    FAIL();
  } catch (const oclip::Error& e) {
    EXPECT_EQ(e.kind(), oclip::ErrorKind::Usage);
    EXPECT_NE(std::string(e.what()).find("at most one '/'"), std::string::npos);
  }
  EXPECT_THROW(parse_hf_hub_name("hf-hub:"), oclip::Error);
  EXPECT_THROW(parse_hf_hub_name("hf-hub:org/repo@"), oclip::Error);
  EXPECT_THROW(parse_hf_hub_name("org/repo"), oclip::Error);
}

TEST(RepoFolderName, ReadsBackWhatItWrites) {
  using oclip::hub::repo_of_folder_name;
  for (oclip::hub::RepoRef repo :
       {oclip::hub::RepoRef{"model", "laion/CLIP-ViT-B-32", ""},
        oclip::hub::RepoRef{"dataset", "org/data", ""}, oclip::hub::RepoRef{"model", "gpt2", ""}}) {
    auto back = repo_of_folder_name(oclip::hub::repo_folder_name(repo));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->type, repo.type);
    EXPECT_EQ(back->id, repo.id);
  }
  EXPECT_FALSE(repo_of_folder_name("CACHEDIR.TAG"));
  EXPECT_FALSE(repo_of_folder_name("blobs--x"));
}
