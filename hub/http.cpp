#include "hub/http.h"

#include <curl/curl.h>
#include <strings.h>

#include <cctype>
#include <mutex>
#include <regex>

#include "core/version.h"

namespace oclip::hub {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Exchange {
  HttpResult* result;
  const BodySink* sink;
  const HttpRequest* request;
};

int on_transfer_info(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t uploaded) {
  auto* exchange = static_cast<Exchange*>(user);
  exchange->request->upload_progress(static_cast<uint64_t>(uploaded));
  return 0;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response: the status must be known before the first body byte decides where the
    // bytes go.
    size_t space = line.find(' ');
    exchange->result->status = space == std::string::npos ? 0 : std::atol(line.c_str() + space + 1);
    exchange->result->headers.clear();
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of("\r\n \t") + 1);
    exchange->result->headers[line.substr(0, colon)] = value;
  }
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  HttpResult& result = *exchange->result;
  size_t n = size * count;
  result.body_bytes += n;
  bool success = result.status >= 200 && result.status < 300;
  if (exchange->sink && *exchange->sink && success) {
    if (!(*exchange->sink)(result, std::string_view(data, n))) {
      result.aborted_by_sink = true;
      return 0;
    }
    return n;
  }
  // Error bodies are short; keep them for the message. Cap what a hostile server can make us hold.
  if (result.body.size() < (1u << 20)) result.body.append(data, n);
  return n;
}

int trace_exchange(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  const auto& trace = *static_cast<const std::function<void(const std::string&)>*>(user);
  const char* prefix = type == CURLINFO_HEADER_OUT  ? "> "
                       : type == CURLINFO_HEADER_IN ? "< "
                       : type == CURLINFO_TEXT      ? "* "
                                                    : nullptr;
  if (!prefix) return 0;  // bodies are not traced
  // One call per block (a request's headers arrive together), so parallel transfers do not
  // interleave inside a request.
  std::string text(data, size), out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out += (out.empty() ? "" : "\n") + (prefix + masked_header_line(line));
    start = end + 1;
  }
  if (!out.empty()) trace(out);
  return 0;
}

}  // namespace

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return ::strcasecmp(a.c_str(), b.c_str()) < 0;
}

std::string HttpResult::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

struct HttpClient::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

HttpClient::HttpClient(const Config& config)
    : handle_(std::make_unique<Handle>()), token_(config.token), trace_(config.trace) {
  global_init();
  handle_->curl = curl_easy_init();
  const curl_version_info_data* curl = curl_version_info(CURLVERSION_NOW);
  user_agent_ = std::string("oclip/") + kVersion + "; libcurl/" + curl->version;
  if (!config.user_agent_origin.empty()) user_agent_ += "; origin/" + config.user_agent_origin;
}

HttpClient::~HttpClient() = default;

HttpResult HttpClient::send(const HttpRequest& request, const BodySink& sink) {
  HttpResult result;
  CURL* curl = handle_->curl;
  curl_easy_reset(curl);
  Exchange exchange{&result, &sink, &request};

  // The Hub gzips text for clients that allow it and then sends no length (hub-protocol 3.4).
  curl_slist* headers = curl_slist_append(nullptr, "Accept-Encoding: identity");
  // No 100-continue round trip before a body; and no form Content-Type on raw PUT bytes.
  if (request.method == "POST" || request.method == "PUT") {
    headers = curl_slist_append(headers, "Expect:");
  }
  if (request.method == "PUT") headers = curl_slist_append(headers, "Content-Type:");
  for (const std::string& h : request.headers) headers = curl_slist_append(headers, h.c_str());
  if (request.send_token && !token_.empty()) {
    headers = curl_slist_append(headers, ("Authorization: Bearer " + token_).c_str());
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers,
                                                                          curl_slist_free_all);

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  apply_common_options(curl, request.connect_timeout_s, request.stall_timeout_s);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);
  std::string range;
  if (request.range_start) {
    range = std::to_string(*request.range_start) + "-";
    curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "PUT") {
    // POSTFIELDS with a custom verb sends the bytes from memory, with no copy and no rewinding
    // callbacks; the headers below drop curl's form Content-Type and its 100-continue wait.
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.upload.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.upload.size()));
  }
  if (request.upload_progress) {
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_transfer_info);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &exchange);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  }
  CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (status != 0) result.status = status;
  if (code != CURLE_OK && !result.aborted_by_sink) {
    result.transport_error = code == CURLE_OPERATION_TIMEDOUT
                                 ? "stalled: no data for " +
                                       std::to_string(static_cast<long>(request.stall_timeout_s)) +
                                       " s"
                                 : curl_easy_strerror(code);
  }
  return result;
}

