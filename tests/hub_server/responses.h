// Answer shapes of the local Hub: Hub API errors (JSON), resolve errors (text), storage
// errors (XML, as S3 sends them).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http_server.h"

namespace local_hub {

using Json = nlohmann::ordered_json;

std::string in_quotes(const std::string& s);
std::string url_encode(const std::string& text, bool keep_slash);
std::string join(const std::vector<std::string>& parts, size_t from);
Response api_error(int status, const std::string& code, const std::string& message);
// resolve and raw answer errors in plain text; the message is in X-Error-Message.
Response text_error(int status, const std::string& code, const std::string& message);
Response json_response(const Json& body);
Response storage_error(int status, const std::string& code, const std::string& message);

}  // namespace local_hub
