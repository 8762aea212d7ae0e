#include "tests/support/http_client.h"

#include <curl/curl.h>
#include <strings.h>

#include <memory>

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return ::strcasecmp(a.c_str(), b.c_str()) < 0;
}

std::string HttpReply::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

namespace {

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<HttpReply*>(user)->body.append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  std::string line(data, size * count);
  auto* reply = static_cast<HttpReply*>(user);
  if (line.rfind("HTTP/", 0) == 0) reply->headers.clear();  // a new response (100 Continue)
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of("\r\n") + 1);
    reply->headers[line.substr(0, colon)] = value;
  }
  return size * count;
}

}  // namespace

HttpReply http(const HttpRequest& request) {
  HttpReply reply;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  curl_slist* list = nullptr;
  for (const std::string& h : request.headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &reply);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, request.timeout_ms);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  if (request.method == "HEAD") {
    curl_easy_setopt(curl.get(), CURLOPT_NOBODY, 1L);
  } else if (request.method == "POST") {
    curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  reply.curl_code = curl_easy_perform(curl.get());
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &reply.status);
  curl_easy_getinfo(curl.get(), CURLINFO_TOTAL_TIME, &reply.seconds);
  curl_slist_free_all(list);
  return reply;
}

HttpReply http_get(const std::string& url, std::vector<std::string> headers) {
  return http({"GET", url, std::move(headers), "", 10'000});
}

HttpReply http_head(const std::string& url, std::vector<std::string> headers) {
  return http({"HEAD", url, std::move(headers), "", 10'000});
}

std::string resolve_location(const std::string& base_url, const std::string& location) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> url(curl_url(), curl_url_cleanup);
  curl_url_set(url.get(), CURLUPART_URL, base_url.c_str(), 0);
  curl_url_set(url.get(), CURLUPART_URL, location.c_str(), 0);
  char* out = nullptr;
  curl_url_get(url.get(), CURLUPART_URL, &out, 0);
  std::string result = out ? out : "";
  curl_free(out);
  return result;
}