void HttpClient::apply_common_options(void* easy, double connect_timeout_s,
                                      double stall_timeout_s) const {
  CURL* curl = easy;
  curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent_.c_str());
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout_s * 1000));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, std::max(1L, static_cast<long>(stall_timeout_s)));
  if (trace_) {
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, trace_exchange);
    curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &trace_);
  }
  // libcurl itself honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY.
  if (!ca_bundle_.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_bundle_.c_str());
}

namespace {

// Decimal digits that fit uint64_t; advances `at` past them.
std::optional<uint64_t> parse_decimal(std::string_view text, size_t& at) {
  size_t begin = at;
  uint64_t value = 0;
  while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
    uint64_t digit = static_cast<uint64_t>(text[at] - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
    ++at;
  }
  if (at == begin) return std::nullopt;
  return value;
}

}  // namespace

std::optional<ContentRange> parse_content_range(std::string_view value) {
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  size_t at = 0;
  while (at < value.size() && is_space(value[at])) ++at;
  if (value.size() - at < 6 || ::strncasecmp(value.data() + at, "bytes", 5) != 0 ||
      !is_space(value[at + 5])) {
    return std::nullopt;
  }
  at += 5;
  while (at < value.size() && is_space(value[at])) ++at;
  ContentRange range;
  auto first = parse_decimal(value, at);
  if (!first || at >= value.size() || value[at++] != '-') return std::nullopt;
  auto last = parse_decimal(value, at);
  if (!last || at >= value.size() || value[at++] != '/') return std::nullopt;
  if (at < value.size() && value[at] == '*') {
    ++at;
  } else {
    range.length = parse_decimal(value, at);
    if (!range.length) return std::nullopt;
  }
  while (at < value.size() && (is_space(value[at]) || value[at] == '\r' || value[at] == '\n')) ++at;
  if (at != value.size() || *last < *first || (range.length && *last >= *range.length))
    return std::nullopt;
  range.first = *first;
  range.last = *last;
  return range;
}

std::string masked_header_line(std::string line) {
  static const std::regex authorization(R"(^(Authorization:\s*\w+\s+)(\S+))", std::regex::icase);
  std::smatch m;
  if (std::regex_search(line, m, authorization)) {
    std::string token = m[2];
    std::string shown =
        token.size() > 8 ? token.substr(0, 3) + "..." + token.substr(token.size() - 4) : "***";
    return m[1].str() + shown;
  }
  // Signed storage URLs carry their credential in the query.
  static const std::regex signature(
      R"(((?:^|[?&])(?:[A-Za-z-]*Signature|X-Amz-Credential)=)[^&\s]+)", std::regex::icase);
  return std::regex_replace(line, signature, "$1***");
}

std::string resolve_url(const std::string& base, const std::string& reference) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> url(curl_url(), curl_url_cleanup);
  curl_url_set(url.get(), CURLUPART_URL, base.c_str(), 0);
  if (curl_url_set(url.get(), CURLUPART_URL, reference.c_str(), 0) != CURLUE_OK) return "";
  char* out = nullptr;
  curl_url_get(url.get(), CURLUPART_URL, &out, 0);
  std::string resolved = out ? out : "";
  curl_free(out);
  return resolved;
}

std::string origin_of(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return "";
  char *scheme = nullptr, *host = nullptr, *port = nullptr;
  curl_url_get(u.get(), CURLUPART_SCHEME, &scheme, 0);
  curl_url_get(u.get(), CURLUPART_HOST, &host, 0);
  curl_url_get(u.get(), CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
  std::string origin =
      std::string(scheme ? scheme : "") + "://" + (host ? host : "") + ":" + (port ? port : "");
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  for (char& c : origin) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return origin;
}

std::string url_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string url_for_display(const std::string& url) { return url.substr(0, url.find('?')); }

}  // namespace oclip::hub
