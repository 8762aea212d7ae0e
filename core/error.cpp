#include "core/error.h"

#include <utility>

namespace oclip {

std::string_view kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Io:
      return "io";
    case ErrorKind::Usage:
      return "usage";
    case ErrorKind::NotFound:
      return "not-found";
    case ErrorKind::Auth:
      return "auth";
    case ErrorKind::Gated:
      return "gated";
    case ErrorKind::Network:
      return "network";
    case ErrorKind::Integrity:
      return "integrity";
    case ErrorKind::Format:
      return "format";
    case ErrorKind::Validation:
      return "validation";
    case ErrorKind::Unsupported:
      return "unsupported";
    case ErrorKind::Conflict:
      return "conflict";
  }
  return "io";
}

ErrorKind kind_from_name(std::string_view name) {
  for (int k = 0; k <= static_cast<int>(ErrorKind::Conflict); ++k) {
    if (kind_name(static_cast<ErrorKind>(k)) == name) return static_cast<ErrorKind>(k);
  }
  return ErrorKind::Io;
}

Error& Error::with_url(std::string url) {
  url_ = std::move(url);
  return *this;
}
Error& Error::with_http_status(int status) {
  http_status_ = status;
  return *this;
}
Error& Error::with_error_code(std::string code) {
  error_code_ = std::move(code);
  return *this;
}
Error& Error::with_request_id(std::string id) {
  request_id_ = std::move(id);
  return *this;
}
Error& Error::with_file(std::string file) {
  file_ = std::move(file);
  return *this;
}
Error& Error::with_hint(std::string hint) {
  hint_ = std::move(hint);
  return *this;
}

}  // namespace oclip
