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

struct ValidationRequest {
  std::filesystem::path folder;
  std::filesystem::path reference;  // optional reference.npz
  std::filesystem::path source;     // the file the folder came from; else found by its record
  std::vector<std::string> args;    // passed on: --device, --threads, bounds
};

// Runs the validator on a folder. A folder stored in fp16/bf16 is compared with the fp32
// conversion of its source (written to a scratch folder and removed afterwards) when the
// source is at hand; otherwise the report says why that check was skipped. Throws
// Error(Unsupported) when there is no validator or it cannot build the architecture.
nlohmann::ordered_json validate_folder(const Config& config, const ValidationRequest& request);

// Runs `validator FOLDER ARGS...` and returns its report. A validator error arrives as the
// oclip::Error it was; a crash is Error(Io).
nlohmann::ordered_json run_validator(const std::filesystem::path& validator,
                                     const std::filesystem::path& folder,
                                     const std::vector<std::string>& args);

// The report as lines for a terminal.
std::string report_text(const nlohmann::ordered_json& report);

}  // namespace oclip::cli
