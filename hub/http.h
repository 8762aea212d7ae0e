// hub/http.h — one HTTP exchange over libcurl. Redirects are never followed here: the Hub's
// redirect policy (which hops keep the token) lives in hub_api.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"

namespace oclip::hub {

struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using Headers = std::map<std::string, std::string, CaseInsensitiveLess>;

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, POST, PUT
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  bool send_token = false;           // add "Authorization: Bearer …" when there is a token
  std::string body;                  // POST only
  // PUT only: the bytes to send, not copied (a window of a mapped file); must outlive send().
  std::string_view upload;
  std::function<void(uint64_t bytes_sent)> upload_progress;  // running total of this request
  std::optional<uint64_t> range_start;
  double connect_timeout_s = 10;
  double stall_timeout_s = 10;  // abort when no byte arrives for this long
};

struct HttpResult {
  long status = 0;  // 0 when no response arrived
  Headers headers;
  std::string body;             // when no sink was given
  uint64_t body_bytes = 0;      // bytes received (into the sink or the body)
  std::string transport_error;  // empty when the exchange completed
  bool aborted_by_sink = false;

  bool ok() const { return transport_error.empty(); }
  std::string header(const std::string& name) const;
};

// Receives a 2xx body in chunks, with the response's status and headers; returns false to
// abort the transfer. Other statuses keep their (short) body in HttpResult::body.
using BodySink = std::function<bool(const HttpResult& response, std::string_view chunk)>;

class HttpClient {
 public:
  explicit HttpClient(const Config& config);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Reuses one connection pool across calls. Never throws for HTTP statuses.
  HttpResult send(const HttpRequest& request, const BodySink& sink = nullptr);

  const std::string& user_agent() const { return user_agent_; }
  // What every transfer of oclip's shares, for handles made elsewhere (the parallel ranges):
  // user agent, no redirects followed, http(s) only, connect timeout, stall limit, CA bundle.
  // `easy` is a CURL*.
  void apply_common_options(void* easy, double connect_timeout_s, double stall_timeout_s) const;

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
  std::string token_;
  std::string ca_bundle_;
  std::string user_agent_;
  std::function<void(const std::string&)> trace_;
};

// A 206's Content-Range, "bytes FIRST-LAST/LENGTH" (LENGTH may be "*").
struct ContentRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
  std::optional<uint64_t> length;
};
// nullopt when malformed, LAST < FIRST, or LAST beyond LENGTH.
std::optional<ContentRange> parse_content_range(std::string_view value);

// A header line as -v shows it: the Authorization value and URL signatures masked.
std::string masked_header_line(std::string line);

// RFC 3986 reference resolution, keeping the query.
std::string resolve_url(const std::string& base, const std::string& reference);

// "scheme://host:port" with the default port made explicit.
std::string origin_of(const std::string& url);

// Percent-encodes everything but unreserved characters (and '/' when keep_slash).
std::string url_encode(std::string_view text, bool keep_slash);

// The URL without its query string, for messages (signed URLs carry credentials there).
std::string url_for_display(const std::string& url);

}  // namespace oclip::hub
