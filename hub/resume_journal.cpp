#include "hub/resume_journal.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "core/file_io.h"

namespace oclip::hub {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMagic = "oclip-journal 1";
// A partial whose owner lives on another host counts as abandoned after this long untouched.
constexpr auto kForeignStaleAfter = std::chrono::minutes(10);

bool abandoned(const ParsedJournal& j, const fs::path& journal) {
  if (j.owner_host == host_name()) return owner_is_gone(j.owner_host, j.owner_pid);
  std::error_code ec;
  auto modified = fs::last_write_time(journal, ec);
  return !ec && fs::file_time_type::clock::now() - modified > kForeignStaleAfter;
}

bool range_intact(int fd, const DoneRange& r) {
  std::vector<char> buffer(1 << 20);
  uint32_t crc = crc32_of(0, nullptr, 0);
  for (uint64_t at = r.start; at < r.end;) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), r.end - at));
    ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(at));
    if (n <= 0) return false;
    crc = crc32_of(crc, buffer.data(), static_cast<size_t>(n));
    at += static_cast<uint64_t>(n);
  }
  return crc == r.crc;
}

}  // namespace

ParsedJournal parse_journal(const std::string& text) {
  ParsedJournal j;
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != kMagic) return j;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    if (key == "size") {
      fields >> j.size;
    } else if (key == "owner") {
      fields >> j.owner_host >> j.owner_pid;
    } else if (key == "range") {
      DoneRange r;
      fields >> r.start >> r.end >> std::hex >> r.crc;
      // A torn last line (killed mid-write) fails to parse and is ignored.
      if (fields && r.end > r.start) j.ranges.push_back(r);
    }
  }
  j.valid = j.size > 0;
  return j;
}

std::vector<DoneRange> usable_ranges(const std::vector<DoneRange>& ranges, uint64_t size) {
  std::map<uint64_t, DoneRange> kept;  // by start
  for (const DoneRange& r : ranges) {
    if (r.end <= r.start || r.end > size) continue;
    auto next = kept.lower_bound(r.start);
    if (next != kept.end() && next->first < r.end) continue;
    if (next != kept.begin() && std::prev(next)->second.end > r.start) continue;
    kept[r.start] = r;
  }
  std::vector<DoneRange> out;
  for (const auto& [start, r] : kept) out.push_back(r);
  return out;
}

uint32_t crc32_of(uint32_t crc, const char* data, size_t size) {
  if (!data) return static_cast<uint32_t>(::crc32(0L, Z_NULL, 0));
  while (size > 0) {
    uInt n = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = static_cast<uint32_t>(::crc32(crc, reinterpret_cast<const Bytef*>(data), n));
    data += n;
    size -= n;
  }
  return crc;
}

