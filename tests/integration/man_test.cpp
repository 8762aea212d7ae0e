// The man pages against the binary: every command has its page, every flag of `--help` is in
// that page's synopsis and back, and groff renders every page without a warning.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "tests/support/local_hub_process.h"
#include "tests/support/process.h"

namespace {

namespace fs = std::filesystem;

const fs::path kBuild = fs::path(oclip_binary()).parent_path();

std::vector<std::string> help_lines(const std::vector<std::string>& command) {
  std::vector<std::string> argv = {oclip_binary()};
  argv.insert(argv.end(), command.begin(), command.end());
  argv.push_back("--help");
  ProcessResult r = run_process(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Names listed under "Subcommands:" in a help text, with their descriptions.
std::vector<std::pair<std::string, std::string>> subcommand_list(
    const std::vector<std::string>& command) {
  std::vector<std::pair<std::string, std::string>> names;
  bool in_list = false;
  for (const std::string& line : help_lines(command)) {
    if (line == "Subcommands:") {
      in_list = true;
      continue;
    }
    if (in_list && line.rfind("  ", 0) == 0 && line.size() > 2 && line[2] != ' ') {
      const size_t end = line.find(' ', 2);
      const size_t text = line.find_first_not_of(' ', end);
      names.emplace_back(line.substr(2, end - 2),
                         text == std::string::npos ? "" : line.substr(text));
    } else if (in_list && !line.empty() && line[0] != ' ') {
      in_list = false;
    }
  }
  return names;
}

std::vector<std::string> subcommands(const std::vector<std::string>& command) {
  std::vector<std::string> names;
  for (const auto& [name, text] : subcommand_list(command)) names.push_back(name);
  return names;
}

// Long flags a help text offers (without --help).
std::set<std::string> help_flags(const std::vector<std::string>& command) {
  std::set<std::string> flags;
  static const std::regex flag("(^|,)(--[a-z][a-z0-9-]*)");
  for (const std::string& line : help_lines(command)) {
    if (line.rfind("  -", 0) != 0) continue;
    const std::string names = line.substr(2, line.find(' ', 2) - 2);
    for (std::sregex_iterator it(names.begin(), names.end(), flag), end; it != end; ++it)
      if ((*it)[2] != "--help") flags.insert((*it)[2]);
  }
  return flags;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

// The flags a page's SYNOPSIS line names.
std::set<std::string> synopsis_flags(const std::string& scd) {
  const size_t start = scd.find("# SYNOPSIS\n\n") + 12;
  const std::string synopsis = scd.substr(start, scd.find('\n', start) - start);
  std::set<std::string> flags;
  static const std::regex flag("\\*(--[a-z][a-z0-9-]*)\\*");
  for (std::sregex_iterator it(synopsis.begin(), synopsis.end(), flag), end; it != end; ++it)
    flags.insert((*it)[1]);
  return flags;
}

std::vector<std::vector<std::string>> all_commands() {
  std::vector<std::vector<std::string>> commands;
  for (const std::string& name : subcommands({})) {
    const std::vector<std::string> nested = subcommands({name});
    if (nested.empty()) commands.push_back({name});
    for (const std::string& sub : nested) commands.push_back({name, sub});
  }
  return commands;
}

TEST(Man, EveryCommandHasAPageWithExactlyItsFlags) {
  const std::vector<std::vector<std::string>> commands = all_commands();
  ASSERT_GE(commands.size(), 14u);
  // A synopsis may name a global flag where the command relies on it (login --token).
  const std::set<std::string> global = help_flags({});
  ASSERT_TRUE(global.count("--token") && global.count("--json"));
  auto own = [&](std::set<std::string> flags) {
    for (const std::string& g : global) flags.erase(g);
    return flags;
  };
  for (const std::vector<std::string>& command : commands) {
    std::string page = "oclip";
    for (const std::string& word : command) page += "-" + word;
    const fs::path scd = kBuild / "man" / "scd" / (page + ".1.scd");
    ASSERT_TRUE(fs::exists(scd)) << page;
    EXPECT_TRUE(fs::exists(kBuild / "man1" / (page + ".1"))) << page;
    EXPECT_EQ(own(synopsis_flags(slurp(scd))), own(help_flags(command))) << page;
  }
}

TEST(Man, EachPageIsNamedWithItsCommandsHelpDescription) {
  std::vector<std::pair<std::string, std::string>> listed;
  for (const auto& [name, text] : subcommand_list({})) {
    const auto nested = subcommand_list({name});
    if (nested.empty()) listed.emplace_back("oclip-" + name, text);
    for (const auto& [sub, sub_text] : nested)
      listed.emplace_back("oclip-" + name + "-" + sub, sub_text);
  }
  for (const auto& [page, description] : listed) {
    const std::string scd = slurp(kBuild / "man" / "scd" / (page + ".1.scd"));
    EXPECT_NE(scd.find("# NAME\n\n" + page + " - " + description + "\n"), std::string::npos)
        << page << ": " << description;
  }
}

TEST(Man, GroffRendersEveryPageWithoutWarnings) {
  std::vector<fs::path> pages = {kBuild / "oclip.1"};
  for (const fs::directory_entry& e : fs::directory_iterator(kBuild / "man1"))
    pages.push_back(e.path());
  ASSERT_GE(pages.size(), 15u);
  for (const fs::path& page : pages) {
    ProcessResult r = run_process({"groff", "-ww", "-z", "-man", page.string()});
    EXPECT_EQ(r.exit_code, 0) << page;
    EXPECT_EQ(r.err, "") << page;
  }
}

}  // namespace
