#include "http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "core/text.h"

namespace local_hub {
namespace {

constexpr size_t kMaxHead = 64 * 1024;
constexpr size_t kMaxBody = 256 * 1024 * 1024;
constexpr int kIdleTimeoutMs = 10'000;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads until `buffer` holds at least `want` bytes. False on EOF, error, timeout or stop.
bool fill(int fd, std::string& buffer, size_t want, const std::atomic<bool>& stopping) {
  char chunk[16384];
  while (buffer.size() < want) {
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, kIdleTimeoutMs);
    if (ready <= 0 || stopping) return false;
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
  }
  return true;
}

bool send_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

void parse_query(const std::string& query, std::multimap<std::string, std::string>& params) {
  size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string item = query.substr(start, end - start);
    if (!item.empty()) {
      size_t eq = item.find('=');
      std::string key = percent_decode(eq == std::string::npos ? item : item.substr(0, eq), true);
      std::string value = eq == std::string::npos ? "" : percent_decode(item.substr(eq + 1), true);
      params.emplace(key, value);
    }
    start = end + 1;
  }
}

namespace {

// Chunked request bodies (some clients stream uploads).
bool read_chunked(int fd, std::string& buffer, std::string& body,
                  const std::atomic<bool>& stopping) {
  while (true) {
    size_t eol;
    while ((eol = buffer.find("\r\n")) == std::string::npos) {
      if (!fill(fd, buffer, buffer.size() + 1, stopping)) return false;
    }
    size_t size = std::strtoull(buffer.substr(0, eol).c_str(), nullptr, 16);
    buffer.erase(0, eol + 2);
    if (body.size() + size > kMaxBody) return false;
    if (!fill(fd, buffer, size + 2, stopping)) return false;
    body.append(buffer, 0, size);
    buffer.erase(0, size + 2);
    if (size == 0) return true;  // trailers are not used by any Hub client
  }
}

// A body of known length: what the head's read already holds, then straight into `body`,
// so that large uploads are not copied through the line buffer.
bool read_body(int fd, std::string& buffer, size_t size, std::string& body,
               const std::atomic<bool>& stopping) {
  size_t have = std::min(size, buffer.size());
  body.assign(buffer, 0, have);
  buffer.erase(0, have);
  body.resize(size);
  while (have < size) {
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, kIdleTimeoutMs);
    if (ready <= 0 || stopping) return false;
    ssize_t n = ::recv(fd, body.data() + have, size - have, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    have += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

bool CaseLess::operator()(const std::string& a, const std::string& b) const {
  return lower(a) < lower(b);
}

std::string Request::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

std::string Request::param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

bool Request::has_param(const std::string& name) const { return params.count(name) > 0; }

void Response::set_header(const std::string& name, const std::string& value) {
  for (auto& header : headers) {
    if (lower(header.first) == lower(name)) {
      header.second = value;
      return;
    }
  }
  headers.emplace_back(name, value);
}

void Response::set_body(std::string text, const std::string& content_type) {
  length = text.size();
  offset = 0;
  data = std::make_shared<const std::string>(std::move(text));
  set_header("Content-Type", content_type);
}

void Response::set_window(std::shared_ptr<const std::string> bytes, uint64_t from, uint64_t size) {
  data = std::move(bytes);
  offset = from;
  length = size;
}

std::string percent_decode(const std::string& text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else if (plus_is_space && text[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string status_text(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 416:
      return "Range Not Satisfiable";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

HttpServer::HttpServer(Handler handler, Logger logger)
    : handler_(std::move(handler)), logger_(std::move(logger)) {}

HttpServer::~HttpServer() { stop(); }

int HttpServer::start(int port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 128) != 0) {
    throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port) + ": " +
                             std::strerror(errno));
  }
  socklen_t size = sizeof address;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &size);
  acceptor_ = std::thread([this] { accept_loop(); });
  return ntohs(address.sin_port);
}

void HttpServer::stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  std::unique_lock<std::mutex> lock(mutex_);
  for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  idle_.wait(lock, [this] { return workers_ == 0; });
}

void HttpServer::accept_loop() {
  while (!stopping_) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    open_fds_.insert(fd);
    ++workers_;
    std::thread([this, fd] {
      serve_connection(fd);
      std::lock_guard<std::mutex> done(mutex_);
      open_fds_.erase(fd);
      ::close(fd);
      --workers_;
      idle_.notify_all();
    }).detach();
  }
}

