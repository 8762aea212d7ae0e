// Repo file names and ids come from the server: whatever check_repo_path accepts must stay
// inside the folder it is joined to, and accepted hf-hub: names must obey the id rules.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/error.h"
#include "hub/cache.h"
#include "hub/repo_id.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  try {
    oclip::hub::check_repo_path(input);
    std::filesystem::path joined =
        (std::filesystem::path("/root-of-cache") / input).lexically_normal();
    std::string text = joined.string();
    if (text.rfind("/root-of-cache/", 0) != 0 || text.find("/../") != std::string::npos)
      std::abort();
    if (input.find('\0') != std::string::npos || input.find('\\') != std::string::npos)
      std::abort();
  } catch (const oclip::Error& e) {
    if (e.kind() != oclip::ErrorKind::Format) std::abort();
  }
  try {
    oclip::hub::RepoRef repo = oclip::hub::parse_hf_hub_name("hf-hub:" + input);
    if (repo.id.empty() || repo.id.find("..") != std::string::npos ||
        repo.id.find("--") != std::string::npos) {
      std::abort();
    }
    size_t slashes = 0;
    for (char c : repo.id) slashes += c == '/';
    if (slashes > 1) std::abort();
  } catch (const oclip::Error& e) {
    if (e.kind() != oclip::ErrorKind::Usage) std::abort();
  }
  return 0;
}
