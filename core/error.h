// core/error.h — the one error type every library throws.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace oclip {

// What went wrong, in the terms the exit-code table uses. cli/ maps each kind to a code.
enum class ErrorKind {
  Io,           // disk, permissions, internal bugs
  Usage,        // bad flags or arguments
  NotFound,     // model, tag, repo, revision, file
  Auth,         // token invalid, no write access
  Gated,        // gated repo, access not granted
  Network,      // connection, TLS, timeout, 429/5xx after retries
  Integrity,    // hash or size mismatch
  Format,       // unreadable or malicious checkpoint, config or card
  Validation,   // conversion numbers outside tolerance
  Unsupported,  // not buildable yet, validator missing
  Conflict,     // parent commit moved, lock held too long
};

std::string_view kind_name(ErrorKind kind);
// The inverse of kind_name, for errors that crossed a process boundary; Io when unknown.
ErrorKind kind_from_name(std::string_view name);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

  ErrorKind kind() const { return kind_; }

  // Context, filled where it is known. Empty means "not applicable".
  Error& with_url(std::string url);
  Error& with_http_status(int status);
  Error& with_error_code(std::string code);  // the server's X-Error-Code
  Error& with_request_id(std::string id);
  Error& with_file(std::string file);
  Error& with_hint(std::string hint);

  const std::string& url() const { return url_; }
  int http_status() const { return http_status_; }
  const std::string& error_code() const { return error_code_; }
  const std::string& request_id() const { return request_id_; }
  const std::string& file() const { return file_; }
  const std::string& hint() const { return hint_; }

 private:
  ErrorKind kind_;
  std::string url_;
  int http_status_ = 0;
  std::string error_code_;
  std::string request_id_;
  std::string file_;
  std::string hint_;
};

}  // namespace oclip
