// oclip login / logout / whoami against the local Hub, with the token files as
// huggingface_hub reads them (Python's configparser is the independent reader).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/file_io.h"
#include "tests/support/local_hub_process.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace {

namespace fs = std::filesystem;

const std::string kAlice = "hf_aliceAbCdEf0123456789";
const std::string kBob = "hf_bobXyZ9876543210abcd";

class Auth : public ::testing::Test {
 protected:
  Auth() : hub_({"--user", kAlice + "=alice:laion,openai", "--user", kBob + "=bob"}) {}

  ProcessResult oclip(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
                      const std::string& stdin_text = "") const {
    RunOptions options;
    options.env = {{"HF_ENDPOINT", hub_.api()}, {"HF_HOME", home_.path().string()}};
    for (auto& [k, v] : env) options.env[k] = v;
    options.unset_env = {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "NO_COLOR"};
    std::string command = "exec \"$0\"";
    for (size_t i = 0; i < argv.size(); ++i) command += " \"$" + std::to_string(i + 1) + "\"";
    std::vector<std::string> shell = {
        "/bin/sh", "-c", "printf '%s' '" + stdin_text + "' | " + command, oclip_binary()};
    shell.insert(shell.end(), argv.begin(), argv.end());
    ProcessResult r = run_process(shell, options);
    // No token ever appears in what oclip prints.
    for (const std::string& token : {kAlice, kBob}) {
      EXPECT_EQ(r.out.find(token), std::string::npos) << r.out;
      EXPECT_EQ(r.err.find(token), std::string::npos) << r.err;
    }
    return r;
  }

  fs::path token_file() const { return home_.path() / "token"; }
  fs::path stored_tokens() const { return home_.path() / "stored_tokens"; }

  // The stored_tokens file as Python's configparser reads it.
  nlohmann::json python_sections() const {
    ProcessResult r = run_process({"/usr/bin/python3", "-c",
                                   "import configparser, json, sys\n"
                                   "c = configparser.ConfigParser(interpolation=None)\n"
                                   "c.read(sys.argv[1])\n"
                                   "print(json.dumps({s: dict(c[s]) for s in c.sections()}))",
                                   stored_tokens().string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }

  LocalHubProcess hub_;
  TempDir home_;
};

TEST_F(Auth, LoginFromStdinSavesTheTokenWherePythonLooks) {
  ProcessResult r = oclip({"login"}, {}, kAlice + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("logged in as alice (token 'local-hub-alice'"), std::string::npos) << r.out;
  EXPECT_EQ(oclip::read_file(token_file()), kAlice);
  struct stat st {};
  ASSERT_EQ(stat(token_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(stored_tokens().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(python_sections(), nlohmann::json({{"local-hub-alice", {{"hf_token", kAlice}}}}));
}

TEST_F(Auth, LoginKeepsTheOtherSavedTokensAndTheirKeys) {
  std::ofstream(stored_tokens())
      << "[zeta]\nhf_token = hf_zetaToken000000000\n\n"
         "[oauth-carol]\nhf_token = hf_oauthAccess0000000\n"
         "refresh_token = hf_refresh000000000\nexpires_at = 1798761600\n";
  ASSERT_EQ(oclip({"login", "--token", kAlice}).exit_code, 0);
  nlohmann::json sections = python_sections();
  EXPECT_EQ(sections.size(), 3u);
  EXPECT_EQ(sections["oauth-carol"]["refresh_token"], "hf_refresh000000000");
  EXPECT_EQ(sections["oauth-carol"]["expires_at"], "1798761600");
  EXPECT_EQ(sections["zeta"]["hf_token"], "hf_zetaToken000000000");
  // Sections sorted by name, as huggingface_hub writes them.
  const std::string text = oclip::read_file(stored_tokens());
  EXPECT_LT(text.find("[local-hub-alice]"), text.find("[oauth-carol]"));
  EXPECT_LT(text.find("[oauth-carol]"), text.find("[zeta]"));
}

TEST_F(Auth, WhoamiNamesTheUserAndWhereTheTokenCameFrom) {
  ASSERT_EQ(oclip({"login", "--token", kAlice}).exit_code, 0);
  ProcessResult r = oclip({"whoami"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "alice");
  EXPECT_NE(r.out.find("orgs:  laion, openai"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("from " + token_file().string()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hf_…6789"), std::string::npos) << r.out;

  // HF_TOKEN wins over the file, --token over both.
  nlohmann::json j = nlohmann::json::parse(oclip({"whoami", "--json"}, {{"HF_TOKEN", kBob}}).out);
  EXPECT_EQ(j["name"], "bob");
  EXPECT_EQ(j["token_source"], "HF_TOKEN");
  j = nlohmann::json::parse(
      oclip({"whoami", "--json", "--token", kAlice}, {{"HF_TOKEN", kBob}}).out);
  EXPECT_EQ(j["name"], "alice");
  EXPECT_EQ(j["token_source"], "--token");
  EXPECT_EQ(j["orgs"], nlohmann::json({"laion", "openai"}));
}

TEST_F(Auth, AWrongTokenIsRefusedAndNothingIsSaved) {
  ProcessResult r = oclip({"login", "--token", "hf_notAValidToken000000"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("rejected the token from --token"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("hf_notAValidToken000000"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(token_file()));
  EXPECT_FALSE(fs::exists(stored_tokens()));
  EXPECT_EQ(oclip({"login"}, {}, "\n").exit_code, 2);  // empty stdin
}

TEST_F(Auth, WhoamiWithoutATokenSaysNotLoggedIn) {
  ProcessResult r = oclip({"whoami"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("not logged in"), std::string::npos) << r.err;
}

TEST_F(Auth, LoginWarnsWhenHfTokenStillWins) {
  ProcessResult r = oclip({"login", "--token", kAlice}, {{"HF_TOKEN", kBob}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("HF_TOKEN is set"), std::string::npos) << r.err;
}

TEST_F(Auth, LogoutOneNameOrEverything) {
  ASSERT_EQ(oclip({"login", "--token", kBob}).exit_code, 0);
  ASSERT_EQ(oclip({"login", "--token", kAlice}).exit_code, 0);  // active
  // Removing an inactive name keeps the active token.
  ASSERT_EQ(oclip({"logout", "--token-name", "local-hub-bob"}).exit_code, 0);
  EXPECT_EQ(oclip::read_file(token_file()), kAlice);
  EXPECT_EQ(python_sections().size(), 1u);
  ProcessResult r = oclip({"logout", "--token-name", "nobody"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("saved: local-hub-alice"), std::string::npos) << r.err;
  // Removing the active one deletes the token file too.
  ASSERT_EQ(oclip({"logout", "--token-name", "local-hub-alice"}).exit_code, 0);
  EXPECT_FALSE(fs::exists(token_file()));
  ASSERT_EQ(oclip({"login", "--token", kAlice}).exit_code, 0);
  ASSERT_EQ(oclip({"logout"}).exit_code, 0);
  EXPECT_FALSE(fs::exists(token_file()));
  EXPECT_FALSE(fs::exists(stored_tokens()));
}

}  // namespace
