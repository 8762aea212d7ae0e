// cli/validator_process.h — runs the LibTorch validator (validate/, a separate executable) and
// renders its report, for `oclip validate` and `oclip convert`.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"

namespace oclip::cli {

// config.validator, else oclip-validate next to this executable, else in ../libexec/oclip/.
std::optional<std::filesystem::path> find_validator(const Config& config);

// What to say when there is none (an Unsupported error carries it).
std::string validator_missing_message();

// Runs `validator FOLDER ARGS...` and returns its report. A validator error arrives as the
// oclip::Error it was; a crash is Error(Io).
nlohmann::ordered_json run_validator(const std::filesystem::path& validator,
                                     const std::filesystem::path& folder,
                                     const std::vector<std::string>& args);

// The report as lines for a terminal.
std::string report_text(const nlohmann::ordered_json& report);

}  // namespace oclip::cli
