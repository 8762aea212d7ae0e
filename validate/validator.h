// validate/validator.h — build a folder's model, run both towers and compare them with what
// proves the conversion (architectures.md §9). The result is a JSON report that `oclip`
// renders; nothing here prints.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace oclip::validate {

struct ValidateOptions {
  std::filesystem::path folder;
  std::filesystem::path reference;  // reference.npz: inputs and expected outputs
  std::filesystem::path source;     // the TorchScript file the folder came from
  std::filesystem::path baseline;   // the fp32 conversion of the same source
  std::string baseline_of;          // that source's name, for the report
  std::string device = "auto";      // auto, cpu, cuda
  int threads = 0;                  // 0: LibTorch's default
  // Overrides of the bounds for the folder's precision (§9.2).
  std::optional<double> rtol, cos, maxabs;
};

// Throws oclip::Error for what stops a validation before it can judge (unsupported
// architecture, unreadable folder); a failed comparison is a report with "pass": false.
nlohmann::ordered_json run_validation(const ValidateOptions& options);

// The source program's features, when it can run here (torchscript.cpp). Throws Error with the
// reason when it cannot.
struct ProgramFeatures {
  torch::Tensor image, text;
};
ProgramFeatures run_torchscript(const std::filesystem::path& file, const torch::Tensor& image,
                                const torch::Tensor& text);

}  // namespace oclip::validate
