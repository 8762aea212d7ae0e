// The local Hub's write side (hub-protocol.md §5.6, §5.9, §6): create repo, branches,
// preupload, the LFS batch API with basic and multipart transfers on the storage site,
// verify, and NDJSON commits with parentCommit and pull requests.
#include <algorithm>
#include <chrono>
#include <random>
#include <regex>
#include <sstream>

#include "core/base64.h"
#include "core/hash.h"
#include "local_hub.h"
#include "responses.h"

namespace local_hub {
namespace {

constexpr uint64_t kMaxRegularFile = 10 * 1024 * 1024;
constexpr uint64_t kMaxBinaryRegularFile = 1000 * 1000;
constexpr size_t kMaxFilesPerCall = 1000;

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_sha256(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return std::isdigit(c) || (c >= 'a' && c <= 'f');
         });
}

// What the Hub refuses as a path in a commit (hub-protocol 6.8).
bool valid_repo_path(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.size() > 1000) return false;
  for (const std::string& segment : split_path(path)) {
    if (segment.empty() || segment == "." || segment == ".." || segment == ".git") return false;
  }
  return true;
}

bool looks_binary(const std::string& bytes) { return bytes.find('\0') != std::string::npos; }

long long now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Response lfs_json(const Json& body) {
  Response r;
  r.set_body(body.dump(), "application/vnd.git-lfs+json");
  return r;
}

Response lfs_error(int status, const std::string& message) {
  Response r;
  r.status = status;
  r.set_body(Json{{"message", message}}.dump(), "application/vnd.git-lfs+json");
  return r;
}

}  // namespace

std::string LocalHub::base_url() const { return "http://127.0.0.1:" + std::to_string(api_port_); }

std::string LocalHub::sign(const std::string& what, long long expires) const {
  return oclip::hmac_sha256_hex(secret_, what + "?" + std::to_string(expires));
}

bool LocalHub::signature_ok(const std::string& what, const Request& request) const {
  std::string expires = request.param("Expires");
  if (expires.empty() || !std::all_of(expires.begin(), expires.end(), ::isdigit)) return false;
  return request.param("Signature") == sign(what, std::stoll(expires)) &&
         now_s() <= std::stoll(expires);
}

std::string LocalHub::signed_url(const std::string& origin, const std::string& path,
                                 const std::string& extra_query) const {
  long long expires = now_s() + options_.url_ttl_s;
  std::string query = extra_query.empty() ? "" : extra_query + "&";
  return origin + path + "?" + query + "Expires=" + std::to_string(expires) +
         "&Signature=" + sign(path + extra_query, expires);
}

Response LocalHub::write_refused(const User* user, const std::string& what) const {
  if (!user) return api_error(401, "", "You must be authenticated to " + what);
  return api_error(403, "", "You don't have the rights to " + what);
}

Response LocalHub::create_repo(const Request& request, const User* user) {
  Json body = Json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body.contains("name") || !body["name"].is_string()) {
    return api_error(400, "", "\"name\" is required");
  }
  std::string name = body["name"];
  std::string organization = body.value("organization", "");
  if (!user) return api_error(401, "", "You must be authenticated to create a repo");
  std::string owner = organization.empty() ? user->name : organization;
  static const std::regex kName(R"([A-Za-z0-9][A-Za-z0-9._-]{0,95})");
  if (!std::regex_match(name, kName) || name.find("--") != std::string::npos ||
      name.find("..") != std::string::npos || ends_with(name, ".git")) {
    return api_error(400, "", "Invalid repo name: " + name);
  }
  if (body.value("type", "model") != "model") {
    return api_error(400, "", "this local Hub serves model repos only");
  }
  std::string id = owner + "/" + name;
  if (!state_.can_write(owner, user)) {
    return write_refused(user, "create a model under the namespace \"" + owner + "\"");
  }
  if (state_.find_repo(id)) {
    Response r = json_response(
        {{"error", "You already created this model repo"}, {"url", base_url() + "/" + id}});
    r.status = 409;
    return r;
  }
  bool is_private = body.value("visibility", "") == "private" ||
                    (body.contains("private") && body["private"].is_boolean() && body["private"]);
  Repo& repo = state_.create_repo(id, is_private);
  return json_response({{"url", base_url() + "/" + id}, {"name", id}, {"id", repo.object_id}});
}

