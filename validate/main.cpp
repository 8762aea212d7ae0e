// oclip-validate: the LibTorch half of `oclip validate`, run by oclip as a child process so
// that oclip itself never loads LibTorch. Prints one JSON object on stdout: the report, or
// {"error": {"kind", "message"}} with exit status 1.
#include <CLI/CLI.hpp>
#include <iostream>

#include "core/error.h"
#include "validate/validator.h"

int main(int argc, char** argv) {
  using namespace oclip;
  CLI::App app{"oclip-validate: run a converted open_clip folder in LibTorch and compare it"};
  validate::ValidateOptions options;
  double rtol = -1, cos = -1, maxabs = -1;
  app.add_option("FOLDER", options.folder, "Folder with open_clip_config.json and weights")
      ->required();
  app.add_option("--reference", options.reference, "reference.npz with inputs and outputs");
  app.add_option("--source", options.source, "The TorchScript file the folder came from");
  app.add_option("--baseline", options.baseline, "The fp32 conversion of the same source");
  app.add_option("--baseline-of", options.baseline_of, "The source's name, for the report");
  app.add_option("--device", options.device, "auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  app.add_option("--threads", options.threads, "CPU threads (0: LibTorch's default)");
  app.add_option("--rtol", rtol, "Bound on the relative L2 error per row");
  app.add_option("--cos", cos, "Bound on the cosine similarity per row");
  app.add_option("--maxabs", maxabs, "Bound on max |a - r| / max(1, max |r|)");
  CLI11_PARSE(app, argc, argv);
  if (rtol >= 0) options.rtol = rtol;
  if (cos >= 0) options.cos = cos;
  if (maxabs >= 0) options.maxabs = maxabs;

  try {
    std::cout << validate::run_validation(options).dump(2) << "\n";
    return 0;
  } catch (const Error& e) {
    nlohmann::json error = {{"kind", kind_name(e.kind())}, {"message", e.what()}};
    std::cout << nlohmann::json{{"error", error}}.dump(2) << "\n";
  } catch (const std::exception& e) {
    nlohmann::json error = {{"kind", "io"},
                            {"message", std::string("internal error: ") + e.what()}};
    std::cout << nlohmann::json{{"error", error}}.dump(2) << "\n";
  }
  return 1;
}
