// hub/token_store.h — the files huggingface_hub keeps tokens in (hub-protocol.md §2.3): the
// active token alone in the token file, and every saved token in `stored_tokens` beside it,
// an INI file with one section per token name. Sections and keys oclip does not know are kept.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oclip::hub {

// One [section] of stored_tokens, its `key = value` entries in file order.
struct TokenSection {
  std::string name;
  std::vector<std::pair<std::string, std::string>> entries;
};

// Python configparser's syntax as huggingface_hub writes it: [section], `key = value` (or
// `key: value`), comment lines starting with # or ;, indented continuation lines; keys lower
// case. Throws Error(Format) naming `label` and the line.
std::vector<TokenSection> parse_stored_tokens(std::string_view text, const std::string& label);

class TokenStore {
 public:
  explicit TokenStore(std::filesystem::path token_path);

  const std::filesystem::path& token_path() const { return token_path_; }
  std::filesystem::path stored_tokens_path() const;

  // Saves `token` as `name` (replacing a section of that name) and makes it the active token.
  void save_and_activate(const std::string& name, const std::string& token);
  // Removes the section `name`; deletes the token file too when that token was active.
  // False when there is no such name.
  bool remove(const std::string& name);
  // Deletes both files.
  void remove_all();

  std::vector<std::string> names() const;
  // The name the active token is saved under, if it is saved.
  std::optional<std::string> active_name() const;

 private:
  std::vector<TokenSection> read_sections() const;
  void write_sections(std::vector<TokenSection> sections) const;
  std::string active_token() const;

  std::filesystem::path token_path_;
};

// What may be shown of a token: its prefix and last four characters ("hf_…wxyz").
std::string masked_token(const std::string& token);

}  // namespace oclip::hub