Response LocalHub::create_branch(const Request& request, Repo& repo, const std::string& branch,
                                 const User* user) {
  if (!state_.can_write(repo.id.substr(0, repo.id.find('/')), user)) {
    return write_refused(user, "create a branch in " + repo.id);
  }
  Json body = Json::parse(request.body.empty() ? "{}" : request.body, nullptr, false);
  if (!body.is_object()) return api_error(400, "", "invalid JSON body");
  if (branch.empty() || branch.rfind("refs/", 0) == 0 || !valid_repo_path(branch)) {
    return api_error(400, "", "Invalid branch name: " + branch);
  }
  if (repo.branches.count(branch) && !body.value("overwrite", false)) {
    return api_error(409, "", "Reference already exists: refs/heads/" + branch);
  }
  std::string start = body.value("startingPoint", "main");
  const Commit* commit = state_.resolve_revision(repo, start);
  if (!commit) return api_error(404, "RevisionNotFound", "Invalid rev id: " + start);
  repo.branches[branch] = commit->id;
  return json_response(Json::object());
}

Response LocalHub::preupload(const Request& request, const Repo& repo, const std::string& revision,
                             const User* user) {
  if (!state_.can_write(repo.id.substr(0, repo.id.find('/')), user)) {
    return write_refused(user, "write to " + repo.id);
  }
  const Commit* commit = state_.resolve_revision(repo, revision);
  if (!commit) return api_error(404, "RevisionNotFound", "Invalid rev id: " + revision);
  Json body = Json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body.contains("files") || !body["files"].is_array()) {
    return api_error(400, "", "\"files\" must be an array");
  }
  if (body["files"].size() > kMaxFilesPerCall) return api_error(413, "", "Too many files");
  std::string attributes;
  if (body.contains("gitAttributes") && body["gitAttributes"].is_string()) {
    attributes = body["gitAttributes"];
  } else if (auto it = commit->files.find(".gitattributes"); it != commit->files.end()) {
    attributes = *it->second.content;
  }
  Json out = Json::array();
  for (const Json& file : body["files"]) {
    if (!file.is_object() || !file.contains("path") || !file["path"].is_string() ||
        !file.contains("size") || !file["size"].is_number_unsigned() || !file.contains("sample") ||
        !file["sample"].is_string()) {
      return api_error(400, "", "each file needs path, size and sample");
    }
    std::string path = file["path"];
    if (!valid_repo_path(path)) return api_error(400, "", "Invalid path: " + path);
    auto sample = oclip::base64_decode(file["sample"].get<std::string>());
    if (!sample) return api_error(400, "", "sample is not base64: " + path);
    uint64_t size = file["size"];
    bool lfs = size >= state_.lfs_threshold || lfs_by_attributes(attributes, path) ||
               (size > kMaxBinaryRegularFile && looks_binary(*sample));
    Json entry = {{"path", path}, {"uploadMode", lfs ? "lfs" : "regular"}, {"shouldIgnore", false}};
    if (auto it = commit->files.find(path); it != commit->files.end()) {
      entry["oid"] = it->second.lfs ? it->second.sha256 : it->second.blob_id;
    }
    out.push_back(entry);
  }
  return json_response({{"files", out}});
}

