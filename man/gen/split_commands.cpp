// Writes one scdoc page per command from the COMMANDS section of oclip.1.scd, so that
// oclip(1) stays the one source: each entry (a "; summary" comment, a line starting with '*',
// then tab-indented lines) becomes oclip-NAME(1) with that summary, synopsis and description.
// usage: split_commands oclip.1.scd OUTDIR
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

struct Entry {
  std::string name;      // "cache ls"
  std::string summary;   // the comment line before it: the command's --help description
  std::string synopsis;  // the entry line
  std::vector<std::string> body;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: split_commands oclip.1.scd OUTDIR\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  std::vector<Entry> entries;
  bool in_commands = false;
  std::string comment;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# ", 0) == 0) {
      in_commands = line == "# COMMANDS";
      continue;
    }
    if (!in_commands || line.empty()) continue;
    if (line.rfind("; ", 0) == 0) {
      comment = line.substr(2);
    } else if (line[0] == '*') {
      const size_t close = line.find('*', 1);
      if (comment.empty()) {
        std::cerr << "split_commands: no '; summary' line before " << line << "\n";
        return 1;
      }
      entries.push_back({line.substr(1, close - 1), comment, line, {}});
      comment.clear();
    } else if (line[0] == '\t' && !entries.empty()) {
      entries.back().body.push_back(line.substr(1));
    }
  }
  if (entries.empty()) {
    std::cerr << "split_commands: no COMMANDS entries in " << argv[1] << "\n";
    return 1;
  }
  for (const Entry& e : entries) {
    std::string page = "oclip-" + e.name;
    for (char& c : page)
      if (c == ' ') c = '-';
    std::ofstream out(std::filesystem::path(argv[2]) / (page + ".1.scd"));
    out << page << "(1)\n\n# NAME\n\n"
        << page << " - " << e.summary << "\n\n"
        << "# SYNOPSIS\n\n*oclip* " << e.synopsis << "\n\n# DESCRIPTION\n\n";
    for (const std::string& line : e.body) out << line << "\n";
    out << "\nThe global options, the environment and the exit status are in *oclip*(1).\n\n"
        << "# SEE ALSO\n\n*oclip*(1)\n";
    if (!out) {
      std::cerr << "split_commands: cannot write " << page << "\n";
      return 1;
    }
  }
  return 0;
}
