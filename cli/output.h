// cli/output.h — how results and errors reach the terminal: human text or JSON.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"

namespace oclip::cli {

// Prints an error: `error: ...` (+ `hint: ...`) on stderr, or a JSON object on stdout with
// --json. Returns the exit code.
int report_error(const Config& config, const Error& error);

// JSON on stdout, two-space indented, one trailing newline.
void print_json(const nlohmann::ordered_json& value);

// Rows as aligned columns; the last column is not padded.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

// "[2, 3]": a tensor shape for tables.
std::string shape_text(const std::vector<int64_t>& shape);

std::string bold(const Config& config, const std::string& text);

// A JSON file the user named (`what` says which, for messages): Error(NotFound) when missing,
// Error(Format) when it is not JSON.
nlohmann::ordered_json read_json_file(const std::string& path, const std::string& what);

}  // namespace oclip::cli
