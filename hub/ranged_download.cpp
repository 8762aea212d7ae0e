#include "hub/ranged_download.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/hash.h"
#include "hub/resume_journal.h"

namespace oclip::hub {
namespace {

struct Part {
  uint64_t start;
  uint64_t end;  // exclusive
};

// --limit-rate over all streams. Ranges can be shorter than the time libcurl needs to pace a
// single transfer, so the write callback pauses any stream that is ahead of the budget.
struct RateBudget {
  uint64_t bytes_per_s = 0;
  const uint64_t* fetched = nullptr;
  Clock* clock = nullptr;
  double started = 0;

  double ahead_s() const {
    if (bytes_per_s == 0) return 0;
    return static_cast<double>(*fetched) / static_cast<double>(bytes_per_s) -
           (clock->now_s() - started);
  }
};

struct Transfer {
  Part part;  // what is still ours: `end` moves down when an idle stream takes the tail
  uint64_t requested_end = 0;  // what the request asked for
  uint64_t file_size = 0;
  double started_s = 0;
  bool shortened = false;
  const RateBudget* budget = nullptr;
  bool paused = false;
  uint64_t received = 0;
  uint32_t crc = 0;
  long status = 0;
  bool wrong_range = false;
  bool write_failed = false;
  int fd = -1;
  const ByteProgress* progress = nullptr;
  uint64_t* bytes_fetched = nullptr;
  std::string range;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    size_t space = line.find(' ');
    t->status = space == std::string::npos ? 0 : std::atol(line.c_str() + space + 1);
  } else if (line.size() > 14 && ::strncasecmp(line.c_str(), "Content-Range:", 14) == 0) {
    // Exactly the range asked for, or the bytes would go to the wrong place.
    std::optional<ContentRange> range = parse_content_range(std::string_view(line).substr(14));
    t->wrong_range = !range || range->first != t->part.start ||
                     range->last + 1 != t->requested_end ||
                     (range->length && *range->length != t->file_size);
  }
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  if (t->status != 206 || t->wrong_range) return 0;  // abort; handled on completion
  if (t->budget->ahead_s() > 0) {
    t->paused = true;
    return CURL_WRITEFUNC_PAUSE;  // libcurl hands the same bytes again after the unpause
  }
  uint64_t room = t->part.end - t->part.start - t->received;
  if (n > room) {
    if (!t->shortened) return 0;    // more than the range asked for
    n = static_cast<size_t>(room);  // the rest is another stream's now: keep ours, then stop
  }
  off_t at = static_cast<off_t>(t->part.start + t->received);
  for (size_t done = 0; done < n;) {
    ssize_t w = ::pwrite(t->fd, data + done, n - done, at + static_cast<off_t>(done));
    if (w < 0) {
      if (errno == EINTR) continue;
      t->write_failed = true;
      return 0;
    }
    done += static_cast<size_t>(w);
  }
  t->crc = crc32_of(t->crc, data, n);
  t->received += n;
  *t->bytes_fetched += n;
  if (*t->progress) (*t->progress)(n);
  return n == size * count ? n : 0;
}

// The transfer that will take longest to finish at its own pace so far, when it would take
// more than a second and halving its rest is worth a new request. Splitting a fast stream
// would only waste the bytes already in flight past the cut.
Transfer* tail_to_split(std::list<Transfer>& active, uint64_t min_piece, double now_s) {
  Transfer* best = nullptr;
  double best_s = 1.0;
  for (Transfer& t : active) {
    uint64_t left = t.part.end - t.part.start - t.received;
    if (t.status != 206 || t.paused || left < 2 * min_piece) continue;
    double elapsed = now_s - t.started_s;
    if (elapsed < 0.25) continue;  // too early to know its pace
    double rate = static_cast<double>(t.received) / elapsed;
    double finish_s = rate > 0 ? static_cast<double>(left) / rate : 1e9;
    if (finish_s > best_s) {
      best = &t;
      best_s = finish_s;
    }
  }
  return best;
}

// The parts of [0, size) not yet done, cut to at most `part_bytes`.
std::deque<Part> missing_parts(const std::map<uint64_t, DoneRange>& done, uint64_t size,
                               uint64_t part_bytes) {
  std::deque<Part> parts;
  uint64_t at = 0;
  auto cut = [&](uint64_t from, uint64_t to) {
    for (uint64_t s = from; s < to; s += part_bytes)
      parts.push_back({s, std::min(to, s + part_bytes)});
  };
  for (const auto& [start, range] : done) {
    if (start > at) cut(at, start);
    at = std::max(at, range.end);
  }
  if (at < size) cut(at, size);
  return parts;
}

// sha256 over the contiguous done prefix, on its own thread: ranges are read back from the
// page cache right behind the writers, so the hash ends moments after the last byte and the
// network loop never waits for it.
class PrefixHasher {
 public:
  PrefixHasher(int fd, uint64_t size)
      : fd_(fd), digest_(DigestStream::Kind::Sha256, size), worker_([this] { run(); }) {}
  ~PrefixHasher() { stop(); }