ResumeJournal ResumeJournal::open(const fs::path& blobs_dir, const std::string& etag,
                                  uint64_t size) {
  ResumeJournal journal;
  std::string prefix = etag + ".oclip-";
  std::string suffix = ".journal.incomplete";
  std::string id = random_hex(8);
  journal.data_path_ = blobs_dir / (prefix + id + ".incomplete");
  journal.journal_path_ = blobs_dir / (prefix + id + suffix);

  std::error_code ec;
  fs::create_directories(blobs_dir, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create " + blobs_dir.string() + ": " + ec.message());
  for (const auto& entry : fs::directory_iterator(blobs_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || name.size() <= suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    ParsedJournal old;
    try {
      old = parse_journal(read_file(entry.path()));
    } catch (const Error&) {
      continue;  // vanished: someone else claimed it
    }
    if (!old.valid || old.size != size || !abandoned(old, entry.path())) continue;
    std::string old_id = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    fs::path old_data = blobs_dir / (prefix + old_id + ".incomplete");
    // Claim by rename: exactly one claimant succeeds, even without working locks.
    if (::rename(entry.path().c_str(), journal.journal_path_.c_str()) != 0) continue;
    if (::rename(old_data.c_str(), journal.data_path_.c_str()) != 0) {
      ::unlink(journal.journal_path_.c_str());
      continue;
    }
    journal.fd_ = ::open(journal.data_path_.c_str(), O_RDWR | O_CLOEXEC);
    if (journal.fd_ < 0) break;
    for (const DoneRange& r : usable_ranges(old.ranges, size)) {
      if (range_intact(journal.fd_, r)) {
        journal.done_[r.start] = r;
        journal.resumed_bytes_ += r.end - r.start;
      }
    }
    // Rewrite the journal with only the ranges that checked out, owned by us now.
    journal.journal_fd_ = ::open(journal.journal_path_.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (journal.journal_fd_ < 0) break;
    journal.write_header(size);
    for (const auto& [start, r] : journal.done_) {
      std::string line = "range " + std::to_string(r.start) + " " + std::to_string(r.end) + " ";
      char crc[16];
      std::snprintf(crc, sizeof crc, "%08x\n", r.crc);
      line += crc;
      if (::write(journal.journal_fd_, line.data(), line.size()) < 0) break;
    }
    return journal;
  }
  if (journal.fd_ >= 0) ::close(journal.fd_);
  if (journal.journal_fd_ >= 0) ::close(journal.journal_fd_);
  journal.done_.clear();
  journal.resumed_bytes_ = 0;

  journal.fd_ = ::open(journal.data_path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (journal.fd_ < 0) {
    throw Error(ErrorKind::Io,
                "cannot create " + journal.data_path_.string() + ": " + std::strerror(errno));
  }
  journal.journal_fd_ =
      ::open(journal.journal_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (journal.journal_fd_ < 0) {
    throw Error(ErrorKind::Io,
                "cannot create " + journal.journal_path_.string() + ": " + std::strerror(errno));
  }
  journal.write_header(size);
  return journal;
}

void ResumeJournal::write_header(uint64_t size) {
  std::string header = std::string(kMagic) + "\nsize " + std::to_string(size) + "\nowner " +
                       host_name() + " " + std::to_string(::getpid()) + "\n";
  if (::write(journal_fd_, header.data(), header.size()) < 0) {
    throw Error(ErrorKind::Io,
                "cannot write " + journal_path_.string() + ": " + std::strerror(errno));
  }
}

ResumeJournal::ResumeJournal(ResumeJournal&& other) noexcept
    : data_path_(std::move(other.data_path_)),
      journal_path_(std::move(other.journal_path_)),
      fd_(other.fd_),
      journal_fd_(other.journal_fd_),
      done_(std::move(other.done_)),
      resumed_bytes_(other.resumed_bytes_) {
  other.fd_ = -1;
  other.journal_fd_ = -1;
}

ResumeJournal::~ResumeJournal() {
  if (fd_ >= 0) ::close(fd_);
  if (journal_fd_ >= 0) ::close(journal_fd_);
}

void ResumeJournal::record(const DoneRange& r) {
  done_[r.start] = r;
  // Data first (already written with pwrite), then the line that vouches for it. The page
  // cache outlives a killed process; after a power cut the checksums catch torn data.
  char line[96];
  int n = std::snprintf(line, sizeof line, "range %llu %llu %08x\n",
                        static_cast<unsigned long long>(r.start),
                        static_cast<unsigned long long>(r.end), r.crc);
  if (::write(journal_fd_, line, static_cast<size_t>(n)) < 0) {
    throw Error(ErrorKind::Io,
                "cannot write " + journal_path_.string() + ": " + std::strerror(errno));
  }
}

void ResumeJournal::finish() {
  if (journal_fd_ >= 0) ::close(journal_fd_);
  journal_fd_ = -1;
  ::unlink(journal_path_.c_str());
}

void ResumeJournal::discard() {
  finish();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(data_path_.c_str());
}

}  // namespace oclip::hub
