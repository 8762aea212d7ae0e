// oclip inspect FILE|DIR: the format, wrapper and tensors of a checkpoint, from its headers.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

#include "cli/command.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "convert/checkpoint.h"

namespace oclip::cli {
namespace {

namespace fs = std::filesystem;

struct Options {
  std::string path;
  bool hash = false;
  bool summary = false;
};

nlohmann::ordered_json describe_checkpoint(const convert::Checkpoint& c, const Options& options) {
  uint64_t parameters = 0;
  uint64_t bytes = 0;
  std::map<std::string, uint64_t> by_dtype;
  nlohmann::ordered_json tensors = nlohmann::ordered_json::array();
  for (const convert::Tensor& t : c.tensors) {
    parameters += t.numel();
    bytes += t.nbytes();
    by_dtype[std::string(convert::dtype_name(t.dtype))] += t.nbytes();
    nlohmann::ordered_json row = {{"name", t.name},
                                  {"dtype", convert::dtype_name(t.dtype)},
                                  {"shape", t.shape},
                                  {"bytes", t.nbytes()}};
    if (options.hash) {
      row["sha256"] = convert::tensor_sha256(t);
      if (c.file) c.file->release(t.storage);
    }
    tensors.push_back(std::move(row));
  }
  nlohmann::ordered_json out = {{"file", c.label}, {"format", convert::format_name(c.format)}};
  if (!c.archive_name.empty()) out["archive"] = c.archive_name;
  out["wrapper"] = c.wrapper;
  out["stripped_prefix"] = c.stripped_prefix;
  out["tensor_count"] = c.tensors.size();
  out["parameters"] = parameters;
  out["bytes"] = bytes;
  out["bytes_by_dtype"] = by_dtype;
  nlohmann::ordered_json metadata = nlohmann::ordered_json::object();
  for (const auto& [k, v] : c.metadata) metadata[k] = v;
  out["metadata"] = metadata;
  out["notes"] = c.notes;
  if (!options.summary) out["tensors"] = tensors;
  return out;
}

void print_human(const Config& config, const nlohmann::ordered_json& d) {
  std::vector<std::vector<std::string>> head = {{"file", d["file"]}};
  std::string format = d["format"];
  if (d.contains("archive")) format += " (archive '" + d["archive"].get<std::string>() + "/')";
  head.push_back({"format", format});
  if (!d["wrapper"].get<std::string>().empty())
    head.push_back({"wrapper", "['" + d["wrapper"].get<std::string>() + "']"});
  if (!d["stripped_prefix"].get<std::string>().empty())
    head.push_back({"prefix", "'" + d["stripped_prefix"].get<std::string>() + "' removed"});
  head.push_back({"tensors", std::to_string(d["tensor_count"].get<size_t>())});
  head.push_back({"parameters", std::to_string(d["parameters"].get<uint64_t>())});
  std::string by_dtype;
  for (auto it = d["bytes_by_dtype"].begin(); it != d["bytes_by_dtype"].end(); ++it)
    by_dtype +=
        (by_dtype.empty() ? "" : ", ") + it.key() + " " + human_bytes(it.value().get<uint64_t>());
  head.push_back({"bytes", human_bytes(d["bytes"].get<uint64_t>()) + " (" + by_dtype + ")"});
  for (auto it = d["metadata"].begin(); it != d["metadata"].end(); ++it)
    head.push_back({"metadata", it.key() + " = " + it.value().get<std::string>()});
  for (const auto& note : d["notes"]) head.push_back({"note", note.get<std::string>()});
  std::cout << format_table(head);
  if (!d.contains("tensors")) return;
  std::vector<std::vector<std::string>> rows = {
      {bold(config, "name"), bold(config, "dtype"), bold(config, "shape"), bold(config, "bytes")}};
  const bool hashed = !d["tensors"].empty() && d["tensors"][0].contains("sha256");
  if (hashed) rows[0].push_back(bold(config, "sha256"));
  for (const auto& t : d["tensors"]) {
    rows.push_back({t["name"], t["dtype"], shape_text(t["shape"].get<std::vector<int64_t>>()),
                    std::to_string(t["bytes"].get<uint64_t>())});
    if (hashed) rows.back().push_back(t["sha256"]);
  }
  std::cout << "\n" << format_table(rows);
}

// The files of a folder that look like checkpoints, by their first bytes.
std::vector<fs::path> checkpoints_in(const fs::path& dir) {
  std::vector<fs::path> found;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::string ext = e.path().extension().string();
    if (ext == ".json" || ext == ".txt" || ext == ".md") continue;
    std::ifstream in(e.path(), std::ios::binary);
    char head[16] = {};
    in.read(head, sizeof head);
    std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(head),
                                     static_cast<size_t>(in.gcount()));
    if (convert::detect_format(bytes)) found.push_back(e.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

int inspect(const Config& config, const Options& options) {
  const fs::path path = options.path;
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw Error(ErrorKind::NotFound, "no such file or folder: " + options.path);
  std::vector<fs::path> files =
      fs::is_directory(path) ? checkpoints_in(path) : std::vector<fs::path>{path};
  if (files.empty()) throw Error(ErrorKind::NotFound, "no checkpoint files in " + options.path);

  nlohmann::ordered_json described = nlohmann::ordered_json::array();
  for (const fs::path& file : files)
    described.push_back(describe_checkpoint(convert::read_checkpoint(file), options));
  if (config.json) {
    print_json(fs::is_directory(path)
                   ? nlohmann::ordered_json{{"folder", options.path}, {"files", described}}
                   : described[0]);
    return 0;
  }
  for (size_t i = 0; i < described.size(); ++i) {
    if (i) std::cout << "\n";
    print_human(config, described[i]);
  }
  return 0;
}

}  // namespace

Command add_inspect_command(CLI::App& parent) {
  auto options = std::make_shared<Options>();
  CLI::App* app = parent.add_subcommand(
      "inspect",
      "Show a checkpoint's format and tensors (safetensors, torch, TorchScript, .npz, .npy)");
  app->add_option("PATH", options->path, "Checkpoint file, or a folder of them")->required();
  app->add_flag("--hash", options->hash, "Also print each tensor's sha256 (reads all the data)");
  app->add_flag("--summary", options->summary, "Only the summary, no table of tensors");
  app->footer("Example: oclip inspect open_clip_model.safetensors --summary");
  return {app, [options](const Config& config) { return inspect(config, *options); }};
}

}  // namespace oclip::cli
