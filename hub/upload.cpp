#include "hub/upload.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <span>
#include <thread>

#include "core/base64.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/mapped_file.h"
#include "hub/pull.h"

namespace oclip::hub {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr size_t kFilesPerCall = 256;  // preupload and LFS batch, as huggingface_hub sends
constexpr size_t kSampleBytes = 512;
constexpr uint64_t kMaxRegularFile = 10 * 1024 * 1024;  // the Hub refuses larger regular files
// A commit or a multipart completion sends nothing back while the server works on it; the
// Hub gives a commit up to 60 s.
constexpr double kServerWorkTimeout = 120;
const char* const kLfsJson = "application/vnd.git-lfs+json";

// The bytes of a file to send: from memory, or mapped from disk for as long as it is needed.
class FileBytes {
 public:
  explicit FileBytes(const LocalFile& file) : file_(file) {
    if (!file.content && file.size > 0) mapped_ = std::make_unique<MappedFile>(file.source);
  }
  std::string_view view() const {
    if (file_.content) return *file_.content;
    if (!mapped_) return {};
    auto bytes = mapped_->bytes();
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  // Drops the pages of bytes already sent or hashed, so a multi-GB file is not all resident.
  void release(std::string_view range) const {
    if (mapped_) mapped_->release(std::as_bytes(std::span(range.data(), range.size())));
  }

 private:
  const LocalFile& file_;
  std::unique_ptr<MappedFile> mapped_;
};

std::string api_base(const Config& config, const RepoRef& repo) {
  return config.endpoint + "/api/" + repo.type + "s/" + repo.id;
}

std::string message_of(const HttpResult& result) {
  auto body = json::parse(result.body, nullptr, false);
  if (body.is_object()) {
    for (const char* key : {"error", "message", "error_description"}) {
      if (body.contains(key) && body[key].is_string()) return body[key];
    }
  }
  return result.header("X-Error-Message");
}

// Write-side statuses get their own words; the rest reads as it does for pulls.
Error write_error(HubApi& api, const Config& config, const HttpResult& result,
                  const std::string& url, const RepoRef& repo, const std::string& what) {
  std::string shown = url_for_display(url);
  auto make = [&](ErrorKind kind, const std::string& text) {
    return Error(kind, text)
        .with_url(shown)
        .with_http_status(static_cast<int>(result.status))
        .with_error_code(result.header("X-Error-Code"))
        .with_request_id(result.header("X-Request-Id"));
  };
  std::string message = message_of(result);
  if (result.ok() && result.status == 401 && config.token.empty()) {
    return make(ErrorKind::Auth, what + " needs a token with write access")
        .with_hint("run 'oclip login' or set HF_TOKEN");
  }
  if (result.ok() && result.status == 403) {
    return make(ErrorKind::Auth, "the token from " + config.token_source + " cannot write to " +
                                     repo.id + (message.empty() ? "" : ": " + message))
        .with_hint("use a token with write access to the repo's namespace");
  }
  if (result.ok() && result.status == 412) {
    return make(ErrorKind::Conflict,
                "the branch moved while pushing to " + repo.id + ": nothing was committed")
        .with_hint("run the push again; it uploads only what the repo still lacks");
  }
  if (result.ok() && (result.status == 400 || result.status == 413 || result.status == 422)) {
    return make(ErrorKind::Io, "the Hub refused " + what + " (HTTP " +
                                   std::to_string(result.status) + "): " + message);
  }
  if (result.ok() && result.status >= 500 && what == "the commit") {
    return make(ErrorKind::Network, "the Hub answered HTTP " + std::to_string(result.status) +
                                        " to the commit, which is not repeated blindly")
        .with_hint("run the push again: it sends only what the repo still lacks");
  }
  return api.error_for(result, url, repo, what);
}

HttpResult post_json(HubApi& api, const Config& config, const std::string& url, const json& body,
                     const RepoRef& repo, const std::string& what, HubApi::Retry retry,
                     const std::string& content_type = "application/json", bool token = true) {
  HttpRequest request;
  request.method = "POST";
  request.stall_timeout_s = kServerWorkTimeout;
  request.url = url;
  request.body = body.dump();
  request.headers = {"Content-Type: " + content_type, "Accept: " + content_type};
  request.send_token = token;
  HttpResult result = api.send(request, retry);
  if (!result.ok() || result.status < 200 || result.status >= 300) {
    throw write_error(api, config, result, url, repo, what);
  }
  return result;
}

json parse_answer(const HttpResult& result, const std::string& url, const std::string& what) {
  json body = json::parse(result.body, nullptr, false);
  if (!body.is_object()) {
    throw Error(ErrorKind::Format, "the Hub's answer to " + what + " is not a JSON object")
        .with_url(url_for_display(url));
  }
  return body;
}

// POST /api/repos/create; a 409 "already created" means it exists (hub-protocol 5.6).
bool create_repo(HubApi& api, const Config& config, RepoRef& repo, bool private_repo) {
  std::string url = config.endpoint + "/api/repos/create";
  size_t slash = repo.id.find('/');
  json body = {{"name", slash == std::string::npos ? repo.id : repo.id.substr(slash + 1)},
               {"type", repo.type},
               {"visibility", private_repo ? "private" : "public"}};
  if (slash != std::string::npos) body["organization"] = repo.id.substr(0, slash);
  for (int attempt = 0;; ++attempt) {
    HttpRequest request;
    request.method = "POST";
    request.url = url;
    request.body = body.dump();
    request.headers = {"Content-Type: application/json"};
    request.send_token = true;
    HttpResult result = api.send(request, HubApi::Retry::Idempotent);
    if (result.ok() && result.status == 200) {
      json answer = parse_answer(result, url, "create repo");
      if (answer.contains("name") && answer["name"].is_string()) repo.id = answer["name"];
      return true;
    }
    std::string message = message_of(result);
    if (result.ok() && result.status == 409) {
      if (message.find("conflicting operation") != std::string::npos &&
          attempt < config.max_retries) {
        api.backoff(attempt, result);
        continue;
      }
      return false;
    }
    if (result.ok() && (result.status == 401 || result.status == 402 || result.status == 403)) {
      // The repo may exist anyway (a token without the create scope): fine if it is readable.
      try {
        api.resolve_commit(repo, "main");
        return false;
      } catch (const Error&) {
      }
    }
    throw write_error(api, config, result, url, repo, "creating " + repo.id);
  }
}

struct RemoteHead {
  bool repo_exists = false;
  bool branch_exists = false;
  std::string commit;
};

RemoteHead remote_head(HubApi& api, const RepoRef& repo, const std::string& revision) {
  RemoteHead head;
  try {
    head.commit = api.resolve_commit(repo, revision);
    head.repo_exists = head.branch_exists = true;
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::NotFound) throw;
    head.repo_exists = e.error_code() == "RevisionNotFound";
  }
  return head;
}

struct Planned {
  const LocalFile* file;
  PushedFile report;
};

bool needs_commit(const Planned& p) { return !p.report.unchanged && !p.report.ignored; }

// POST preupload in batches: upload mode, ignore rule and remote oid per file (hub-protocol 6.3).
void preupload(HubApi& api, const Config& config, const PushOptions& options, const RepoRef& repo,
               std::vector<Planned>& plan) {
  std::string url = api_base(config, repo) + "/preupload/" + url_encode(options.revision, false) +
                    (options.create_pr ? "?create_pr=1" : "");
  for (size_t start = 0; start < plan.size(); start += kFilesPerCall) {
    size_t end = std::min(plan.size(), start + kFilesPerCall);
    json files = json::array();
    for (size_t i = start; i < end; ++i) {
      FileBytes bytes(*plan[i].file);
      files.push_back({{"path", plan[i].file->path},
                       {"size", plan[i].file->size},
                       {"sample", base64_encode(bytes.view().substr(0, kSampleBytes))}});
    }
    HttpResult result = post_json(api, config, url, {{"files", files}}, repo, "the preupload",
                                  HubApi::Retry::Idempotent);
    json answer = parse_answer(result, url, "preupload");
    std::map<std::string, json> by_path;
    if (answer.contains("files") && answer["files"].is_array()) {
      for (const json& f : answer["files"]) {
        if (f.is_object() && f.contains("path") && f["path"].is_string()) by_path[f["path"]] = f;
      }
    }
    for (size_t i = start; i < end; ++i) {
      Planned& p = plan[i];
      auto it = by_path.find(p.file->path);
      std::string mode = it == by_path.end() ? "" : it->second.value("uploadMode", "");
      if (mode != "lfs" && mode != "regular") {
        throw Error(ErrorKind::Format,
                    "the preupload answer gives no upload mode for " + p.file->path)
            .with_url(url_for_display(url));
      }
      // Storage refuses empty objects: an empty file is always regular.
      p.report.mode = p.file->size == 0 ? "regular" : mode;
      std::string remote_oid = it->second.value("oid", "");
      std::string local_oid = p.report.mode == "lfs" ? p.file->sha256 : p.file->git_sha1;
      p.report.unchanged = !remote_oid.empty() && remote_oid == local_oid;
      p.report.ignored = it->second.value("shouldIgnore", false);
    }
  }
}

struct Transfer {
  size_t object = 0;  // index into the LFS objects
  uint64_t part = 0;  // 1-based; 0: basic transfer of the whole object
  std::string url;
  uint64_t offset = 0;
  uint64_t length = 0;
  std::string etag;  // multipart: the part's ETag, verbatim
};

struct LfsObject {
  const LocalFile* file;
  json actions;
  std::vector<size_t> parts;  // indexes into the transfers
};

// Runs every transfer on `jobs` threads, each part retried alone (hub-protocol 6.5, 6.6, 7.5).
void run_transfers(HubApi& api, const Config& config, std::vector<Transfer>& transfers,
                   const std::vector<LfsObject>& objects, int jobs, const PushEvents& events,
                   std::atomic<uint64_t>& bytes_sent) {
  std::vector<std::unique_ptr<FileBytes>> bytes;
  for (const LfsObject& o : objects) bytes.push_back(std::make_unique<FileBytes>(*o.file));
  std::atomic<size_t> next{0};
  std::mutex mutex;  // the first error, and the progress callback
  std::exception_ptr failure;
  auto worker = [&] {
    HttpClient http(config);
    while (true) {
      size_t index = next++;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (index >= transfers.size() || failure) return;
      }
      Transfer& t = transfers[index];
      std::string_view data = bytes[t.object]->view().substr(t.offset, t.length);
      uint64_t reported = 0;  // a retry sends the bytes again; count each byte once
      auto progress = [&](uint64_t sent) {
        if (sent <= reported) return;
        std::lock_guard<std::mutex> lock(mutex);
        if (events.bytes) events.bytes(sent - reported);
        bytes_sent += sent - reported;
        reported = sent;
      };
      try {
        for (int attempt = 0;; ++attempt) {
          HttpRequest request;
          request.method = "PUT";
          request.url = t.url;
          request.upload = data;
          request.upload_progress = progress;
          request.connect_timeout_s = config.etag_timeout_s;
          request.stall_timeout_s = config.download_timeout_s;
          HttpResult result = http.send(request);
          bool ok = result.ok() && result.status >= 200 && result.status < 300;
          if (ok && t.part > 0) {
            t.etag = result.header("ETag");
            if (t.etag.empty()) {
              throw Error(ErrorKind::Format, "storage gave no ETag for part " +
                                                 std::to_string(t.part) + " of " +
                                                 objects[t.object].file->path)
                  .with_url(url_for_display(t.url));
            }
          }
          if (ok) {
            bytes[t.object]->release(data);
            break;
          }
          bool retry = !result.ok() || result.status >= 500;
          if (!retry || attempt >= config.max_retries) {
            std::string why =
                result.ok() ? "HTTP " + std::to_string(result.status) : result.transport_error;
            if (result.ok() && result.status == 403) why += " (the signed URL expired?)";
            throw Error(ErrorKind::Network, "uploading " + objects[t.object].file->path +
                                                (t.part ? " part " + std::to_string(t.part) : "") +
                                                " failed: " + why)
                .with_url(url_for_display(t.url))
                .with_http_status(static_cast<int>(result.status))
                .with_hint("run the push again: what the server has is not sent twice");
          }
          api.backoff(attempt, result);
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!failure) failure = std::current_exception();
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  int count = std::max(1, std::min<int>(jobs, static_cast<int>(transfers.size())));
  for (int i = 0; i < count; ++i) threads.emplace_back(worker);
  for (std::thread& thread : threads) thread.join();
  if (failure) std::rethrow_exception(failure);
}

// LFS batch, transfers, multipart completion and verify for every object the server lacks.
// `again`: an earlier round sent some of these already, so "no actions" no longer means the
// server had them before the push.
void upload_lfs(HubApi& api, const Config& config, const PushOptions& options, const RepoRef& repo,
                std::vector<Planned*>& lfs, const PushEvents& events, uint64_t& bytes_sent,
                bool again) {
  std::string prefix = repo.type == "model" ? "" : repo.type + "s/";
  std::string url = config.endpoint + "/" + prefix + repo.id + ".git/info/lfs/objects/batch";
  std::vector<LfsObject> objects;
  for (size_t start = 0; start < lfs.size(); start += kFilesPerCall) {
    size_t end = std::min(lfs.size(), start + kFilesPerCall);
    json wanted = json::array();
    for (size_t i = start; i < end; ++i) {
      wanted.push_back({{"oid", lfs[i]->file->sha256}, {"size", lfs[i]->file->size}});
    }
    json body = {{"operation", "upload"},
                 {"transfers", {"basic", "multipart"}},
                 {"objects", wanted},
                 {"hash_algo", "sha256"},
                 {"ref", {{"name", options.revision}}}};
    HttpResult result = post_json(api, config, url, body, repo, "the LFS batch request",
                                  HubApi::Retry::Idempotent, kLfsJson);
    json answer = parse_answer(result, url, "the LFS batch request");
    std::map<std::string, json> by_oid;
    if (answer.contains("objects") && answer["objects"].is_array()) {
      for (const json& o : answer["objects"]) {
        if (o.is_object() && o.contains("oid") && o["oid"].is_string()) by_oid[o["oid"]] = o;
      }
    }
    for (size_t i = start; i < end; ++i) {
      auto it = by_oid.find(lfs[i]->file->sha256);
      if (it == by_oid.end()) {
        throw Error(ErrorKind::Format, "the LFS batch answer leaves out " + lfs[i]->file->path)
            .with_url(url_for_display(url));
      }
      if (it->second.contains("error")) {
        const json& e = it->second["error"];
        throw Error(ErrorKind::Io, "the Hub refused the LFS object of " + lfs[i]->file->path +
                                       ": " + (e.is_object() ? e.value("message", "") : ""))
            .with_url(url_for_display(url));
      }
      if (!it->second.contains("actions") || !it->second["actions"].is_object()) {
        lfs[i]->report.stored = !again;  // no actions: the server has these bytes already
        continue;
      }
      objects.push_back({lfs[i]->file, it->second["actions"], {}});
    }
  }

  std::vector<Transfer> transfers;
  uint64_t total = 0;
  for (size_t o = 0; o < objects.size(); ++o) {
    const json& upload = objects[o].actions.value("upload", json::object());
    const LocalFile& file = *objects[o].file;
    if (!upload.is_object() || !upload.contains("href") || !upload["href"].is_string()) {
      throw Error(ErrorKind::Format, "the LFS batch answer has no upload URL for " + file.path);
    }
    total += file.size;
    json header = upload.value("header", json::object());
    if (!header.is_object() || !header.contains("chunk_size")) {
      transfers.push_back({o, 0, upload["href"], 0, file.size, ""});
      continue;
    }
    uint64_t chunk =
        header["chunk_size"].is_string()
            ? std::strtoull(header["chunk_size"].get<std::string>().c_str(), nullptr, 10)
            : 0;
    std::map<uint64_t, std::string> part_urls;
    for (const auto& [key, value] : header.items()) {
      bool digits = !key.empty() && std::all_of(key.begin(), key.end(), ::isdigit);
      if (digits && value.is_string()) part_urls[std::stoull(key)] = value;
    }
    uint64_t expected = chunk ? (file.size + chunk - 1) / chunk : 0;
    if (chunk == 0 || part_urls.size() != expected || part_urls.begin()->first != 1 ||
        part_urls.rbegin()->first != expected) {
      throw Error(ErrorKind::Format, "the multipart instructions for " + file.path + " give " +
                                         std::to_string(part_urls.size()) + " parts, not " +
                                         std::to_string(expected));
    }
    for (const auto& [n, part_url] : part_urls) {
      objects[o].parts.push_back(transfers.size());
      uint64_t offset = (n - 1) * chunk;
      transfers.push_back({o, n, part_url, offset, std::min(chunk, file.size - offset), ""});
    }
  }
  if (transfers.empty()) return;
  if (events.stage) {
    events.stage("uploading " + std::to_string(objects.size()) + " LFS object" +
                 (objects.size() == 1 ? "" : "s"));
  }
  if (events.transfer_started) events.transfer_started(total);
  std::atomic<uint64_t> sent{0};
  try {
    run_transfers(api, config, transfers, objects, options.jobs, events, sent);
  } catch (...) {
    bytes_sent += sent;
    throw;
  }
  bytes_sent += sent;

  for (const LfsObject& object : objects) {
    const json& upload = object.actions["upload"];
    if (!object.parts.empty()) {
      json parts = json::array();
      for (size_t index : object.parts) {
        parts.push_back({{"partNumber", transfers[index].part}, {"etag", transfers[index].etag}});
      }
      // The completion URL is signed: no token (hub-protocol 6.6).
      post_json(api, config, upload["href"], {{"oid", object.file->sha256}, {"parts", parts}}, repo,
                "completing the upload of " + object.file->path, HubApi::Retry::Idempotent,
                kLfsJson, false);
    }
    json verify = object.actions.value("verify", json::object());
    if (verify.is_object() && verify.contains("href") && verify["href"].is_string()) {
      post_json(api, config, verify["href"],
                {{"oid", object.file->sha256}, {"size", object.file->size}}, repo,
                "verifying " + object.file->path, HubApi::Retry::Idempotent, kLfsJson);
    }
  }
}

std::string commit_payload(const PushOptions& options, const std::string& parent,
                           const std::vector<Planned*>& changed,
                           const std::vector<std::string>& deleted) {
  std::string out;
  json header = {{"summary", options.commit_message}, {"description", options.commit_description}};
  if (!parent.empty()) header["parentCommit"] = parent;
  out += json{{"key", "header"}, {"value", header}}.dump() + "\n";
  for (const Planned* p : changed) {
    if (p->report.mode == "lfs") {
      out += json{{"key", "lfsFile"},
                  {"value",
                   {{"path", p->file->path},
                    {"algo", "sha256"},
                    {"oid", p->file->sha256},
                    {"size", p->file->size}}}}
                 .dump() +
             "\n";
    } else {
      FileBytes bytes(*p->file);
      out += json{{"key", "file"},
                  {"value",
                   {{"path", p->file->path},
                    {"content", base64_encode(bytes.view())},
                    {"encoding", "base64"}}}}
                 .dump() +
             "\n";
    }
  }
  for (const std::string& path : deleted) {
    out += json{{"key", "deletedFile"}, {"value", {{"path", path}}}}.dump() + "\n";
  }
  return out;
}

}  // namespace

LocalFile local_file(const std::string& path, const fs::path& source) {
  LocalFile file;
  file.path = path;
  file.source = source;
  std::error_code ec;
  file.size = fs::file_size(source, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot read " + source.string() + ": " + ec.message());
  FileBytes bytes(file);
  std::string_view all = bytes.view();
  // Larger files can only be LFS, named by their sha256: the git id would be wasted work.
  if (file.size <= kMaxRegularFile) file.git_sha1 = git_blob_sha1_hex(all);
  DigestStream sha256(DigestStream::Kind::Sha256, file.size);
  constexpr size_t kWindow = 64 << 20;
  for (size_t at = 0; at < all.size(); at += kWindow) {
    std::string_view window = all.substr(at, kWindow);
    sha256.update(window);
    bytes.release(window);
  }
  file.sha256 = sha256.hex_digest();
  return file;
}

LocalFile memory_file(const std::string& path, std::string content) {
  LocalFile file;
  file.path = path;
  file.size = content.size();
  file.sha256 = sha256_hex(content);
  file.git_sha1 = git_blob_sha1_hex(content);
  file.content = std::make_shared<const std::string>(std::move(content));
  return file;
}

std::vector<LocalFile> collect_folder(const fs::path& dir, const std::vector<std::string>& include,
                                      const std::vector<std::string>& exclude) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error(ErrorKind::Usage, dir.string() + " is not a folder");
  }
  std::vector<std::string> paths;
  auto options = fs::directory_options::follow_directory_symlink;
  for (auto it = fs::recursive_directory_iterator(dir, options, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::string path = fs::relative(it->path(), dir).generic_string();
    // The metadata huggingface_hub keeps in a --local-dir is not part of the model.
    if (it->is_directory() && (path == ".git" || path == ".cache/huggingface")) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && path_selected(path, include, exclude)) paths.push_back(path);
  }
  if (ec) throw Error(ErrorKind::Io, "cannot list " + dir.string() + ": " + ec.message());
  std::sort(paths.begin(), paths.end());
  std::vector<LocalFile> files;
  for (const std::string& path : paths) files.push_back(local_file(path, dir / path));
  return files;
}

bool remote_file_exists(HubApi& api, const RepoRef& repo, const std::string& revision,
                        const std::string& path) {
  try {
    api.file_metadata(repo, revision, path);
    return true;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound) return false;
    throw;
  }
}

