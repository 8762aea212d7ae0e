#include "hub/token_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <sstream>

#include "core/error.h"
#include "core/file_io.h"

namespace oclip::hub {
namespace {

namespace fs = std::filesystem;

std::string trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

std::string read_if_exists(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return "";
  return read_file(path);
}

void remove_if_exists(const fs::path& path) {
  std::error_code ec;
  fs::remove(path, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot remove " + path.string() + ": " + ec.message());
}

// The token folder is private (0700), as huggingface_hub makes it.
void ensure_private_dir(const fs::path& dir) {
  if (dir.empty() || fs::is_directory(dir)) return;
  fs::create_directories(dir);
  ::chmod(dir.c_str(), 0700);
}

}  // namespace

TokenStore::TokenStore(fs::path token_path) : token_path_(std::move(token_path)) {}

fs::path TokenStore::stored_tokens_path() const {
  return token_path_.parent_path() / "stored_tokens";
}

std::string TokenStore::active_token() const { return trim(read_if_exists(token_path_)); }

// Python's configparser format as huggingface_hub writes it: [section], `key = value` (or
// `key: value`), comment lines starting with # or ;, indented continuation lines.
std::vector<TokenStore::Section> TokenStore::read_sections() const {
  std::vector<Section> sections;
  std::istringstream in(read_if_exists(stored_tokens_path()));
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string text = trim(line);
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    if (text.front() == '[' && text.back() == ']') {
      sections.push_back({text.substr(1, text.size() - 2), {}});
      continue;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !sections.empty() &&
        !sections.back().entries.empty()) {
      sections.back().entries.back().second += "\n" + text;
      continue;
    }
    const size_t sep = text.find_first_of("=:");
    if (sections.empty() || sep == std::string::npos)
      throw Error(ErrorKind::Format, stored_tokens_path().string() + ":" + std::to_string(number) +
                                         ": not an INI line")
          .with_file(stored_tokens_path().string());
    std::string key = trim(text.substr(0, sep));
    std::transform(key.begin(), key.end(), key.begin(), ::tolower);  // configparser's optionxform
    sections.back().entries.emplace_back(key, trim(text.substr(sep + 1)));
  }
  return sections;
}

void TokenStore::write_sections(std::vector<Section> sections) const {
  std::sort(sections.begin(), sections.end(),
            [](const Section& a, const Section& b) { return a.name < b.name; });
  std::string text;
  for (const Section& section : sections) {
    text += "[" + section.name + "]\n";
    for (const auto& [key, value] : section.entries) {
      std::string shown = value;
      for (size_t at = shown.find('\n'); at != std::string::npos; at = shown.find('\n', at + 2))
        shown.insert(at + 1, "\t");
      text += key + " = " + shown + "\n";
    }
    text += "\n";
  }
  ensure_private_dir(stored_tokens_path().parent_path());
  write_file_atomic(stored_tokens_path(), text, 0600);
}

void TokenStore::save_and_activate(const std::string& name, const std::string& token) {
  std::vector<Section> sections = read_sections();
  std::erase_if(sections, [&](const Section& s) { return s.name == name; });
  sections.push_back({name, {{"hf_token", token}}});
  write_sections(std::move(sections));
  ensure_private_dir(token_path_.parent_path());
  write_file_atomic(token_path_, token, 0600);
}

bool TokenStore::remove(const std::string& name) {
  std::vector<Section> sections = read_sections();
  auto it = std::find_if(sections.begin(), sections.end(),
                         [&](const Section& s) { return s.name == name; });
  if (it == sections.end()) return false;
  std::string token;
  for (const auto& [key, value] : it->entries)
    if (key == "hf_token") token = value;
  sections.erase(it);
  write_sections(std::move(sections));
  if (!token.empty() && token == active_token()) remove_if_exists(token_path_);
  return true;
}

void TokenStore::remove_all() {
  remove_if_exists(token_path_);
  remove_if_exists(stored_tokens_path());
}

std::vector<std::string> TokenStore::names() const {
  std::vector<std::string> names;
  for (const Section& s : read_sections()) names.push_back(s.name);
  return names;
}

std::optional<std::string> TokenStore::active_name() const {
  const std::string token = active_token();
  if (token.empty()) return std::nullopt;
  for (const Section& s : read_sections())
    for (const auto& [key, value] : s.entries)
      if (key == "hf_token" && value == token) return s.name;
  return std::nullopt;
}

std::string masked_token(const std::string& token) {
  if (token.size() < 12) return "***";
  const size_t prefix = token.starts_with("hf_") ? 3 : 0;
  return token.substr(0, prefix) + "…" + token.substr(token.size() - 4);
}

}  // namespace oclip::hub
