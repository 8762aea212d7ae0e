#include "hub/download.h"

#include <optional>

#include "core/error.h"
#include "core/hash.h"

namespace oclip::hub {
namespace {

// "bytes START-END/TOTAL" -> START.
std::optional<uint64_t> content_range_start(const std::string& header) {
  if (header.rfind("bytes ", 0) != 0) return std::nullopt;
  size_t dash = header.find('-', 6);
  if (dash == std::string::npos) return std::nullopt;
  try {
    return std::stoull(header.substr(6, dash - 6));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

enum class Outcome { Done, HashMismatch };

}  // namespace

BlobFetch download_blob(HubApi& api, const BlobTarget& target, const RepoRef& repo,
                        FileMetadata meta, const std::function<FileMetadata()>& refresh,
                        const ByteProgress& progress) {
  BlobFetch stats;
  auto kind = meta.is_lfs() ? DigestStream::Kind::Sha256 : DigestStream::Kind::GitBlobSha1;
  for (int whole_file_try = 0; whole_file_try < 2; ++whole_file_try) {
    PartialBlob partial = begin_partial(target, meta.etag);
    DigestStream digest(kind, meta.size);
    uint64_t written = 0;
    int failures = 0;
    int refreshes = 0;
    while (written < meta.size || meta.size == 0) {
      uint64_t start = written;
      bool first_chunk = true;
      bool wrong_offset = false;
      uint64_t received = 0;
      BodySink sink = [&](const HttpResult& response, std::string_view chunk) {
        if (first_chunk) {
          first_chunk = false;
          if (start > 0 && response.status == 200) {
            // A 200 in answer to a Range request: the server ignored the range and sends the
            // file from byte 0. Start over rather than append.
            partial.truncate();
            digest.reset();
            written = 0;
            ++stats.restarts;
          } else if (response.status == 206 &&
                     content_range_start(response.header("Content-Range")) != start) {
            wrong_offset = true;
            return false;
          }
        }
        if (written + chunk.size() > meta.size) return false;  // more than announced
        partial.write(chunk);
        digest.update(chunk);
        written += chunk.size();
        received += chunk.size();
        stats.bytes_fetched += chunk.size();
        if (progress) progress(chunk.size());
        return true;
      };
      HttpResult result = api.fetch(meta.location, start, sink);
      bool success_status = result.status == 200 || result.status == 206;
      if (wrong_offset) {
        partial.truncate();
        digest.reset();
        written = 0;
        ++stats.restarts;
        continue;
      }
      if (result.aborted_by_sink) {
        throw Error(ErrorKind::Integrity, "server sent more than the " + std::to_string(meta.size) +
                                              " bytes it announced for " +
                                              url_for_display(meta.location))
            .with_url(url_for_display(meta.location));
      }
      if (result.ok() && success_status && written == meta.size) break;
      if (result.ok() && result.status == 416) {
        if (written == meta.size) break;
        partial.truncate();
        digest.reset();
        written = 0;
        ++stats.restarts;
        continue;
      }
      if (result.ok() && result.status == 403 && refreshes < 2) {
        // Signed storage URLs expire: ask the Hub for a fresh one (hub-protocol 3.6).
        ++refreshes;
        FileMetadata fresh = refresh();
        if (fresh.etag != meta.etag || fresh.size != meta.size) {
          throw Error(ErrorKind::Integrity, "the file changed on the Hub during the download");
        }
        meta.location = fresh.location;
        continue;
      }
      bool short_body = result.ok() && success_status && written < meta.size;
      if (!short_body && !api.is_retryable(result)) {
        throw api.error_for(result, meta.location, repo, "file");
      }
      // As in huggingface_hub, a try that moved bytes is not charged.
      failures = received > 0 ? 0 : failures + 1;
      if (failures > api.max_retries()) throw api.error_for(result, meta.location, repo, "file");
      if (received == 0) api.backoff(failures - 1, result);
      if (written > 0) ++stats.resumes;
    }
    std::string got = digest.hex_digest();
    if (got == meta.etag) {
      publish_partial(partial, target);
      return stats;
    }
    ++stats.restarts;
    if (whole_file_try == 1) {
      throw Error(ErrorKind::Integrity,
                  std::string(meta.is_lfs() ? "sha256" : "git blob sha1") + " mismatch twice for " +
                      url_for_display(meta.location) + ": expected " + meta.etag + ", got " + got)
          .with_url(url_for_display(meta.location))
          .with_hint("the server or a proxy is corrupting the transfer; nothing was saved");
    }
  }
  return stats;  // not reached
}

}  // namespace oclip::hub
