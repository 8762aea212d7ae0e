#include "responses.h"

namespace local_hub {

std::string in_quotes(const std::string& s) { return "\"" + s + "\""; }

std::string url_encode(const std::string& text, bool keep_slash) {
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

std::string join(const std::vector<std::string>& parts, size_t from) {
  std::string out;
  for (size_t i = from; i < parts.size(); ++i) out += (i > from ? "/" : "") + parts[i];
  return out;
}

Response api_error(int status, const std::string& code, const std::string& message) {
  Response r;
  r.status = status;
  if (!code.empty()) r.set_header("X-Error-Code", code);
  r.set_header("X-Error-Message", message);
  r.set_body(Json{{"error", message}}.dump(), "application/json; charset=utf-8");
  return r;
}

Response text_error(int status, const std::string& code, const std::string& message) {
  Response r;
  r.status = status;
  if (!code.empty()) r.set_header("X-Error-Code", code);
  r.set_header("X-Error-Message", message);
  r.set_body(message, "text/plain; charset=utf-8");
  return r;
}

Response json_response(const Json& body) {
  Response r;
  r.set_body(body.dump(), "application/json; charset=utf-8");
  return r;
}

Response storage_error(int status, const std::string& code, const std::string& message) {
  Response r;
  r.status = status;
  r.set_body("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code +
                 "</Code><Message>" + message + "</Message></Error>",
             "application/xml");
  return r;
}

}  // namespace local_hub