Response LocalHub::lfs_batch(const Request& request, const std::string& id, const User* user) {
  Repo* repo = state_.find_repo(id);
  if (!repo || !state_.can_read(*repo, user)) {
    return api_error(user ? 404 : 401, "RepoNotFound", "Repository not found");
  }
  Json body = Json::parse(request.body, nullptr, false);
  if (!body.is_object() || body.value("operation", "") != "upload" || !body.contains("objects") ||
      !body["objects"].is_array()) {
    return lfs_error(422, "expected an upload operation with objects");
  }
  if (!state_.can_write(id.substr(0, id.find('/')), user)) {
    return write_refused(user, "write to " + id);
  }
  if (body.contains("ref") && body["ref"].is_object()) {
    std::string ref = body["ref"].value("name", "");
    if (!repo->branches.count(ref) && !repo->branches.count("refs/heads/" + ref)) {
      return api_error(404, "RevisionNotFound", "Invalid rev id: " + ref);
    }
  }
  bool multipart_allowed = false;
  if (body.contains("transfers") && body["transfers"].is_array()) {
    for (const Json& t : body["transfers"]) multipart_allowed |= t == "multipart";
  }
  std::string verify = base_url() + "/" + id + ".git/info/lfs/objects/verify";
  std::string cdn = "http://127.0.0.1:" + std::to_string(cdn_port_);
  Json objects = Json::array();
  bool any_multipart = false;
  std::lock_guard<std::mutex> lock(objects_mutex_);
  for (const Json& object : body["objects"]) {
    std::string oid = object.is_object() ? object.value("oid", "") : "";
    bool sized =
        object.is_object() && object.contains("size") && object["size"].is_number_unsigned();
    if (!is_sha256(oid) || !sized) {
      objects.push_back({{"oid", oid}, {"error", {{"code", 422}, {"message", "Invalid oid"}}}});
      continue;
    }
    uint64_t size = object["size"];
    Json entry = {{"oid", oid}, {"size", size}, {"authenticated", true}};
    auto stored = lfs_objects_.find(oid);
    if (stored != lfs_objects_.end() && stored->second.content->size() == size) {
      objects.push_back(entry);  // no actions: already stored
      continue;
    }
    uint64_t chunk = options_.chunk_size;
    if (!multipart_allowed || size <= options_.multipart_threshold) {
      std::string path = "/lfs-upload/" + oid;
      entry["actions"] = {
          {"upload", {{"href", signed_url(cdn, path, "size=" + std::to_string(size))}}},
          {"verify", {{"href", verify}}}};
    } else {
      any_multipart = true;
      std::string upload_id = oclip::sha1_hex(secret_ + oid + std::to_string(++upload_counter_));
      uint64_t count = (size + chunk - 1) / chunk;
      Json header = {{"chunk_size", std::to_string(chunk)}};
      for (uint64_t n = 1; n <= count; ++n) {
        char key[16];
        std::snprintf(key, sizeof key, "%05llu", static_cast<unsigned long long>(n));
        header[key] =
            signed_url(cdn, "/lfs-upload/" + oid + "/" + upload_id + "/" + std::to_string(n), "");
      }
      uploads_[upload_id] = {oid, size, chunk, {}};
      entry["actions"] = {
          {"upload",
           {{"href", signed_url(base_url(), "/api/complete_multipart", "uploadId=" + upload_id)},
            {"header", header}}},
          {"verify", {{"href", verify}}}};
    }
    objects.push_back(entry);
  }
  return lfs_json({{"transfer", any_multipart ? "multipart" : "basic"}, {"objects", objects}});
}

Response LocalHub::storage_put(const Request& request) {
  std::vector<std::string> parts = split_path(request.path);  // "", lfs-upload, oid[, id, n]
  if (!signature_ok(request.path + (parts.size() == 3 ? "size=" + request.param("size") : ""),
                    request)) {
    return storage_error(403, "AccessDenied", "Request has expired or the signature is invalid");
  }
  if (faults_.take({FaultKind::Drop}, "cdn", request.method, request.path)) {
    Response r;
    r.delivery.hang_up = true;
    r.note = "hang-up";
    return r;
  }
  std::lock_guard<std::mutex> lock(objects_mutex_);
  if (parts.size() == 3) {
    const std::string& oid = parts[2];
    if (std::to_string(request.body.size()) != request.param("size") ||
        oclip::sha256_hex(request.body) != oid) {
      return storage_error(400, "BadDigest", "The content does not match its sha256 and size");
    }
    auto content = std::make_shared<const std::string>(request.body);
    lfs_objects_[oid] = {content, oclip::md5_hex(*content)};
    Response r;
    r.set_header("ETag", in_quotes(lfs_objects_[oid].storage_etag));
    return r;
  }
  auto upload = parts.size() == 5 ? uploads_.find(parts[3]) : uploads_.end();
  if (upload == uploads_.end() || upload->second.oid != parts[2]) {
    return storage_error(404, "NoSuchUpload", "The specified upload does not exist.");
  }
  PendingUpload& pending = upload->second;
  uint64_t n = std::strtoull(parts[4].c_str(), nullptr, 10);
  uint64_t count = (pending.size + pending.chunk_size - 1) / pending.chunk_size;
  if (n < 1 || n > count) return storage_error(400, "InvalidPart", "No such part number");
  uint64_t expected = std::min(pending.chunk_size, pending.size - (n - 1) * pending.chunk_size);
  if (request.body.size() != expected) {
    return storage_error(400, "IncompleteBody",
                         "The part is not " + std::to_string(expected) + " bytes long");
  }
  std::string etag = in_quotes(oclip::md5_hex(request.body));
  pending.parts[n] = {etag, std::make_shared<const std::string>(request.body)};
  Response r;
  r.set_header("ETag", etag);
  return r;
}

