// The local Hub's file answers: resolve, resolve-cache, raw, and the storage site, with
// Range and the body faults.
#include <algorithm>
#include <chrono>

#include "core/hash.h"
#include "local_hub.h"
#include "responses.h"

namespace local_hub {
namespace {

struct ByteRange {
  uint64_t start = 0;
  uint64_t end = 0;  // inclusive
};

enum class RangeResult { None, Ok, Unsatisfiable };

// One range of the forms bytes=A-, bytes=A-B, bytes=-N. Anything else is ignored, as servers do.
RangeResult parse_range(const std::string& header, uint64_t size, ByteRange& range) {
  if (header.rfind("bytes=", 0) != 0 || header.find(',') != std::string::npos)
    return RangeResult::None;
  std::string spec = header.substr(6);
  size_t dash = spec.find('-');
  if (dash == std::string::npos) return RangeResult::None;
  std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
  auto digits = [](const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), ::isdigit);
  };
  if (a.empty()) {
    if (!digits(b)) return RangeResult::None;
    uint64_t n = std::stoull(b);
    if (n == 0 || size == 0) return RangeResult::Unsatisfiable;
    range = {size - std::min(n, size), size - 1};
    return RangeResult::Ok;
  }
  if (!digits(a) || (!b.empty() && !digits(b))) return RangeResult::None;
  uint64_t start = std::stoull(a);
  if (start >= size) return RangeResult::Unsatisfiable;
  uint64_t end = b.empty() ? size - 1 : std::min<uint64_t>(std::stoull(b), size - 1);
  if (end < start) return RangeResult::None;
  range = {start, end};
  return RangeResult::Ok;
}

}  // namespace

std::string LocalHub::signed_cdn_url(const Repo& repo, const RepoFile& file) const {
  std::string path = "/lfs/" + repo.object_id + "/" + file.sha256;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  long long expires =
      std::chrono::duration_cast<std::chrono::seconds>(now).count() + options_.url_ttl_s;
  std::string signature = oclip::hmac_sha256_hex(secret_, path + "?" + std::to_string(expires));
  std::string name = file.path.substr(file.path.rfind('/') + 1);
  return "http://127.0.0.1:" + std::to_string(cdn_port_) + path +
         "?Expires=" + std::to_string(expires) + "&Signature=" + signature +
         "&response-content-disposition=" + url_encode("inline; filename=\"" + name + "\"", false);
}

Response LocalHub::resolve(const Request& request, const Repo& repo,
                           const std::vector<std::string>& rest, bool raw) {
  const std::string& auth = request.header("Authorization");
  const User* user = auth.empty() ? nullptr : state_.find_user(auth.substr(7));
  auto split = state_.split_revision(repo, rest);
  if (!split) {
    return text_error(404, "RevisionNotFound", "Invalid rev id: " + (rest.empty() ? "" : rest[0]));
  }
  const Commit& commit = *state_.resolve_revision(repo, split->first);
  if (!state_.has_access_grant(repo, user)) {
    if (!user) {
      return text_error(401, "GatedRepo",
                        "Access to model " + repo.id +
                            " is restricted. You must have access to it and be "
                            "authenticated to access it. Please log in.");
    }
    return text_error(403, "GatedRepo",
                      "Access to model " + repo.id +
                          " is restricted and you are not in the authorized list. "
                          "Visit http://127.0.0.1:" +
                          std::to_string(api_port_) + "/" + repo.id + " to ask for access.");
  }
  auto it = commit.files.find(split->second);
  if (it == commit.files.end()) {
    Response r = text_error(404, "EntryNotFound", "Entry not found");
    r.set_header("X-Repo-Commit", commit.id);
    return r;
  }
  const RepoFile& file = it->second;
  std::string name = file.path.substr(file.path.rfind('/') + 1);

  if (raw) {
    Response r;
    r.set_header("X-Repo-Commit", commit.id);
    r.set_header("ETag", in_quotes(file.blob_id));
    r.set_header("Content-Type", "text/plain; charset=utf-8");
    auto bytes = file.lfs ? std::make_shared<const std::string>(file.pointer) : file.content;
    return serve_bytes(request, "api", bytes, r);
  }
  if (file.lfs) {
    Response r;
    r.status = 302;
    std::string location = signed_cdn_url(repo, file);
    r.set_header("Location", location);
    r.set_header("X-Repo-Commit", commit.id);
    r.set_header("X-Linked-Etag", in_quotes(file.sha256));
    r.set_header("X-Linked-Size", std::to_string(file.content->size()));
    r.set_header("ETag", in_quotes(file.sha256));
    r.set_body("Found. Redirecting to " + location, "text/plain; charset=utf-8");
    return r;
  }
  std::string if_none_match = request.header("If-None-Match");
  if (!if_none_match.empty() && if_none_match == in_quotes(file.blob_id)) {
    Response r;
    r.status = 304;
    r.set_header("ETag", in_quotes(file.blob_id));
    r.set_header("X-Repo-Commit", commit.id);
    return r;
  }
  Response r;
  r.status = 307;
  std::string location = "/api/resolve-cache/models/" + repo.id + "/" + commit.id + "/" +
                         url_encode(file.path, true) + "?%2F" + url_encode(repo.id, false) +
                         "%2Fresolve%2F" + url_encode(split->first, false) + "%2F" +
                         url_encode(file.path, false) + "=&etag=%22" + file.blob_id + "%22";
  r.set_header("Location", location);
  r.set_body("Temporary Redirect. Redirecting to " + location, "text/plain; charset=utf-8");
  return r;
}