  void add(uint64_t start, uint64_t end) {
    std::lock_guard<std::mutex> lock(mutex_);
    ready_[start] = end;
    wake_.notify_one();
  }
  // Waits for the hash of everything added; returns the bytes hashed.
  uint64_t finish() {
    stop();
    if (failed_) throw Error(ErrorKind::Io, "cannot read back a partial download");
    return hashed_;
  }
  std::string hex() { return digest_.hex_digest(); }

 private:
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closing_ = true;
      wake_.notify_one();
    }
    if (worker_.joinable()) worker_.join();
  }

  void run() {
    std::vector<char> buffer(1 << 20);
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] { return closing_ || ready_.count(hashed_); });
      auto next = ready_.find(hashed_);
      if (next == ready_.end()) return;  // closing, and no more contiguous bytes
      uint64_t end = next->second;
      ready_.erase(next);
      lock.unlock();
      for (uint64_t at = hashed_; at < end;) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), end - at));
        ssize_t n = ::pread(fd_, buffer.data(), want, static_cast<off_t>(at));
        if (n <= 0) {
          failed_ = true;
          return;
        }
        digest_.update(std::string_view(buffer.data(), static_cast<size_t>(n)));
        at += static_cast<uint64_t>(n);
      }
      lock.lock();
      hashed_ = end;
    }
  }

  int fd_;
  DigestStream digest_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<uint64_t, uint64_t> ready_;  // start -> end, not yet hashed
  uint64_t hashed_ = 0;
  bool closing_ = false;
  bool failed_ = false;
  std::thread worker_;  // last: starts once the members above exist
};

}  // namespace

