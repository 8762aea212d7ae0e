#include "hub/local_dir.h"

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/file_io.h"

namespace oclip::hub {

namespace fs = std::filesystem;

BlobTarget LocalDir::target(const std::string& path) const {
  check_repo_path(path);
  return {download_dir(), root_ / path};
}

bool LocalDir::is_current(const std::string& path, const std::string& etag) const {
  check_repo_path(path);
  std::ifstream in(download_dir() / (path + ".metadata"));
  std::string commit, saved_etag, timestamp;
  if (!std::getline(in, commit) || !std::getline(in, saved_etag) || !std::getline(in, timestamp))
    return false;
  struct stat st;
  if (::stat((root_ / path).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  double saved = 0;
  try {
    saved = std::stod(timestamp);
  } catch (const std::exception&) {
    return false;
  }
  double modified = static_cast<double>(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1e9;
  // huggingface_hub's rule: the metadata counts while the file is at most 1 s newer than it.
  return saved_etag == etag && modified - 1 <= saved;
}

void LocalDir::write_metadata(const std::string& path, const std::string& commit,
                              const std::string& etag) const {
  fs::path metadata = download_dir() / (path + ".metadata");
  std::error_code ec;
  fs::create_directories(metadata.parent_path(), ec);
  fs::path ignore = root_ / ".cache" / "huggingface" / ".gitignore";
  if (!fs::exists(ignore, ec)) write_file_atomic(ignore, "*");
  double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::ostringstream text;
  text.precision(17);
  text << commit << "\n" << etag << "\n" << now << "\n";
  write_file_atomic(metadata, text.str());
}

}  // namespace oclip::hub
