// hub/resume_journal.h — what part of a partial blob is already on disk, so that a pull
// killed at any moment continues where it stopped. The partial and its journal sit in blobs/
// as `{etag}.oclip-{id}.incomplete` and `{etag}.oclip-{id}.journal.incomplete`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace oclip::hub {

struct DoneRange {
  uint64_t start = 0;
  uint64_t end = 0;  // exclusive
  uint32_t crc = 0;  // zlib crc32 of the bytes: finds local damage to the partial
};

// A journal file's content; `valid` is false unless it starts with the magic line and names a
// size. A torn last line (killed mid-write) is dropped.
struct ParsedJournal {
  uint64_t size = 0;
  std::string owner_host;
  long owner_pid = 0;
  std::vector<DoneRange> ranges;
  bool valid = false;
};
ParsedJournal parse_journal(const std::string& text);

// The ranges worth checking against the partial: within [0, size), non-empty, and disjoint
// (the first of two that overlap wins), sorted by start.
std::vector<DoneRange> usable_ranges(const std::vector<DoneRange>& ranges, uint64_t size);

class ResumeJournal {
 public:
  // Takes over the partial of `etag` left by a dead process (by renaming it, so two processes
  // cannot both win), checking every recorded range against its checksum; else starts a new one.
  static ResumeJournal open(const std::filesystem::path& blobs_dir, const std::string& etag,
                            uint64_t size);
  ResumeJournal(ResumeJournal&& other) noexcept;
  ~ResumeJournal();  // closes; leaves the files for a later resume
  ResumeJournal(const ResumeJournal&) = delete;
  ResumeJournal& operator=(const ResumeJournal&) = delete;

  int fd() const { return fd_; }
  const std::filesystem::path& data_path() const { return data_path_; }
  const std::map<uint64_t, DoneRange>& done() const { return done_; }  // by start
  uint64_t resumed_bytes() const { return resumed_bytes_; }

  void record(const DoneRange& range);
  // The partial became the blob (renamed by the caller): drop the journal.
  void finish();
  // Bad content: delete both files.
  void discard();

 private:
  ResumeJournal() = default;
  void write_header(uint64_t size);

  std::filesystem::path data_path_;
  std::filesystem::path journal_path_;
  int fd_ = -1;
  int journal_fd_ = -1;
  std::map<uint64_t, DoneRange> done_;
  uint64_t resumed_bytes_ = 0;
};

uint32_t crc32_of(uint32_t crc, const char* data, size_t size);

}  // namespace oclip::hub
