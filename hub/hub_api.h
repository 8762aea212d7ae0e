// hub/hub_api.h — the Hub's read API: commits, file listings, file metadata and content, with
// the redirect policy, retries and error mapping of hub-protocol.md §3.5, §7.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "hub/http.h"
#include "hub/repo_id.h"

namespace oclip::hub {

struct FileMetadata {
  std::string commit;  // X-Repo-Commit
  std::string etag;    // normalized: sha256 (LFS) or git blob sha1, lowercase
  uint64_t size = 0;
  std::string location;  // where the bytes are: a signed storage URL or a Hub URL

  bool is_lfs() const { return etag.size() == 64; }
};

struct TreeEntry {
  std::string path;
  uint64_t size = 0;
  std::string oid;      // git blob id (of the pointer, for LFS files)
  std::string lfs_oid;  // sha256, LFS files only

  const std::string& etag() const { return lfs_oid.empty() ? oid : lfs_oid; }
};

class HubApi {
 public:
  HubApi(const Config& config, HttpClient& http, Clock& clock);

  // The full commit id a revision names (GET /api/models/{id}/revision/{rev}).
  std::string resolve_commit(const RepoRef& repo, const std::string& revision);
  // Every file at `commit`, following Link pagination.
  std::vector<TreeEntry> list_files(const RepoRef& repo, const std::string& commit);
  // HEAD on resolve: same-origin redirects followed with the token, the storage redirect read
  // but not followed. Throws Error(NotFound) for a missing file, with the commit in context.
  FileMetadata file_metadata(const RepoRef& repo, const std::string& revision,
                             const std::string& path);

  // GET /api/whoami-v2 with the configured token (always sent: it is what is asked about).
  // Throws Error(Auth) naming the token's source when the Hub refuses it.
  nlohmann::json whoami();

  // GET of a content URL, following redirects; the token goes to Hub hosts only. No retries:
  // the caller resumes. Returns the final result.
  HttpResult fetch(const std::string& url, uint64_t range_start, const BodySink& sink);

  // Which answers a request may be repeated after (hub-protocol 7.5).
  enum class Retry {
    Idempotent,  // 408, 429, 5xx, network errors
    RateLimits,  // 429 and 503 only: a commit that carries parentCommit
    Never,
  };
  // One request, retried per `retry`, redirects not followed; the last result, whatever its
  // status. The token goes only where the request asks for it and the host is the Hub's. The
  // stall limit is the request's or HF_HUB_DOWNLOAD_TIMEOUT, whichever is longer.
  HttpResult send(HttpRequest request, Retry retry);

  // Waits before retry number `attempt` (0-based) after `result`, as huggingface_hub does.
  void backoff(int attempt, const HttpResult& result);
  bool is_retryable(const HttpResult& result) const;
  int max_retries() const { return config_.max_retries; }

  std::string file_url(const RepoRef& repo, const std::string& revision,
                       const std::string& path) const;
  Error error_for(const HttpResult& result, const std::string& url, const RepoRef& repo,
                  const std::string& what) const;

 private:
  HttpResult get_json(const std::string& url, const RepoRef& repo, const std::string& what);
  bool is_hub_url(const std::string& url) const;
  bool send_token_to(const std::string& url) const;

  const Config& config_;
  HttpClient& http_;
  Clock& clock_;
};

// Strips W/ and quotes, lower-cases (hub-protocol 3.4).
std::string normalize_etag(std::string etag);

}  // namespace oclip::hub
