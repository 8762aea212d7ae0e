#include "cli/output.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/exit_codes.h"
#include "core/file_io.h"

namespace oclip::cli {

int report_error(const Config& config, const Error& error) {
  int code = exit_code_for(error.kind());
  if (config.json) {
    nlohmann::ordered_json body = {
        {"kind", kind_name(error.kind())}, {"exit_code", code}, {"message", error.what()}};
    if (!error.hint().empty()) body["hint"] = error.hint();
    if (!error.url().empty()) body["url"] = error.url();
    if (error.http_status() != 0) body["http_status"] = error.http_status();
    if (!error.error_code().empty()) body["error_code"] = error.error_code();
    if (!error.request_id().empty()) body["request_id"] = error.request_id();
    if (!error.file().empty()) body["file"] = error.file();
    print_json({{"error", body}});
    return code;
  }
  std::string prefix = config.color ? "\x1b[1;31merror:\x1b[0m " : "error: ";
  std::cerr << prefix << error.what() << "\n";
  if (!error.hint().empty()) std::cerr << "hint: " << error.hint() << "\n";
  return code;
}

void print_json(const nlohmann::ordered_json& value) {
  std::cout << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += "\n";
  }
  return out;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

std::string bold(const Config& config, const std::string& text) {
  return config.color ? "\x1b[1m" + text + "\x1b[0m" : text;
}

nlohmann::ordered_json read_json_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw Error(ErrorKind::NotFound, what + " not found: " + path);
  }
  auto value = nlohmann::ordered_json::parse(read_file(path), nullptr, false);
  if (value.is_discarded()) {
    throw Error(ErrorKind::Format, what + " is not valid JSON").with_file(path);
  }
  return value;
}

}  // namespace oclip::cli
