// The completion scripts run in real bash, zsh and fish against the real binary.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/local_hub_process.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace {

namespace fs = std::filesystem;

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line.substr(0, line.find('\t')));
  return out;
}

bool has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

class Completion : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const std::string shell : {"bash", "zsh", "fish"}) {
      ProcessResult r = run_process({oclip_binary(), "completions", shell});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      std::ofstream(dir_.path() / shell) << r.out;
    }
  }

  RunOptions env() const {
    RunOptions options;
    options.env = {{"PATH", fs::path(oclip_binary()).parent_path().string() + ":/usr/bin:/bin"}};
    options.unset_env = {"OCLIP_MODEL_CONFIG_PATH"};
    return options;
  }

 public:
  // What each shell offers for `line` (the cursor at its end).
  std::vector<std::string> bash(const std::string& line) const {
    const std::string script = "source '" + (dir_.path() / "bash").string() + "'; COMP_LINE='" +
                               line +
                               "'; read -ra COMP_WORDS <<<\"$COMP_LINE\"; "
                               "[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=(''); "
                               "COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _oclip; "
                               "printf '%s\\n' \"${COMPREPLY[@]}\"";
    ProcessResult r = run_process({"bash", "-c", script}, env());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return lines(r.out);
  }

  std::vector<std::string> zsh(const std::string& line) const {
    const std::string script =
        "compdef() { :; }; compadd() { [[ $1 == -- ]] && shift; print -l -- \"$@\"; }; "
        "_files() { print -- :files; }; source '" +
        (dir_.path() / "zsh").string() +
        "'; words=(${(z)LINE}); [[ $LINE == *' ' ]] && words+=(''); "
        "CURRENT=${#words}; _oclip";
    RunOptions options = env();
    options.env["LINE"] = line;
    ProcessResult r = run_process({"zsh", "-f", "-c", script}, options);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return lines(r.out);
  }

  std::vector<std::string> fish(const std::string& line) const {
    ProcessResult r = run_process(
        {"fish", "--no-config", "-c",
         "source '" + (dir_.path() / "fish").string() + "'; complete -C '" + line + "'"},
        env());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return lines(r.out);
  }

 private:
  TempDir dir_;
};

TEST_F(Completion, CommandsFlagsValuesModelsAndTagsInEveryShell) {
  using Shell = std::vector<std::string> (Completion::*)(const std::string&) const;
  for (Shell shell : {&Completion::bash, &Completion::zsh, &Completion::fish}) {
    const auto complete = [&](const std::string& line) { return (this->*shell)(line); };
    EXPECT_TRUE(has(complete("oclip pu"), "pull"));
    EXPECT_TRUE(has(complete("oclip cache v"), "verify"));
    std::vector<std::string> precision = complete("oclip convert x.pt --precision ");
    EXPECT_TRUE(has(precision, "fp16") && has(precision, "bf16")) << precision.size();
    EXPECT_TRUE(has(complete("oclip validate out --device c"), "cuda"));
    EXPECT_TRUE(has(complete("oclip convert x.pt --fr"), "--from"));
    EXPECT_TRUE(has(complete("oclip pull ViT-B-3"), "ViT-B-32-quickgelu"));
    EXPECT_TRUE(has(complete("oclip pull ViT-B-32 --pretrained laion2b_"), "laion2b_s34b_b79k"));
    EXPECT_FALSE(has(complete("oclip pull ViT-B-32 --pretrained "), "yfcc15m"));  // RN50's
  }
}

TEST_F(Completion, EngineAnswersForTheLastWord) {
  ProcessResult r = run_process({oclip_binary(), "__complete", "info", "RN50", "--pretrained", ""});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out), std::vector<std::string>({"openai", "yfcc15m", "cc12m"}));
  // File arguments are left to the shell; "--help" among the words is only a word.
  r = run_process({oclip_binary(), "__complete", "convert", "--help", ""});
  EXPECT_EQ(r.out, ":files\n");
  // push --pretrained takes a tag or a checkpoint: a path-like word completes as a file.
  r = run_process({oclip_binary(), "__complete", "push", "--model", "RN50", "--pretrained", "ep"});
  EXPECT_EQ(lines(r.out), std::vector<std::string>({"openai", "yfcc15m", "cc12m"}));
  r = run_process(
      {oclip_binary(), "__complete", "push", "--model", "RN50", "--pretrained", "./runs/ep"});
  EXPECT_EQ(r.out, ":files\n");
}

}  // namespace
