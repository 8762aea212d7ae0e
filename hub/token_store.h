// hub/token_store.h — the files huggingface_hub keeps tokens in (hub-protocol.md §2.3): the
// active token alone in the token file, and every saved token in `stored_tokens` beside it,
// an INI file with one section per token name. Sections and keys oclip does not know are kept.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace oclip::hub {

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
  struct Section {
    std::string name;
    std::vector<std::pair<std::string, std::string>> entries;
  };
  std::vector<Section> read_sections() const;
  void write_sections(std::vector<Section> sections) const;
  std::string active_token() const;

  std::filesystem::path token_path_;
};

// What may be shown of a token: its prefix and last four characters ("hf_…wxyz").
std::string masked_token(const std::string& token);

}  // namespace oclip::hub
