#include "hub/download.h"

#include <optional>

#include "core/clock.h"
#include "core/error.h"
#include "core/hash.h"

namespace oclip::hub {
namespace {

// A resume answer is used only when it is exactly the rest of this file.
bool is_rest_of_file(const std::string& header, uint64_t start, uint64_t size) {
  std::optional<ContentRange> range = parse_content_range(header);
  return range && range->first == start && range->last + 1 == size &&
         (!range->length || *range->length == size);
}

enum class Outcome { Done, HashMismatch };

}  // namespace

BlobFetch download_blob(HubApi& api, const BlobTarget& target, const RepoRef& repo,
                        FileMetadata meta, const std::function<FileMetadata()>& refresh,
                        const ByteProgress& progress, uint64_t max_bytes_per_s) {
  BlobFetch stats;
  Clock& clock = system_clock();
  double started = clock.now_s();
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
                     !is_rest_of_file(response.header("Content-Range"), start, meta.size)) {
            wrong_offset = true;
            return false;
          }
        }
        if (written + chunk.size() > meta.size) return false;  // more than announced
        if (max_bytes_per_s > 0) {
          // Paced here rather than by libcurl, whose limit lets a first burst of a few MB through.
          double due = static_cast<double>(stats.bytes_fetched + chunk.size()) /
                       static_cast<double>(max_bytes_per_s);
          double ahead = due - (clock.now_s() - started);
          if (ahead > 0) clock.sleep_s(ahead);
        }
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