void HttpServer::serve_connection(int fd) {
  std::string buffer;
  while (!stopping_) {
    size_t head_end;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > kMaxHead || !fill(fd, buffer, buffer.size() + 1, stopping_)) return;
    }
    Request request;
    std::string head = buffer.substr(0, head_end);
    buffer.erase(0, head_end + 4);
    size_t line_end = head.find("\r\n");
    std::string line = head.substr(0, line_end);
    size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
    if (sp1 == std::string::npos || sp2 == sp1) return;
    request.method = line.substr(0, sp1);
    request.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string version = line.substr(sp2 + 1);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t next = head.find("\r\n", pos);
      if (next == std::string::npos) next = head.size();
      std::string field = head.substr(pos, next - pos);
      size_t colon = field.find(':');
      if (colon != std::string::npos) {
        request.headers[oclip::strip(field.substr(0, colon))] =
            oclip::strip(field.substr(colon + 1));
      }
      pos = next + 2;
    }
    size_t question = request.target.find('?');
    request.raw_path = request.target.substr(0, question);
    request.query = question == std::string::npos ? "" : request.target.substr(question + 1);
    request.path = percent_decode(request.raw_path, false);
    parse_query(request.query, request.params);

    if (lower(request.header("Transfer-Encoding")) == "chunked") {
      if (!read_chunked(fd, buffer, request.body, stopping_)) return;
    } else if (std::string length = request.header("Content-Length"); !length.empty()) {
      size_t size = std::strtoull(length.c_str(), nullptr, 10);
      if (size > kMaxBody || !read_body(fd, buffer, size, request.body, stopping_)) return;
    }

    Response response = handler_(request);
    uint64_t sent = 0;
    if (response.delivery.hang_up) {
      if (logger_) logger_(request, response, sent);
      return;
    }
    bool keep = write_response(fd, request, response, sent);
    if (logger_) logger_(request, response, sent);
    bool close_requested = lower(request.header("Connection")) == "close" || version == "HTTP/1.0";
    if (!keep || close_requested) return;
  }
}

bool HttpServer::write_response(int fd, const Request& request, Response& response,
                                uint64_t& sent) {
  std::string head =
      "HTTP/1.1 " + std::to_string(response.status) + " " + status_text(response.status) + "\r\n";
  bool has_length = false;
  for (const auto& [name, value] : response.headers) {
    has_length |= lower(name) == "content-length";
    head += name + ": " + value + "\r\n";
  }
  if (!has_length && response.status != 304) {
    head += "Content-Length: " + std::to_string(response.length) + "\r\n";
  }
  head += "\r\n";
  if (!send_all(fd, head.data(), head.size())) return false;
  if (request.method == "HEAD" || response.status == 304 || response.length == 0) return true;

  const Delivery& d = response.delivery;
  if (d.stall_ms > 0) {
    // Sleep in slices so that stop() is not held up by a long stall.
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(d.stall_ms);
    while (!stopping_ && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  const char* bytes = response.data->data() + response.offset;
  uint64_t total = response.length;
  uint64_t limit = d.drop_after >= 0 ? std::min<uint64_t>(total, d.drop_after) : total;
  uint64_t slice = d.throttle_bytes_per_s > 0
                       ? std::max<uint64_t>(1, d.throttle_bytes_per_s / 20)  // 50 ms slices
                       : 256 * 1024;
  auto started = std::chrono::steady_clock::now();
  while (sent < limit && !stopping_) {
    uint64_t n = std::min(slice, limit - sent);
    if (!send_all(fd, bytes + sent, n)) return false;
    sent += n;
    if (d.throttle_bytes_per_s > 0) {
      auto due = started + std::chrono::microseconds(sent * 1'000'000 / d.throttle_bytes_per_s);
      std::this_thread::sleep_until(due);
    }
  }
  if (sent < total) {
    ::shutdown(fd, SHUT_RDWR);  // the injected drop: the client sees a short body
    return false;
  }
  return true;
}

}  // namespace local_hub
