// hub/ranged_download.h — a large LFS file as parallel Range requests on one libcurl multi
// handle, into a partial that survives kill -9 (see resume_journal.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "hub/download.h"

namespace oclip::hub {

struct TransferSettings {
  int streams = 4;  // a few: many more trips CDN throttling
  // Bytes per range request; 0 picks size / (4 × streams) within 16 to 64 MiB: few enough
  // requests that their round trips do not count, small enough that one slow stream cannot
  // hold up the tail for long.
  uint64_t part_bytes = 0;
  uint64_t rate_limit = 0;  // bytes per second over all streams; 0: none
};

// nullopt when the server ignores Range (a 200 answer): the caller fetches in one stream.
// Throws like download_blob; the partial stays on disk for the next try unless its content
// proved wrong.
std::optional<BlobFetch> download_blob_ranged(HubApi& api, const HttpClient& http,
                                              const Config& config, const BlobTarget& target,
                                              const RepoRef& repo, FileMetadata meta,
                                              const std::function<FileMetadata()>& refresh,
                                              const ByteProgress& progress,
                                              const TransferSettings& settings);

}  // namespace oclip::hub