Response LocalHub::resolve_cache(const Request& request, const std::string& tail, const User* user,
                                 bool anonymous) {
  // {org}/{name}/{c40}/{path}: regular files, pinned to a commit by the 307 of resolve.
  std::vector<std::string> parts = split_path(tail);
  if (parts.size() < 3) return api_error(404, "", "Not found");
  Repo* repo = state_.find_repo(parts[0] + "/" + parts[1]);
  if (!repo && state_.find_repo(parts[0])) {  // a legacy id without namespace
    parts.insert(parts.begin() + 1, "");
    repo = state_.find_repo(parts[0]);
  }
  if (parts.size() < 4) return api_error(404, "", "Not found");
  if (!repo || !state_.can_read(*repo, user)) {
    return text_error(anonymous ? 401 : 404, "RepoNotFound", "Repository Not Found");
  }
  if (!state_.has_access_grant(*repo, user)) {
    return text_error(anonymous ? 401 : 403, "GatedRepo",
                      "Access to model " + repo->id + " is restricted.");
  }
  auto commit = repo->commits.find(parts[2]);
  if (commit == repo->commits.end())
    return text_error(404, "RevisionNotFound", "Invalid rev id: " + parts[2]);
  auto file = commit->second.files.find(join(parts, 3));
  if (file == commit->second.files.end()) {
    Response r = text_error(404, "EntryNotFound", "Entry not found");
    r.set_header("X-Repo-Commit", commit->first);
    return r;
  }
  // The query is part of the address: a client that drops it gets another answer.
  if (request.param("etag") != in_quotes(file->second.blob_id)) {
    return text_error(400, "", "resolve-cache needs the etag query parameter it was given");
  }
  std::string name = file->first.substr(file->first.rfind('/') + 1);
  Response r;
  r.set_header("X-Repo-Commit", commit->first);
  r.set_header("ETag", in_quotes(file->second.blob_id));
  r.set_header("Content-Type", "text/plain; charset=utf-8");
  r.set_header("Content-Disposition", "inline; filename*=UTF-8''" + url_encode(name, false) +
                                          "; filename=\"" + name + "\";");
  return serve_bytes(request, "api", file->second.content, r);
}

