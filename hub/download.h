// hub/download.h — one file into blobs/, hashed while it arrives, published only when verified.
#pragma once

#include <cstdint>
#include <functional>

#include "hub/cache.h"
#include "hub/hub_api.h"

namespace oclip::hub {

struct BlobFetch {
  uint64_t bytes_fetched = 0;  // off the wire, including refetched bytes
  int resumes = 0;             // Range requests after a mid-body failure
  int restarts = 0;            // from zero: Range ignored, bad Content-Range, hash mismatch
};

using ByteProgress = std::function<void(uint64_t delta)>;

// Downloads `meta.location` to `target` (blobs/{etag}, or a --local-dir file). Resumes with Range
// after a failure mid-body, restarts on a 200 to a Range request, re-resolves an expired storage
// URL through `refresh`, and retries the whole file once on a hash mismatch (then
// Error(Integrity)). `max_bytes_per_s` (0: none) is --limit-rate.
BlobFetch download_blob(HubApi& api, const BlobTarget& target, const RepoRef& repo,
                        FileMetadata meta, const std::function<FileMetadata()>& refresh,
                        const ByteProgress& progress, uint64_t max_bytes_per_s = 0);

}  // namespace oclip::hub