std::optional<BlobFetch> download_blob_ranged(HubApi& api, const HttpClient& http,
                                              const Config& config, const BlobTarget& target,
                                              const RepoRef& repo, FileMetadata meta,
                                              const std::function<FileMetadata()>& refresh,
                                              const ByteProgress& progress,
                                              const TransferSettings& settings) {
  BlobFetch stats;
  ResumeJournal journal = ResumeJournal::open(target.partial_dir, meta.etag, meta.size);
  if (journal.resumed_bytes() > 0 && progress) progress(journal.resumed_bytes());
  PrefixHasher hasher(journal.fd(), meta.size);
  for (const auto& [start, range] : journal.done()) hasher.add(range.start, range.end);
  int streams = std::max(1, settings.streams);
  uint64_t part_bytes = settings.part_bytes;
  if (part_bytes == 0) {
    part_bytes = std::clamp<uint64_t>(meta.size / (4 * streams), 16ull << 20, 64ull << 20);
  }
  std::deque<Part> todo = missing_parts(journal.done(), meta.size, part_bytes);
  // Below this a stolen half is not worth its request and the connection it closes.
  const uint64_t min_piece = std::clamp<uint64_t>(part_bytes / 8, 16 << 10, 4 << 20);

  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(),
                                                              curl_multi_cleanup);
  curl_multi_setopt(multi.get(), CURLMOPT_MAX_HOST_CONNECTIONS,
                    static_cast<long>(settings.streams));
  std::list<Transfer> active;
  int failures = 0;
  int refreshes = 0;
  Clock& clock = system_clock();
  RateBudget budget{settings.rate_limit, &stats.bytes_fetched, &clock, clock.now_s()};

  auto start_transfer = [&](Part part) {
    Transfer& t = active.emplace_back();
    t.part = part;
    t.requested_end = part.end;
    t.file_size = meta.size;
    t.started_s = clock.now_s();
    t.fd = journal.fd();
    t.progress = &progress;
    t.bytes_fetched = &stats.bytes_fetched;
    t.budget = &budget;
    t.crc = crc32_of(0, nullptr, 0);
    t.range = std::to_string(part.start) + "-" + std::to_string(part.end - 1);
    t.easy = curl_easy_init();
    t.headers = curl_slist_append(nullptr, "Accept-Encoding: identity");
    CURL* e = t.easy;
    curl_easy_setopt(e, CURLOPT_URL, meta.location.c_str());
    curl_easy_setopt(e, CURLOPT_RANGE, t.range.c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);  // never a token: this is storage
    http.apply_common_options(e, config.etag_timeout_s, config.download_timeout_s);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 256L << 10);  // fewer callbacks and pwrite calls
    curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    curl_multi_add_handle(multi.get(), e);
  };
  auto end_transfer = [&](Transfer& t) {
    curl_multi_remove_handle(multi.get(), t.easy);
    curl_easy_cleanup(t.easy);
    curl_slist_free_all(t.headers);
  };
  auto cleanup_all = [&] {
    for (Transfer& t : active) end_transfer(t);
    active.clear();
  };

  try {
    while (!todo.empty() || !active.empty()) {
      while (static_cast<int>(active.size()) < streams && !todo.empty()) {
        start_transfer(todo.front());
        todo.pop_front();
      }
      // Near the end a slow stream would hold up the whole file: an idle stream takes the
      // second half of what the slowest one still has to fetch.
      if (static_cast<int>(active.size()) < streams && todo.empty()) {
        if (Transfer* victim = tail_to_split(active, min_piece, clock.now_s())) {
          uint64_t from = victim->part.start + victim->received;
          uint64_t cut = from + (victim->part.end - from) / 2;
          todo.push_back({cut, victim->part.end});
          victim->part.end = cut;
          victim->shortened = true;
          continue;
        }
      }
      if (budget.bytes_per_s > 0) {
        double ahead = budget.ahead_s();
        if (ahead > 0) {
          clock.sleep_s(std::min(ahead, 0.05));
        } else {
          for (Transfer& t : active) {
            if (!t.paused) continue;
            t.paused = false;
            curl_easy_pause(t.easy, CURLPAUSE_CONT);
          }
        }
      }
      int running = 0;
      curl_multi_perform(multi.get(), &running);
      curl_multi_poll(multi.get(), nullptr, 0, 100, nullptr);
      curl_multi_perform(multi.get(), &running);
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi.get(), &queued)) {
        if (msg->msg != CURLMSG_DONE) continue;
        Transfer* t = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
        CURLcode code = msg->data.result;
        Part part = t->part;
        uint64_t length = part.end - part.start;
        bool got_all = code == CURLE_OK || (t->shortened && code == CURLE_WRITE_ERROR);
        bool complete = got_all && t->status == 206 && !t->wrong_range && t->received == length;
        if (t->received > 0 && !t->wrong_range) {
          // Keep what arrived, even from a failed transfer: it is checksummed like the rest.
          journal.record({part.start, part.start + t->received, t->crc});
          hasher.add(part.start, part.start + t->received);
          // Start writing it out now, so the fsync before publishing has little left to wait for.
          ::sync_file_range(journal.fd(), static_cast<off_t>(part.start),
                            static_cast<off_t>(t->received), SYNC_FILE_RANGE_WRITE);
        }
        HttpResult result;
        result.status = t->status;
        if (code != CURLE_OK && !(t->status != 206 && t->status != 0))
          result.transport_error = curl_easy_strerror(code);
        bool write_failed = t->write_failed;
        long status = t->status;
        bool ignored_range = status == 200;
        uint64_t received = t->received;
        bool wrong_range = t->wrong_range;
        end_transfer(*t);
        active.remove_if([&](const Transfer& x) { return &x == t; });

        if (complete) continue;
        if (write_failed)
          throw Error(ErrorKind::Io, "cannot write " + journal.data_path().string());
        if (ignored_range) {
          cleanup_all();
          return std::nullopt;
        }
        todo.push_front({part.start + (wrong_range ? 0 : received), part.end});
        if (wrong_range) continue;
        if (status == 403 && refreshes < 3) {
          ++refreshes;
          FileMetadata fresh = refresh();
          if (fresh.etag != meta.etag || fresh.size != meta.size) {
            throw Error(ErrorKind::Integrity, "the file changed on the Hub during the download");
          }
          meta.location = fresh.location;
          continue;
        }
        if (result.ok() && !api.is_retryable(result) && result.status != 206 &&
            result.status != 0) {
          throw api.error_for(result, meta.location, repo, "file");
        }
        if (received > 0) {
          failures = 0;  // progress: not charged, as in huggingface_hub
          ++stats.resumes;
          continue;
        }
        if (++failures > api.max_retries())
          throw api.error_for(result, meta.location, repo, "file");
        api.backoff(failures - 1, result);
      }
    }
  } catch (...) {
    cleanup_all();
    throw;
  }

  uint64_t hashed = hasher.finish();
  std::string got = hasher.hex();
  if (hashed != meta.size || got != meta.etag) {
    journal.discard();  // wrong content: never resume from it
    throw Error(ErrorKind::Integrity, "sha256 mismatch for " + url_for_display(meta.location) +
                                          ": expected " + meta.etag + ", got " + got)
        .with_url(url_for_display(meta.location));
  }
  if (::fsync(journal.fd()) != 0)
    throw Error(ErrorKind::Io, "cannot flush " + journal.data_path().string());
  std::error_code ec;
  std::filesystem::create_directories(target.final_path.parent_path(), ec);
  if (::rename(journal.data_path().c_str(), target.final_path.c_str()) != 0) {
    throw Error(ErrorKind::Io, "cannot publish " + target.final_path.string());
  }
  journal.finish();
  return stats;
}

}  // namespace oclip::hub