PushResult push(const Config& config, HubApi& api, const std::vector<LocalFile>& files,
                const PushOptions& options, const PushEvents& events) {
  RepoRef repo = options.repo;
  PushResult result;
  bool to_pr_ref = options.revision.rfind("refs/pr/", 0) == 0;
  RemoteHead head = remote_head(api, repo, options.revision);
  if (!head.repo_exists) {
    if (options.dry_run) {
      result.repo_exists = false;
    } else {
      result.repo_created = create_repo(api, config, repo, options.private_repo);
      if (events.stage && result.repo_created) events.stage("created " + repo.id);
      head = remote_head(api, repo, options.revision);
    }
  }
  if (result.repo_exists && !head.branch_exists && !options.dry_run) {
    if (options.create_pr || to_pr_ref) {
      throw Error(ErrorKind::NotFound, "revision " + options.revision + " not found in " + repo.id)
          .with_hint(options.create_pr ? "a pull request starts from an existing branch" : "");
    }
    // A new branch starts from main's head, as `hf upload --revision` does.
    post_json(
        api, config, api_base(config, repo) + "/branch/" + url_encode(options.revision, false),
        json::object(), repo, "creating branch " + options.revision, HubApi::Retry::Idempotent);
    head = remote_head(api, repo, options.revision);
  }
  result.repo_id = repo.id;
  result.revision = options.revision;
  result.parent_commit = head.commit;

  std::vector<Planned> plan;
  for (const LocalFile& file : files) {
    PushedFile report;
    report.path = file.path;
    report.size = file.size;
    report.sha256 = file.sha256;
    plan.push_back({&file, report});
  }
  if (head.branch_exists) preupload(api, config, options, repo, plan);

  std::vector<std::string> deleted;
  if (head.branch_exists && !options.delete_patterns.empty()) {
    std::vector<std::string> uploading;
    for (const LocalFile& f : files) uploading.push_back(f.path);
    for (const TreeEntry& entry : api.list_files(repo, head.commit)) {
      bool replaced = std::find(uploading.begin(), uploading.end(), entry.path) != uploading.end();
      if (!replaced && path_selected(entry.path, options.delete_patterns, {})) {
        deleted.push_back(entry.path);
      }
    }
  }
  result.deleted = deleted;
  std::vector<Planned*> changed, lfs;
  for (Planned& p : plan) {
    if (!needs_commit(p)) continue;
    changed.push_back(&p);
    if (p.report.mode == "lfs") lfs.push_back(&p);
  }
  for (const Planned& p : plan) result.files.push_back(p.report);
  if (options.dry_run || (changed.empty() && deleted.empty())) return result;

  // A signed storage URL that expired mid-push answers 403 and is not retried as is: the LFS
  // batch is asked again and answers for the objects still missing (hub-protocol 6.6, 7.5).
  for (int round = 0;; ++round) {
    try {
      upload_lfs(api, config, options, repo, lfs, events, result.bytes_sent, round > 0);
      break;
    } catch (const Error& e) {
      bool expired = e.kind() == ErrorKind::Network && e.http_status() == 403;
      if (!expired || round >= 2) throw;
      if (events.stage) events.stage("an upload URL was refused (expired?); asking again");
    }
  }
  for (size_t i = 0; i < plan.size(); ++i) result.files[i].stored = plan[i].report.stored;

  std::string url = api_base(config, repo) + "/commit/" + url_encode(options.revision, false) +
                    (options.create_pr ? "?create_pr=1" : "");
  if (events.stage) events.stage("committing " + std::to_string(changed.size()) + " files");
  HttpRequest request;
  request.method = "POST";
  request.stall_timeout_s = kServerWorkTimeout;
  request.url = url;
  request.body = commit_payload(options, head.commit, changed, deleted);
  request.headers = {"Content-Type: application/x-ndjson"};
  request.send_token = true;
  // With parentCommit a repeated commit fails with 412 rather than landing twice.
  HttpResult answer =
      api.send(request, head.commit.empty() ? HubApi::Retry::Never : HubApi::Retry::RateLimits);
  if (!answer.ok() || answer.status != 200) {
    throw write_error(api, config, answer, url, repo, "the commit");
  }
  json body = parse_answer(answer, url, "the commit");
  result.committed = true;
  result.commit_oid = body.value("commitOid", "");
  result.commit_url = body.value("commitUrl", "");
  result.pr_url = body.value("pullRequestUrl", "");
  if (result.commit_oid.empty()) {
    throw Error(ErrorKind::Format, "the commit answer has no commitOid").with_url(url);
  }
  return result;
}

}  // namespace oclip::hub