Response LocalHub::complete_multipart(const Request& request) {
  std::string upload_id = request.param("uploadId");
  if (!signature_ok("/api/complete_multipart" + std::string("uploadId=") + upload_id, request)) {
    return api_error(403, "", "Invalid or expired signature");
  }
  Json body = Json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body.contains("parts") || !body["parts"].is_array()) {
    return api_error(400, "", "expected {oid, parts}");
  }
  PendingUpload pending;
  {
    std::lock_guard<std::mutex> lock(objects_mutex_);
    auto it = uploads_.find(upload_id);
    if (it == uploads_.end()) return api_error(404, "", "No such upload");
    pending = it->second;
  }
  uint64_t count = (pending.size + pending.chunk_size - 1) / pending.chunk_size;
  if (body.value("oid", "") != pending.oid || body["parts"].size() != count) {
    return api_error(400, "", "the completion must name the object and all its parts");
  }
  for (uint64_t n = 1; n <= count; ++n) {
    const Json& part = body["parts"][n - 1];
    auto stored = pending.parts.find(n);
    if (!part.is_object() || part.value("partNumber", 0) != static_cast<int>(n) ||
        stored == pending.parts.end() || part.value("etag", "") != stored->second.etag) {
      return api_error(400, "", "part " + std::to_string(n) + " is missing or its etag differs");
    }
  }
  // Assembling and hashing a large object takes a while: outside the lock.
  std::string whole, part_etags;
  whole.reserve(pending.size);
  for (const auto& [n, part] : pending.parts) {
    whole += *part.bytes;
    part_etags += part.etag;
  }
  if (oclip::sha256_hex(whole) != pending.oid) {
    return api_error(400, "", "the assembled object does not match its sha256");
  }
  auto content = std::make_shared<const std::string>(std::move(whole));
  // As S3 names a multipart object: a digest of the parts' digests and their count.
  std::string storage_etag =
      oclip::md5_hex(part_etags) + "-" + std::to_string(pending.parts.size());
  std::lock_guard<std::mutex> lock(objects_mutex_);
  lfs_objects_[pending.oid] = {content, storage_etag};
  uploads_.erase(upload_id);
  return json_response(Json::object());
}

Response LocalHub::lfs_verify(const Request& request, const std::string& id, const User* user) {
  Repo* repo = state_.find_repo(id);
  if (!repo || !state_.can_read(*repo, user)) {
    return api_error(user ? 404 : 401, "RepoNotFound", "Repository not found");
  }
  Json body = Json::parse(request.body, nullptr, false);
  std::string oid = body.is_object() ? body.value("oid", "") : "";
  std::lock_guard<std::mutex> lock(objects_mutex_);
  auto it = lfs_objects_.find(oid);
  if (it == lfs_objects_.end() || !body.contains("size") ||
      body["size"] != it->second.content->size()) {
    return lfs_error(404, "Object does not exist");
  }
  return lfs_json(Json::object());
}

