#include "cli/validator_process.h"

#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli/command.h"
#include "cli/output.h"
#include "cli/scratch_dir.h"
#include "convert/conversion.h"
#include "convert/tensor_writer.h"
#include "core/error.h"
#include "core/file_io.h"

extern char** environ;

namespace oclip::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

bool executable(const fs::path& path) { return access(path.c_str(), X_OK) == 0; }

// The child's stdout, whole; stderr stays the user's (LibTorch warnings go there).
std::string run_and_capture(const std::vector<std::string>& argv, int* status) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw Error(ErrorKind::Io, std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The validator starts with no signal blocked (oclip blocks the interrupting ones for its
  // cleanup thread), so Ctrl-C stops it too.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    throw Error(ErrorKind::Io, fmt::format("cannot start {}: {}", argv[0], std::strerror(rc)));
  }
  std::string out;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
    if (n > 0)
      out.append(buffer, static_cast<size_t>(n));
    else if (n == 0 || errno != EINTR)
      break;
  }
  close(pipe_fds[0]);
  while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
  }
  return out;
}

std::string number(double value) { return fmt::format("{:.3g}", value); }

// The same source converted in fp32 into `dir`, with the folder's own config standing in for
// --model; returns the source's file name.
std::string write_fp32_baseline(const Config& config, const fs::path& folder,
                                const fs::path& source_path, const fs::path& dir) {
  const convert::Checkpoint source = convert::read_checkpoint(source_path);
  convert::ConvertOptions options;
  options.folder_config =
      nlohmann::ordered_json::parse(read_file(folder / "open_clip_config.json"));
  const convert::Conversion conversion =
      convert::plan_conversion(source, options, load_registry(config));
  convert::write_folder(conversion, source, dir, {});
  return source_path.filename().string();
}

}  // namespace

