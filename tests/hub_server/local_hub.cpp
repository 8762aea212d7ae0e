#include "local_hub.h"

#include <algorithm>
#include <random>

#include "core/hash.h"
#include "responses.h"

namespace local_hub {
namespace {

const std::vector<std::string> kInfoKeys = {
    "author",      "cardData",     "config",       "createdAt", "disabled",     "downloads",
    "gated",       "lastModified", "library_name", "likes",     "pipeline_tag", "private",
    "safetensors", "sha",          "siblings",     "spaces",    "tags",         "usedStorage"};

}  // namespace

LocalHub::LocalHub(HubState state, FaultPlan& faults, HubOptions options)
    : state_(std::move(state)),
      faults_(faults),
      options_(std::move(options)),
      api_([this](const Request& r) { return handle_api(r); },
           [this](const Request& q, const Response& r, uint64_t n) { log("api", q, r, n); }),
      cdn_([this](const Request& r) { return handle_cdn(r); },
           [this](const Request& q, const Response& r, uint64_t n) { log("cdn", q, r, n); }) {
  std::random_device device;
  secret_ = std::to_string(device()) + std::to_string(device());
  for (const Repo* repo : state_.repos()) {
    for (const auto& [id, commit] : repo->commits) {
      for (const auto& [path, file] : commit.files) {
        if (file.lfs && !lfs_objects_.count(file.sha256)) {
          // A storage ETag, deliberately not the sha256: clients must not name blobs after it.
          lfs_objects_[file.sha256] = {file.content, oclip::md5_hex(*file.content)};
        }
      }
    }
  }
  if (!options_.log_path.empty()) log_.open(options_.log_path, std::ios::app);
}

void LocalHub::start() {
  cdn_port_ = cdn_.start(options_.cdn_port);
  api_port_ = api_.start(options_.api_port);
}

void LocalHub::stop() {
  api_.stop();
  cdn_.stop();
}

void LocalHub::log(const std::string& site, const Request& request, const Response& response,
                   uint64_t bytes_sent) {
  if (!log_.is_open()) return;
  Json line = {{"site", site},
               {"method", request.method},
               {"path", request.path},
               {"query", request.query},
               {"range", request.header("Range")},
               {"authorization", !request.header("Authorization").empty()},
               {"user_agent", request.header("User-Agent")},
               {"status", response.status},
               {"bytes", bytes_sent}};
  if (!response.note.empty()) line["fault"] = response.note;
  std::lock_guard<std::mutex> lock(log_mutex_);
  log_ << line.dump() << "\n";
  log_.flush();
}

Response LocalHub::handle_api(const Request& request) {
  Response response = [&]() -> Response {
    if (auto fault = faults_.take({FaultKind::Status}, "api", request.method, request.path)) {
      Response r = api_error(static_cast<int>(fault->value), "", "injected fault");
      if (fault->retry_after >= 0) r.set_header("Retry-After", std::to_string(fault->retry_after));
      r.note = "status=" + std::to_string(fault->value);
      return r;
    }
    if (request.path == "/api/complete_multipart" && request.method == "POST") {
      return complete_multipart(request);
    }
    std::lock_guard<std::mutex> lock(state_mutex_);
    std::string auth = request.header("Authorization");
    const User* user = nullptr;
    if (!auth.empty()) {
      std::string token = auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : "";
      user = state_.find_user(token);
      if (!user) return api_error(401, "", "Invalid credentials in Authorization header");
    }
    const std::string& path = request.path;
    if (path == "/api/whoami-v2") return whoami(user);
    if (path == "/api/models") return list_models(request, user);
    if (path == "/api/repos/create" && request.method == "POST") return create_repo(request, user);
    for (const char* verb : {"batch", "verify"}) {
      std::string suffix = std::string(".git/info/lfs/objects/") + verb;
      if (request.method == "POST" && path.size() > suffix.size() + 1 &&
          path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) {
        std::string id = path.substr(1, path.size() - suffix.size() - 1);
        return verb[0] == 'b' ? lfs_batch(request, id, user) : lfs_verify(request, id, user);
      }
    }
    if (path.rfind("/api/resolve-cache/models/", 0) == 0) {
      return resolve_cache(request, path.substr(26), user, auth.empty());
    }
    if (path.rfind("/api/models/", 0) == 0)
      return repo_route(request, path.substr(12), user, auth.empty());
    if (path.rfind("/api/", 0) == 0)
      return api_error(404, "", "Sorry, we can't find the page you are looking for.");
    return repo_route(request, path.substr(1), user, auth.empty());
  }();
  response.set_header("X-Request-Id", "Root=1-local-" + std::to_string(++request_counter_));
  return response;
}

// `tail` is what follows /api/models/ (API) or / (files): "{org}/{name}/{verb}/...".
Response LocalHub::repo_route(const Request& request, const std::string& tail, const User* user,
                              bool anonymous) {
  bool api = request.path.rfind("/api/", 0) == 0;
  std::vector<std::string> parts = split_path(tail);
  if (parts.empty() || parts[0].empty()) return api_error(404, "", "Not found");
  // Namespaced ids take two segments; legacy ones ("gpt2") one.
  size_t id_length = parts.size() >= 2 ? 2 : 1;
  std::string id = join({parts.begin(), parts.begin() + id_length}, 0);
  if (!state_.find_repo(id) && !state_.renamed_to(id) && parts.size() >= 2) {
    std::string single = parts[0];
    if (state_.find_repo(single) || state_.renamed_to(single)) {
      id = single;
      id_length = 1;
    }
  }
  std::vector<std::string> rest(parts.begin() + id_length, parts.end());
  std::string verb = rest.empty() ? "" : rest[0];

  if (auto target = state_.renamed_to(id)) {
    // Relative, so that clients keep scheme, host and port (hub-protocol 3.5).
    std::string prefix = api ? "/api/models/" : "/";
    Response r;
    r.status = 307;
    std::string location =
        prefix + *target + (rest.empty() ? "" : "/" + url_encode(join(rest, 0), true));
    if (!request.query.empty()) location += "?" + request.query;
    r.set_header("Location", location);
    r.set_body("Temporary Redirect. Redirecting to " + location, "text/plain; charset=utf-8");
    return r;
  }

  Repo* repo = state_.find_repo(id);
  if (!repo || !state_.can_read(*repo, user)) {
    std::string message = "Repository Not Found for url: " + request.path + ".";
    int status = anonymous ? 401 : 404;
    return api ? api_error(status, "RepoNotFound", message)
               : text_error(status, "RepoNotFound", message);
  }

  if (!api && (verb == "resolve" || verb == "raw")) {
    return resolve(request, *repo, {rest.begin() + 1, rest.end()}, verb == "raw");
  }
  if (!api) return text_error(404, "", "Not found");
  if (verb.empty()) return model_info(request, *repo, "main");
  if (verb == "revision" && rest.size() >= 2) return model_info(request, *repo, join(rest, 1));
  if (verb == "tree") return tree(request, *repo, {rest.begin() + 1, rest.end()});
  if (verb == "paths-info" && rest.size() >= 2 && request.method == "POST") {
    return paths_info(request, *repo, join(rest, 1));
  }
  if (verb == "refs") return refs(request, *repo);
  if (request.method == "POST" && rest.size() >= 2) {
    if (verb == "preupload") return preupload(request, *repo, join(rest, 1), user);
    if (verb == "commit") return commit(request, *repo, join(rest, 1), user);
    if (verb == "branch") return create_branch(request, *repo, join(rest, 1), user);
  }
  if (verb == "auth-check") {
    if (!state_.has_access_grant(*repo, user)) {
      return api_error(anonymous ? 401 : 403, "GatedRepo",
                       "Access to model " + repo->id + " is restricted.");
    }
    return json_response(Json::object());
  }
  return api_error(404, "", "Sorry, we can't find the page you are looking for.");
}

Response LocalHub::whoami(const User* user) {
  if (!user) return api_error(401, "", "Invalid credentials in Authorization header");
  Json orgs = Json::array();
  for (const std::string& org : user->orgs) {
    orgs.push_back({{"type", "org"}, {"name", org}, {"fullname", org}, {"roleInOrg", "write"}});
  }
  return json_response({{"type", "user"},
                        {"id", oclip::sha1_hex("user:" + user->name).substr(0, 24)},
                        {"name", user->name},
                        {"fullname", user->name},
                        {"email", user->name + "@localhost"},
                        {"emailVerified", true},
                        {"isPro", false},
                        {"orgs", orgs},
                        {"auth",
                         {{"type", "access_token"},
                          {"accessToken",
                           {{"displayName", "local-hub-" + user->name},
                            {"role", "write"},
                            {"createdAt", "2026-01-01T00:00:00.000Z"}}}}}});
}

Response LocalHub::list_models(const Request& request, const User* user) {
  std::string author = request.param("author");
  std::string search = request.param("search");
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  size_t limit = request.has_param("limit") ? std::stoul(request.param("limit")) : 1000;
  Json out = Json::array();
  for (const Repo* repo : state_.repos()) {
    if (!state_.can_read(*repo, user)) continue;
    if (!author.empty() && repo->id.substr(0, repo->id.find('/')) != author) continue;
    if (!search.empty() && lower(repo->id).find(lower(search)) == std::string::npos) continue;
    if (out.size() >= limit) break;
    out.push_back({{"_id", repo->object_id},
                   {"id", repo->id},
                   {"likes", 0},
                   {"downloads", 0},
                   {"private", repo->is_private},
                   {"tags", Json::array({"open_clip"})},
                   {"library_name", "open_clip"},
                   {"createdAt", repo->created_at}});
  }
  return json_response(out);
}

Response LocalHub::model_info(const Request& request, const Repo& repo,
                              const std::string& revision) {
  const Commit* commit = state_.resolve_revision(repo, revision);
  if (!commit) return api_error(404, "RevisionNotFound", "Invalid rev id: " + revision);
  std::vector<std::string> expand;
  for (const char* key : {"expand", "expand[]"}) {
    auto [begin, end] = request.params.equal_range(key);
    for (auto it = begin; it != end; ++it) expand.push_back(it->second);
  }
  for (const std::string& key : expand) {
    if (std::find(kInfoKeys.begin(), kInfoKeys.end(), key) == kInfoKeys.end()) {
      return api_error(400, "", "\"expand\" must be one of the allowed values");
    }
  }
  bool blobs = request.param("blobs") == "true" || request.param("blobs") == "1";
  Json siblings = Json::array();
  uint64_t storage = 0;
  for (const auto& [path, file] : commit->files) {
    Json s = {{"rfilename", path}};
    if (blobs) {
      s["size"] = file.content->size();
      s["blobId"] = file.blob_id;
      if (file.lfs) {
        s["lfs"] = {{"sha256", file.sha256},
                    {"size", file.content->size()},
                    {"pointerSize", file.pointer.size()}};
      }
    }
    storage += file.content->size();
    siblings.push_back(s);
  }
  std::string gated = repo.gated.empty() ? "" : repo.gated;
  Json all = {{"_id", repo.object_id},
              {"id", repo.id},
              {"modelId", repo.id},
              {"author", repo.id.substr(0, repo.id.find('/'))},
              {"sha", commit->id},
              {"lastModified", commit->date},
              {"createdAt", repo.created_at},
              {"private", repo.is_private},
              {"gated", gated.empty() ? Json(false) : Json(gated)},
              {"disabled", false},
              {"library_name", "open_clip"},
              {"pipeline_tag", "zero-shot-image-classification"},
              {"tags", Json::array({"open_clip", "zero-shot-image-classification"})},
              {"downloads", 0},
              {"likes", 0},
              {"siblings", siblings},
              {"usedStorage", storage}};
  if (expand.empty()) return json_response(all);
  Json some = {{"_id", repo.object_id}, {"id", repo.id}};
  for (const std::string& key : expand) {
    if (all.contains(key)) some[key] = all[key];
  }
  return json_response(some);
}

Json LocalHub::file_entry(const Repo& repo, const RepoFile& file, bool expand) const {
  Json entry = {
      {"type", "file"}, {"oid", file.blob_id}, {"size", file.content->size()}, {"path", file.path}};
  if (file.lfs) {
    entry["lfs"] = {
        {"oid", file.sha256}, {"size", file.content->size()}, {"pointerSize", file.pointer.size()}};
  }
  if (expand) {
    const Commit& last = repo.commits.at(file.last_commit);
    entry["lastCommit"] = {{"id", last.id}, {"title", last.title}, {"date", last.date}};
    entry["securityFileStatus"] = {{"status", "safe"}};
  }
  return entry;
}

Response LocalHub::tree(const Request& request, const Repo& repo,
                        const std::vector<std::string>& rest) {
  auto split = state_.split_revision(repo, rest);
  if (!split) {
    return api_error(404, "RevisionNotFound", "Invalid rev id: " + (rest.empty() ? "" : rest[0]));
  }
  const Commit& commit = *state_.resolve_revision(repo, split->first);
  std::string folder = split->second;
  while (!folder.empty() && folder.back() == '/') folder.pop_back();
  if (!folder.empty() && !commit.dir_tree_ids.count(folder)) {
    return api_error(404, "EntryNotFound", folder + " does not exist on \"" + split->first + "\"");
  }
  bool recursive = request.param("recursive") == "true" || request.param("recursive") == "1";
  bool expand = request.param("expand") == "true" || request.param("expand") == "1";
  std::string prefix = folder.empty() ? "" : folder + "/";
  auto wanted = [&](const std::string& path) {
    if (path.compare(0, prefix.size(), prefix) != 0 || path.size() == prefix.size()) return false;
    return recursive || path.find('/', prefix.size()) == std::string::npos;
  };
  std::vector<std::pair<std::string, Json>> entries;
  for (const auto& [dir, id] : commit.dir_tree_ids) {
    if (wanted(dir))
      entries.emplace_back(dir,
                           Json{{"type", "directory"}, {"oid", id}, {"size", 0}, {"path", dir}});
  }
  for (const auto& [path, file] : commit.files) {
    if (wanted(path)) entries.emplace_back(path, file_entry(repo, file, expand));
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });

  size_t cursor = request.has_param("cursor") ? std::stoul(request.param("cursor")) : 0;
  size_t page = static_cast<size_t>(options_.page_size);
  Json out = Json::array();
  for (size_t i = cursor; i < entries.size() && i < cursor + page; ++i)
    out.push_back(entries[i].second);
  Response r = json_response(out);
  if (cursor + page < entries.size()) {
    std::string query;
    for (const auto& [key, value] : request.params) {
      if (key == "cursor") continue;
      query += (query.empty() ? "" : "&") + url_encode(key, false) + "=" + url_encode(value, false);
    }
    query += (query.empty() ? "" : "&") + std::string("cursor=") + std::to_string(cursor + page);
    std::string url =
        "http://127.0.0.1:" + std::to_string(api_port_) + request.raw_path + "?" + query;
    r.set_header("Link", "<" + url + ">; rel=\"next\"");
  }
  return r;
}

Response LocalHub::paths_info(const Request& request, const Repo& repo,
                              const std::string& revision) {
  const Commit* commit = state_.resolve_revision(repo, revision);
  if (!commit) return api_error(404, "RevisionNotFound", "Invalid rev id: " + revision);
  std::vector<std::string> paths;
  bool expand = false;
  if (request.header("Content-Type").find("json") != std::string::npos) {
    Json body = Json::parse(request.body, nullptr, false);
    if (!body.is_object() || !body.contains("paths") || !body["paths"].is_array()) {
      return api_error(400, "", "paths must be an array of strings");
    }
    for (const Json& p : body["paths"]) {
      if (p.is_string()) paths.push_back(p.get<std::string>());
    }
    expand = body.value("expand", false);
  } else {
    std::multimap<std::string, std::string> form;
    parse_query(request.body, form);
    auto [begin, end] = form.equal_range("paths");
    for (auto it = begin; it != end; ++it) paths.push_back(it->second);
    auto e = form.find("expand");
    expand = e != form.end() && (e->second == "true" || e->second == "True" || e->second == "1");
  }
  if (paths.size() > 1000) return api_error(413, "", "Too many paths (at most 1000)");
  Json out = Json::array();
  for (const std::string& path : paths) {
    if (auto it = commit->files.find(path); it != commit->files.end()) {
      out.push_back(file_entry(repo, it->second, expand));
    } else if (auto dir = commit->dir_tree_ids.find(path); dir != commit->dir_tree_ids.end()) {
      out.push_back({{"type", "directory"}, {"oid", dir->second}, {"size", 0}, {"path", path}});
    }
  }
  return json_response(out);
}

Response LocalHub::refs(const Request& request, const Repo& repo) {
  Json branches = Json::array(), tags = Json::array(), pulls = Json::array();
  for (const auto& [name, id] : repo.branches) {
    if (name.rfind("refs/pr/", 0) == 0) {
      pulls.push_back({{"name", name}, {"ref", name}, {"targetCommit", id}});
    } else {
      branches.push_back({{"name", name}, {"ref", "refs/heads/" + name}, {"targetCommit", id}});
    }
  }
  for (const auto& [name, id] : repo.tags) {
    tags.push_back({{"name", name}, {"ref", "refs/tags/" + name}, {"targetCommit", id}});
  }
  Json out = {{"branches", branches}, {"converts", Json::array()}, {"tags", tags}};
  if (request.param("include_prs") == "1" || request.param("include_prs") == "true") {
    out["pullRequests"] = pulls;
  }
  return json_response(out);
}

}  // namespace local_hub
