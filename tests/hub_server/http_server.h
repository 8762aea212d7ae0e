// A small HTTP/1.1 server for the local Hub. Written for the test server rather than taken
// from a library because the Hub's behaviour under Range (206, 416, a 200 that ignores the
// range) and the fault injection (drop after N bytes, stall, throttle) need byte-level control
// of what goes on the wire.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace local_hub {

struct CaseLess {
  bool operator()(const std::string& a, const std::string& b) const;
};

struct Request {
  std::string method;
  std::string target;  // as sent: path plus query
  std::string path;    // percent-decoded, no query
  std::string raw_path;
  std::string query;                               // raw, without '?'
  std::multimap<std::string, std::string> params;  // decoded query parameters
  std::map<std::string, std::string, CaseLess> headers;
  std::string body;

  std::string header(const std::string& name) const;
  std::string param(const std::string& name) const;
  bool has_param(const std::string& name) const;
};

// How the body goes out; set by fault injection.
struct Delivery {
  int64_t drop_after = -1;  // close the connection after this many body bytes
  int stall_ms = 0;         // pause before the first body byte
  int64_t throttle_bytes_per_s = 0;
  bool hang_up = false;  // close the connection without answering (a dropped upload)
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  // The body is a window into shared bytes, so big files are never copied per request.
  std::shared_ptr<const std::string> data;
  uint64_t offset = 0;
  uint64_t length = 0;
  Delivery delivery;
  std::string note;  // written to the request log (e.g. which fault fired)

  void set_header(const std::string& name, const std::string& value);
  void set_body(std::string text, const std::string& content_type);
  void set_window(std::shared_ptr<const std::string> bytes, uint64_t offset, uint64_t length);
};

using Handler = std::function<Response(const Request&)>;
using Logger = std::function<void(const Request&, const Response&, uint64_t bytes_sent)>;

// `+` means a space only in form-encoded query strings and bodies, not in paths.
std::string percent_decode(const std::string& text, bool plus_is_space);
void parse_query(const std::string& query, std::multimap<std::string, std::string>& params);
std::string status_text(int status);

class HttpServer {
 public:
  HttpServer(Handler handler, Logger logger);
  ~HttpServer();

  // Binds 127.0.0.1:port (0 picks a free one) and starts serving. Returns the port.
  int start(int port);
  // Closes the listener and every open connection, then waits for the workers.
  void stop();

 private:
  void accept_loop();
  void serve_connection(int fd);
  bool write_response(int fd, const Request& request, Response& response, uint64_t& sent);

  Handler handler_;
  Logger logger_;
  int listen_fd_ = -1;
  std::thread acceptor_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable idle_;
  std::set<int> open_fds_;
  int workers_ = 0;
};

}  // namespace local_hub
