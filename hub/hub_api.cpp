#include "hub/hub_api.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>

#include "core/error.h"

namespace oclip::hub {
namespace {

constexpr int kMaxRedirects = 10;

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string scheme_of(const std::string& url) { return url.substr(0, url.find(':')); }

std::string host_of(const std::string& url) {
  std::string origin = origin_of(url);
  size_t start = origin.find("://");
  if (start == std::string::npos) return "";
  std::string rest = origin.substr(start + 3);
  return rest.substr(0, rest.rfind(':'));
}

// Only the message a person needs; the Hub puts it in X-Error-Message or a JSON "error".
std::string server_message(const HttpResult& result) {
  std::string message = result.header("X-Error-Message");
  if (message.empty() && result.header("Content-Type").find("json") != std::string::npos) {
    auto body = nlohmann::json::parse(result.body, nullptr, false);
    if (body.is_object() && body.contains("error") && body["error"].is_string()) {
      message = body["error"].get<std::string>();
    }
  }
  return message;
}

}  // namespace

std::string normalize_etag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag = etag.substr(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  for (char& c : etag) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return etag;
}

HubApi::HubApi(const Config& config, HttpClient& http, Clock& clock)
    : config_(config), http_(http), clock_(clock) {}

bool HubApi::is_hub_url(const std::string& url) const {
  if (origin_of(url) == origin_of(config_.endpoint)) return true;
  std::string host = host_of(url);
  return scheme_of(url) == "https" && (host == "huggingface.co" || host == "hf.co");
}

bool HubApi::send_token_to(const std::string& url) const {
  // HF_HUB_DISABLE_IMPLICIT_TOKEN keeps a saved token off reads; an explicit --token still goes.
  if (config_.disable_implicit_token && config_.token_source != "--token") return false;
  return is_hub_url(url);
}

std::string HubApi::file_url(const RepoRef& repo, const std::string& revision,
                             const std::string& path) const {
  std::string prefix = repo.type == "model" ? "" : repo.type + "s/";
  return config_.endpoint + "/" + prefix + repo.id + "/resolve/" + url_encode(revision, false) +
         "/" + url_encode(path, true);
}

bool HubApi::is_retryable(const HttpResult& result) const {
  if (!result.ok()) return true;
  long s = result.status;
  return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

void HubApi::backoff(int attempt, const HttpResult& result) {
  // RateLimit "r=0;t=N" first, then Retry-After seconds, else exponential with jitter.
  std::smatch m;
  std::string rate = result.header("RateLimit");
  double wait = -1;
  if (std::regex_search(rate, m, std::regex(R"(r=0\s*;\s*t=(\d+))"))) {
    wait = (std::stod(m[1]) + 1) * config_.retry_base_s;
  } else if (std::string after = result.header("Retry-After");
             !after.empty() && std::all_of(after.begin(), after.end(), ::isdigit)) {
    wait = (std::stod(after) + 1) * config_.retry_base_s;
  }
  if (wait < 0) {
    static thread_local std::mt19937 random(std::random_device{}());
    double base =
        std::min(config_.retry_base_s * (1 << std::min(attempt, 10)), 8 * config_.retry_base_s);
    wait = base * std::uniform_real_distribution<double>(0.75, 1.25)(random);
  }
  clock_.sleep_s(wait);
}

Error HubApi::error_for(const HttpResult& result, const std::string& url, const RepoRef& repo,
                        const std::string& what) const {
  std::string shown = url_for_display(url);
  if (!result.ok()) {
    return Error(ErrorKind::Network,
                 "cannot fetch " + what + " from " + shown + ": " + result.transport_error)
        .with_url(shown)
        .with_hint("check the network and HF_ENDPOINT (" + config_.endpoint + ")");
  }
  std::string code = result.header("X-Error-Code");
  std::string message = server_message(result);
  bool sent_token = !config_.token.empty();
  auto make = [&](ErrorKind kind, const std::string& text) {
    return Error(kind, text)
        .with_url(shown)
        .with_http_status(static_cast<int>(result.status))
        .with_error_code(code)
        .with_request_id(result.header("X-Request-Id"));
  };
  if (code == "RevisionNotFound")
    return make(ErrorKind::NotFound, "revision not found in " + repo.id + ": " + message);
  if (code == "EntryNotFound") return make(ErrorKind::NotFound, what + " not found in " + repo.id);
  if (code == "GatedRepo") {
    return make(ErrorKind::Gated,
                repo.id + " is gated and this " +
                    std::string(sent_token ? "token has no access" : "request sent no token"))
        .with_hint("request access at " + config_.endpoint + "/" + repo.id +
                   (sent_token ? "" : ", then log in (HF_TOKEN or --token)"));
  }
  if (message == "Access to this resource is disabled.") {
    return make(ErrorKind::Auth, repo.id + " is disabled on the Hub");
  }
  bool invalid_token =
      result.status == 401 && message.find("Invalid credentials") != std::string::npos;
  if (invalid_token) {
    return make(ErrorKind::Auth,
                "the Hub rejected the token from " + config_.token_source + " (invalid or expired)")
        .with_hint("log in again or set HF_TOKEN");
  }
  if (code == "RepoNotFound" || result.status == 401) {
    Error error = make(ErrorKind::NotFound, "repo " + repo.id + " not found, or private");
    return error.with_hint(
        sent_token ? "check the repo id and that this token can read it"
                   : "check the repo id; log in (HF_TOKEN or --token) if it is private");
  }
  if (result.status == 403)
    return make(ErrorKind::Auth, "access to " + what + " refused (403): " + message);
  if (result.status == 429 || result.status >= 500) {
    return make(ErrorKind::Network, "HTTP " + std::to_string(result.status) + " for " + what +
                                        " from " + shown + " after " +
                                        std::to_string(config_.max_retries) + " retries");
  }
  return make(ErrorKind::Network, "HTTP " + std::to_string(result.status) + " for " + what +
                                      " from " + shown + (message.empty() ? "" : ": " + message));
}

HttpResult HubApi::get_json(const std::string& url, const RepoRef& repo, const std::string& what) {
  std::string current = url;
  for (int attempt = 0;; ++attempt) {
    HttpRequest request;
    request.url = current;
    request.send_token = send_token_to(current);
    request.connect_timeout_s = config_.etag_timeout_s;
    request.stall_timeout_s = config_.download_timeout_s;
    HttpResult result = http_.send(request);
    if (result.ok() && is_redirect(result.status)) {
      std::string next = resolve_url(current, result.header("Location"));
      if (next.empty() || !is_hub_url(next) || attempt >= kMaxRedirects)
        throw error_for(result, current, repo, what);
      current = next;
      continue;
    }
    if (result.ok() && result.status == 200) return result;
    if (!is_retryable(result) || attempt >= config_.max_retries)
      throw error_for(result, current, repo, what);
    backoff(attempt, result);
  }
}

HttpResult HubApi::send(HttpRequest request, Retry retry) {
  // Writes always carry the token; HF_HUB_DISABLE_IMPLICIT_TOKEN concerns reads only.
  bool read = request.method == "GET" || request.method == "HEAD";
  request.send_token =
      request.send_token && (read ? send_token_to(request.url) : is_hub_url(request.url));
  request.connect_timeout_s = config_.etag_timeout_s;
  request.stall_timeout_s = std::max(request.stall_timeout_s, config_.download_timeout_s);
  for (int attempt = 0;; ++attempt) {
    HttpResult result = http_.send(request);
    bool again = retry == Retry::Idempotent ? is_retryable(result)
                 : retry == Retry::RateLimits
                     ? result.ok() && (result.status == 429 || result.status == 503)
                     : false;
    if (!again || attempt >= config_.max_retries) return result;
    backoff(attempt, result);
  }
}

nlohmann::json HubApi::whoami() {
  if (config_.token.empty())
    throw Error(ErrorKind::Auth, "not logged in").with_hint("run 'oclip login', or set HF_TOKEN");
  const std::string url = config_.endpoint + "/api/whoami-v2";
  // Strictly rate-limited on the Hub: one request, no retries.
  HttpRequest request;
  request.url = url;
  request.send_token = true;
  request.connect_timeout_s = config_.etag_timeout_s;
  request.stall_timeout_s = config_.download_timeout_s;
  const HttpResult result = http_.send(request);
  if (!result.ok() || result.status != 200) {
    if (result.ok() && result.status == 401)
      throw Error(ErrorKind::Auth, "the Hub rejected the token from " + config_.token_source +
                                       " (invalid or expired)")
          .with_url(url)
          .with_http_status(401)
          .with_hint("create a token at " + config_.endpoint + "/settings/tokens");
    throw error_for(result, url, RepoRef{}, "whoami");
  }
  try {
    return nlohmann::json::parse(result.body);
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorKind::Network, "the Hub's whoami answer is not JSON").with_url(url);
  }
}

std::string HubApi::resolve_commit(const RepoRef& repo, const std::string& revision) {
  std::string url = config_.endpoint + "/api/" + repo.type + "s/" + repo.id + "/revision/" +
                    url_encode(revision, false);
  HttpResult result = get_json(url, repo, "revision " + revision);
  auto body = nlohmann::json::parse(result.body, nullptr, false);
  if (!body.is_object() || !body.contains("sha") || !body["sha"].is_string()) {
    throw Error(ErrorKind::Format,
                "the Hub's answer for " + repo.id + "@" + revision + " has no commit id")
        .with_url(url);
  }
  return body["sha"].get<std::string>();
}

std::vector<TreeEntry> HubApi::list_files(const RepoRef& repo, const std::string& commit) {
  std::vector<TreeEntry> files;
  std::string url = config_.endpoint + "/api/" + repo.type + "s/" + repo.id + "/tree/" + commit +
                    "?recursive=true&expand=false";
  for (int page = 0; !url.empty(); ++page) {
    if (page > 100000)
      throw Error(ErrorKind::Format, "tree listing of " + repo.id + " does not end");
    HttpResult result = get_json(url, repo, "the file list");
    auto entries = nlohmann::json::parse(result.body, nullptr, false);
    if (!entries.is_array())
      throw Error(ErrorKind::Format, "the file list of " + repo.id + " is not a JSON array")
          .with_url(url);
    for (const auto& e : entries) {
      if (!e.is_object() || e.value("type", "") != "file" || !e.contains("path") ||
          !e["path"].is_string())
        continue;
      TreeEntry entry;
      entry.path = e["path"].get<std::string>();
      entry.size = e.value("size", uint64_t{0});
      entry.oid = normalize_etag(e.value("oid", ""));
      if (e.contains("lfs") && e["lfs"].is_object())
        entry.lfs_oid = normalize_etag(e["lfs"].value("oid", ""));
      files.push_back(std::move(entry));
    }
    std::smatch m;
    std::string link = result.header("Link");
    url = std::regex_search(link, m, std::regex(R"(<([^>]+)>;\s*rel="next")")) ? m[1].str() : "";
    if (!url.empty() && !is_hub_url(url))
      throw Error(ErrorKind::Format,
                  "file list pagination leaves the Hub: " + url_for_display(url));
  }
  return files;
}

FileMetadata HubApi::file_metadata(const RepoRef& repo, const std::string& revision,
                                   const std::string& path) {
  std::string url = file_url(repo, revision, path);
  std::string current = url;
  for (int attempt = 0, hops = 0;;) {
    HttpRequest request;
    request.method = "HEAD";
    request.url = current;
    request.send_token = send_token_to(current);
    request.connect_timeout_s = config_.etag_timeout_s;
    request.stall_timeout_s = config_.etag_timeout_s;
    HttpResult result = http_.send(request);
    if (result.ok() && is_redirect(result.status)) {
      std::string next = resolve_url(current, result.header("Location"));
      bool same_origin = origin_of(next) == origin_of(current);
      bool other_hub_host = is_hub_url(next) && scheme_of(next) == "https";
      if (!next.empty() && (same_origin || other_hub_host)) {
        if (++hops > kMaxRedirects)
          throw Error(ErrorKind::Network, "too many redirects for " + url_for_display(url));
        current = next;
        continue;
      }
      // The storage redirect: the metadata is on this response (hub-protocol 3.5).
      FileMetadata meta;
      meta.commit = result.header("X-Repo-Commit");
      meta.etag =
          normalize_etag(!result.header("X-Linked-Etag").empty() ? result.header("X-Linked-Etag")
                                                                 : result.header("ETag"));
      std::string size = result.header("X-Linked-Size");
      if (meta.commit.empty() || meta.etag.empty() || size.empty()) {
        throw Error(ErrorKind::Format,
                    "redirect for " + path + " lacks X-Repo-Commit, X-Linked-Etag or X-Linked-Size")
            .with_url(url_for_display(current));
      }
      meta.size = std::stoull(size);
      meta.location = next;
      return meta;
    }
    if (result.ok() && result.status == 200) {
      FileMetadata meta;
      meta.commit = result.header("X-Repo-Commit");
      meta.etag =
          normalize_etag(!result.header("X-Linked-Etag").empty() ? result.header("X-Linked-Etag")
                                                                 : result.header("ETag"));
      std::string size = !result.header("X-Linked-Size").empty() ? result.header("X-Linked-Size")
                                                                 : result.header("Content-Length");
      if (meta.commit.empty() || meta.etag.empty() || size.empty()) {
        throw Error(ErrorKind::Format,
                    "answer for " + path + " lacks X-Repo-Commit, ETag or Content-Length")
            .with_url(url_for_display(current));
      }
      meta.size = std::stoull(size);
      meta.location = current;
      return meta;
    }
    if (!is_retryable(result) || attempt >= config_.max_retries) {
      Error error = error_for(result, current, repo, "file " + path);
      throw error;
    }
    backoff(attempt++, result);
  }
}

HttpResult HubApi::fetch(const std::string& url, uint64_t range_start, const BodySink& sink) {
  std::string current = url;
  for (int hops = 0;; ++hops) {
    HttpRequest request;
    request.url = current;
    request.send_token = send_token_to(current);
    if (range_start > 0) request.range_start = range_start;
    request.connect_timeout_s = config_.etag_timeout_s;
    request.stall_timeout_s = config_.download_timeout_s;
    HttpResult result = http_.send(request, sink);
    if (!result.ok() || !is_redirect(result.status)) return result;
    std::string next = resolve_url(current, result.header("Location"));
    if (next.empty() || hops >= kMaxRedirects) return result;
    if (scheme_of(current) == "https" && scheme_of(next) == "http")
      return result;  // never downgrade
    current = next;
  }
}

}  // namespace oclip::hub