// One NDJSON commit, applied all at once or not at all.
Response LocalHub::commit(const Request& request, Repo& repo, const std::string& revision,
                          const User* user) {
  if (!state_.can_write(repo.id.substr(0, repo.id.find('/')), user)) {
    return write_refused(user, "write to " + repo.id);
  }
  Json header;
  std::vector<Json> operations;
  std::stringstream lines(request.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    Json item = Json::parse(line, nullptr, false);
    if (!item.is_object() || !item.contains("key") || !item["key"].is_string() ||
        !item.contains("value") || !item["value"].is_object()) {
      return api_error(400, "", "Invalid NDJSON line: each needs a key and an object value");
    }
    if (item["key"] == "header") {
      header = item["value"];
    } else {
      operations.push_back(item);
    }
  }
  if (!header.is_object() || !header.contains("summary") || !header["summary"].is_string() ||
      header["summary"].get<std::string>().empty()) {
    return api_error(400, "", "The commit needs a header with a non-empty summary");
  }
  bool create_pr = request.param("create_pr") == "1" || request.param("create_pr") == "true";
  bool is_pr_ref = revision.rfind("refs/pr/", 0) == 0;
  if (!repo.branches.count(revision) || (create_pr && is_pr_ref)) {
    return api_error(404, "RevisionNotFound", "Invalid rev id: " + revision);
  }
  if (faults_.take({FaultKind::Race}, "api", request.method, request.path)) {
    std::map<std::string, RepoFile> files = repo.commits.at(repo.branches.at(revision)).files;
    files["CONCURRENT.md"] = make_regular_file("CONCURRENT.md", "another writer\n");
    state_.commit(repo, revision, "Concurrent change", std::move(files));
  }
  std::string parent = header.value("parentCommit", "");
  const Commit* base = &repo.commits.at(repo.branches.at(revision));
  if (!parent.empty()) {
    if (create_pr) {
      base = state_.resolve_revision(repo, parent);
      if (!base) return api_error(400, "", "parentCommit is not a commit of this repo");
    } else if (base->id.compare(0, parent.size(), parent) != 0) {
      return api_error(412, "", "A commit has happened since. Please refresh and try again.");
    }
  }

  std::map<std::string, RepoFile> files = base->files;
  std::string attributes = files.count(".gitattributes") ? *files.at(".gitattributes").content : "";
  std::vector<std::string> new_lfs_rules;
  for (const Json& item : operations) {
    const std::string key = item["key"];
    const Json& value = item["value"];
    std::string path = value.value("path", "");
    if (!valid_repo_path(key == "deletedFolder" && !path.empty() && path.back() == '/'
                             ? path.substr(0, path.size() - 1)
                             : path)) {
      return api_error(400, "", "Invalid path in commit: \"" + path + "\"");
    }
    if (key == "file") {
      auto content = oclip::base64_decode(value.value("content", ""));
      if (value.value("encoding", "") != "base64" || !content) {
        return api_error(400, "", "file " + path + ": content must be base64");
      }
      if (content->size() > kMaxRegularFile) {
        return api_error(400, "",
                         "Your push was rejected because it contains files larger than 10 MiB. "
                         "Please use https://git-lfs.github.com/ to store large files.");
      }
      if (content->size() > kMaxBinaryRegularFile && looks_binary(*content)) {
        return api_error(400, "", "Your push was rejected because it contains binary files.");
      }
      files[path] = make_regular_file(path, std::move(*content));
    } else if (key == "lfsFile") {
      std::string oid = value.value("oid", "");
      std::shared_ptr<const std::string> content;
      {
        std::lock_guard<std::mutex> lock(objects_mutex_);
        if (auto it = lfs_objects_.find(oid); it != lfs_objects_.end())
          content = it->second.content;
      }
      if (value.value("algo", "sha256") != "sha256" || !content ||
          (value.contains("size") && value["size"] != content->size())) {
        return api_error(400, "",
                         "Your push was rejected because an LFS pointer pointed to a file that "
                         "does not exist: " +
                             path);
      }
      files[path] = make_lfs_file(path, content, oid);
      if (!lfs_by_attributes(attributes, path)) new_lfs_rules.push_back(path);
    } else if (key == "deletedFile") {
      if (!files.erase(path)) {
        return api_error(404, "EntryNotFound", "A file with this name doesn't exist: " + path);
      }
    } else if (key == "deletedFolder") {
      std::string prefix = path.back() == '/' ? path : path + "/";
      size_t removed = 0;
      for (auto it = files.begin(); it != files.end();) {
        bool under = it->first.compare(0, prefix.size(), prefix) == 0;
        removed += under;
        it = under ? files.erase(it) : std::next(it);
      }
      if (!removed) {
        return api_error(404, "EntryNotFound", "A folder with this name doesn't exist: " + path);
      }
    } else {
      return api_error(400, "", "Unknown commit operation: " + key);
    }
  }
  if (!new_lfs_rules.empty()) {
    // Files sent as LFS that no rule covers get a rule of their own, as the Hub does.
    std::string text = attributes;
    if (!text.empty() && text.back() != '\n') text += "\n";
    for (const std::string& path : new_lfs_rules) text += lfs_attribute_line(path);
    files[".gitattributes"] = make_regular_file(".gitattributes", text);
  }

  std::string target = revision;
  if (create_pr) {
    target = "refs/pr/" + std::to_string(++repo.pull_requests);
    repo.branches[target] = base->id;
  }
  const Commit& made = state_.commit(repo, target, header["summary"], std::move(files));
  Json out = {{"success", true},
              {"commitOid", made.id},
              {"commitUrl", base_url() + "/" + repo.id + "/commit/" + made.id},
              {"hookOutput", ""}};
  if (create_pr) {
    out["pullRequestUrl"] =
        base_url() + "/" + repo.id + "/discussions/" + std::to_string(repo.pull_requests);
  }
  return json_response(out);
}

}  // namespace local_hub
