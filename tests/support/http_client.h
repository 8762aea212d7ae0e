// A plain libcurl client for checking the local Hub's protocol from outside oclip: no redirect
// following, every header kept.
#pragma once

#include <map>
#include <string>
#include <vector>

struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};

struct HttpReply {
  int curl_code = 0;  // CURLE_OK when the exchange completed
  long status = 0;
  std::map<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;
  double seconds = 0;

  std::string header(const std::string& name) const;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  long timeout_ms = 10'000;
};

HttpReply http(const HttpRequest& request);
HttpReply http_get(const std::string& url, std::vector<std::string> headers = {});
HttpReply http_head(const std::string& url, std::vector<std::string> headers = {});

// Resolves a Location header against the URL it came from.
std::string resolve_location(const std::string& base_url, const std::string& location);