std::optional<fs::path> find_validator(const Config& config) {
  if (!config.validator.empty()) {
    if (executable(config.validator)) return config.validator;
    return std::nullopt;
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  for (const fs::path& candidate :
       {self.parent_path() / "oclip-validate",
        self.parent_path().parent_path() / "libexec" / "oclip" / "oclip-validate"}) {
    if (executable(candidate)) return candidate;
  }
  return std::nullopt;
}

std::string validator_missing_message() {
  return "this oclip has no LibTorch validator (oclip-validate): install libtorch-dev and "
         "rebuild, or set OCLIP_VALIDATOR to its path";
}

Json validate_folder(const Config& config, const ValidationRequest& request) {
  const std::optional<fs::path> validator = find_validator(config);
  if (!validator) throw Error(ErrorKind::Unsupported, validator_missing_message());
  std::vector<std::string> args = request.args;
  if (!request.reference.empty())
    args.insert(args.end(), {"--reference", request.reference.string()});
  if (!request.source.empty()) args.insert(args.end(), {"--source", request.source.string()});

  const fs::path weights = request.folder / "open_clip_model.safetensors";
  convert::Metadata metadata;
  if (fs::is_regular_file(weights)) metadata = convert::read_checkpoint(weights).metadata;
  const std::string precision = convert::metadata_value(metadata, "oclip.precision");
  std::optional<ScratchDir> scratch;
  std::string baseline_problem;
  if (precision == "fp16" || precision == "bf16") {
    const convert::RecordedSource source =
        convert::find_recorded_source(metadata, request.folder, request.source);
    baseline_problem = source.problem;
    if (!source.path.empty()) {
      scratch.emplace("oclip-baseline-");
      const fs::path dir = scratch->path() / "fp32";
      const std::string name = write_fp32_baseline(config, request.folder, source.path, dir);
      args.insert(args.end(), {"--baseline", dir.string(), "--baseline-of", name});
    }
  }
  Json report = run_validator(*validator, request.folder, args);
  if (!baseline_problem.empty())
    report["skipped"].push_back({{"kind", "fp32-baseline"}, {"reason", baseline_problem}});
  return report;
}

Json run_validator(const fs::path& validator, const fs::path& folder,
                   const std::vector<std::string>& args) {
  std::vector<std::string> argv = {validator.string(), folder.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  int status = 0;
  const std::string out = run_and_capture(argv, &status);
  if (WIFSIGNALED(status))
    throw Error(ErrorKind::Io,
                fmt::format("the validator was killed by signal {}", WTERMSIG(status)));
  Json report;
  try {
    report = Json::parse(out);
  } catch (const Json::exception&) {
    throw Error(ErrorKind::Io, fmt::format("the validator exited with status {} and no report",
                                           WEXITSTATUS(status)));
  }
  if (report.contains("error")) {
    const Json& e = report["error"];
    throw Error(kind_from_name(e.value("kind", "io")), e.value("message", "validator error"));
  }
  return report;
}

std::string report_text(const Json& report) {
  std::string text = fmt::format(
      "{} on {} ({} thread{}), {} weights, {}{}\n", report.value("folder", ""),
      report.value("device", "?"), report.value("threads", 1),
      report.value("threads", 1) == 1 ? "" : "s", report.value("precision", "?"),
      report.value("vision", "?"),
      report.contains("timm_model_name") ? " " + report["timm_model_name"].get<std::string>() : "");
  const Json& structure = report["structure"];
  if (!structure.value("pass", false)) {
    for (const char* list : {"missing", "unexpected", "mismatched"})
      for (const Json& name : structure[list])
        text += fmt::format("  {}  {}\n", list, name.get<std::string>());
  }
  std::vector<std::vector<std::string>> rows;
  for (const Json& check : report["checks"]) {
    const std::string kind = check.value("kind", "");
    const size_t first_row = rows.size();
    for (const Json& t : check.value("towers", Json::array())) {
      if (t.contains("problem")) {
        rows.push_back(
            {kind, t.value("tower", ""), t["problem"].get<std::string>(), "", "", "FAIL"});
        continue;
      }
      rows.push_back({kind, t.value("tower", ""), "rel " + number(t.value("rel", 0.0)),
                      "1-cos " + number(1 - t.value("cos", 0.0)),
                      fmt::format("maxabs {} (max|r| {})", number(t.value("maxabs", 0.0)),
                                  number(t.value("max_ref", 0.0))),
                      t.value("pass", false) ? "ok" : "FAIL"});
    }
    for (const Json& s : check.value("scalars", Json::array())) {
      rows.push_back(
          {kind, s.value("name", ""),
           s.contains("value") ? fmt::format("{:.9g}", s["value"].get<double>()) : "missing",
           s.contains("reference") ? fmt::format("reference {:.9g}", s["reference"].get<double>())
                                   : "",
           "", s.value("pass", false) ? "ok" : "FAIL"});
    }
    for (const Json& item : check.value("items", Json::array()))
      rows.push_back({kind, item.value("what", ""), item.value("detail", ""), "", "",
                      item.value("pass", false) ? "ok" : "FAIL"});
    if (check.contains("against") && rows.size() > first_row)
      rows[first_row][0] = kind + " " + check["against"].get<std::string>();
    for (size_t i = first_row + 1; i < rows.size(); ++i) rows[i][0] = "";
  }
  for (std::string line; const char c : format_table(rows)) {
    line += c;
    if (c == '\n') text += "  " + line, line.clear();
  }
  for (const Json& s : report["skipped"])
    text += fmt::format("  skipped {}: {}\n", s.value("kind", ""), s.value("reason", ""));
  for (const Json& w : report["warnings"]) text += "  warning: " + w.get<std::string>() + "\n";
  const Json& times = report["times"];
  text += fmt::format("  build {:.2f} s, load {:.2f} s, forward {:.2f} s, total {:.2f} s\n",
                      times.value("build", 0.0), times.value("load", 0.0),
                      times.value("forward", 0.0), times.value("total", 0.0));
  text += report.value("pass", false)
              ? (report.value("strength", "") == "weak" ? "passed (weaker check)\n" : "passed\n")
              : "FAILED\n";
  return text;
}

}  // namespace oclip::cli
