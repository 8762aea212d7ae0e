#include "hub/token_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "core/file_io.h"
#include "core/text.h"

namespace oclip::hub {
namespace {

namespace fs = std::filesystem;

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

std::vector<TokenSection> parse_stored_tokens(std::string_view text, const std::string& label) {
  std::vector<TokenSection> sections;
  size_t start = 0;
  int number = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(start, end - start));
    start = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string stripped = strip(line);
    if (stripped.empty() || stripped[0] == '#' || stripped[0] == ';') continue;
    if (stripped.front() == '[' && stripped.back() == ']') {
      sections.push_back({stripped.substr(1, stripped.size() - 2), {}});
      continue;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !sections.empty() &&
        !sections.back().entries.empty()) {
      sections.back().entries.back().second += "\n" + stripped;
      continue;
    }
    const size_t sep = stripped.find_first_of("=:");
    if (sections.empty() || sep == std::string::npos || strip(stripped.substr(0, sep)).empty())
      throw Error(ErrorKind::Format, label + ":" + std::to_string(number) + ": not an INI line")
          .with_file(label);
    std::string key = strip(stripped.substr(0, sep));
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    sections.back().entries.emplace_back(key, strip(stripped.substr(sep + 1)));
  }
  return sections;
}

TokenStore::TokenStore(fs::path token_path) : token_path_(std::move(token_path)) {}

fs::path TokenStore::stored_tokens_path() const {
  return token_path_.parent_path() / "stored_tokens";
}

std::string TokenStore::active_token() const { return strip(read_if_exists(token_path_)); }

std::vector<TokenSection> TokenStore::read_sections() const {
  return parse_stored_tokens(read_if_exists(stored_tokens_path()), stored_tokens_path().string());
}

void TokenStore::write_sections(std::vector<TokenSection> sections) const {
  std::sort(sections.begin(), sections.end(),
            [](const TokenSection& a, const TokenSection& b) { return a.name < b.name; });
  std::string text;
  for (const TokenSection& section : sections) {
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
  std::vector<TokenSection> sections = read_sections();
  std::erase_if(sections, [&](const TokenSection& s) { return s.name == name; });
  sections.push_back({name, {{"hf_token", token}}});
  write_sections(std::move(sections));
  ensure_private_dir(token_path_.parent_path());
  write_file_atomic(token_path_, token, 0600);
}

bool TokenStore::remove(const std::string& name) {
  std::vector<TokenSection> sections = read_sections();
  auto it = std::find_if(sections.begin(), sections.end(),
                         [&](const TokenSection& s) { return s.name == name; });
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
  for (const TokenSection& s : read_sections()) names.push_back(s.name);
  return names;
}

std::optional<std::string> TokenStore::active_name() const {
  const std::string token = active_token();
  if (token.empty()) return std::nullopt;
  for (const TokenSection& s : read_sections())
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