Response LocalHub::handle_cdn(const Request& request) {
  if (auto fault = faults_.take({FaultKind::Status}, "cdn", request.method, request.path)) {
    Response r = storage_error(static_cast<int>(fault->value), "SlowDown", "injected fault");
    if (fault->retry_after >= 0) r.set_header("Retry-After", std::to_string(fault->retry_after));
    r.note = "status=" + std::to_string(fault->value);
    return r;
  }
  // Storage takes the signature as the only credential; S3 refuses a second one.
  if (!request.header("Authorization").empty()) {
    return storage_error(400, "InvalidArgument", "Only one auth mechanism allowed");
  }
  if (request.method == "PUT" && request.path.rfind("/lfs-upload/", 0) == 0) {
    return storage_put(request);
  }
  std::vector<std::string> parts = split_path(request.path);
  if (parts.size() != 4 || parts[1] != "lfs")
    return storage_error(404, "NoSuchKey", "The specified key does not exist.");
  std::string expires = request.param("Expires");
  std::string expected = oclip::hmac_sha256_hex(secret_, request.path + "?" + expires);
  if (expires.empty() || request.param("Signature") != expected) {
    return storage_error(403, "AccessDenied", "Invalid signature");
  }
  auto now = std::chrono::system_clock::now().time_since_epoch();
  if (std::chrono::duration_cast<std::chrono::seconds>(now).count() > std::stoll(expires)) {
    return storage_error(403, "AccessDenied", "Request has expired");
  }
  StoredObject object;
  {
    std::lock_guard<std::mutex> lock(objects_mutex_);
    auto it = lfs_objects_.find(parts[3]);
    if (it == lfs_objects_.end())
      return storage_error(404, "NoSuchKey", "The specified key does not exist.");
    object = it->second;
  }
  Response r;
  r.set_header("ETag", in_quotes(object.storage_etag));
  r.set_header("Content-Type", "application/octet-stream");
  std::string disposition = request.param("response-content-disposition");
  if (!disposition.empty()) r.set_header("Content-Disposition", disposition);
  return serve_bytes(request, "cdn", object.content, r);
}

Response LocalHub::serve_bytes(const Request& request, const std::string& site,
                               std::shared_ptr<const std::string> bytes, Response r) {
  uint64_t size = bytes->size();
  r.set_header("Accept-Ranges", "bytes");
  ByteRange range;
  RangeResult result = parse_range(request.header("Range"), size, range);
  if (result != RangeResult::None &&
      faults_.take({FaultKind::IgnoreRange}, site, request.method, request.path)) {
    result = RangeResult::None;
    r.note = "ignore-range";
  }
  if (result == RangeResult::Unsatisfiable) {
    Response e = site == "cdn"
                     ? storage_error(416, "InvalidRange", "The requested range is not satisfiable")
                     : text_error(416, "", "Requested Range Not Satisfiable");
    e.set_header("Content-Range", "bytes */" + std::to_string(size));
    return e;
  }
  if (result == RangeResult::Ok) {
    r.status = 206;
    r.set_header("Content-Range", "bytes " + std::to_string(range.start) + "-" +
                                      std::to_string(range.end) + "/" + std::to_string(size));
    r.set_window(bytes, range.start, range.end - range.start + 1);
  } else {
    r.status = 200;
    r.set_window(bytes, 0, size);
  }
  if (request.method != "GET") return r;

  auto note = [&r](const std::string& what) { r.note += (r.note.empty() ? "" : ",") + what; };
  if (auto f = faults_.take({FaultKind::Corrupt}, site, request.method, request.path)) {
    if (r.length > 0) {
      std::string copy = r.data->substr(r.offset, r.length);
      copy[copy.size() / 2] ^= 0x5a;
      r.set_window(std::make_shared<const std::string>(std::move(copy)), 0, r.length);
      note("corrupt");
    }
  }
  if (auto f = faults_.take({FaultKind::Drop}, site, request.method, request.path)) {
    r.delivery.drop_after = f->value;
    note("drop=" + std::to_string(f->value));
  }
  if (auto f = faults_.take({FaultKind::Stall}, site, request.method, request.path)) {
    r.delivery.stall_ms = static_cast<int>(f->value);
    note("stall=" + std::to_string(f->value));
  }
  if (auto f = faults_.take({FaultKind::Throttle}, site, request.method, request.path)) {
    r.delivery.throttle_bytes_per_s = f->value * 1024;
  }
  return r;
}

}  // namespace local_hub
