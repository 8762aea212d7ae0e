#include "cli/tokenizer_files.h"

#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_io.h"
#include "hub/pull.h"

namespace oclip::cli {
namespace fs = std::filesystem;

std::string tokenizer_class_for(const std::string& model_type) {
  // The model types of open_clip's Hugging Face text towers and tokenizers, and their kin.
  static const std::map<std::string, std::string> classes = {
      {"albert", "AlbertTokenizer"},
      {"bart", "BartTokenizer"},
      {"bert", "BertTokenizer"},
      {"camembert", "CamembertTokenizer"},
      {"chinese_clip", "BertTokenizer"},
      {"clip", "CLIPTokenizer"},
      {"deberta", "DebertaTokenizer"},
      {"deberta-v2", "DebertaV2Tokenizer"},
      {"distilbert", "DistilBertTokenizer"},
      {"electra", "ElectraTokenizer"},
      {"gemma", "GemmaTokenizer"},
      {"gpt2", "GPT2Tokenizer"},
      {"llama", "LlamaTokenizer"},
      {"mpnet", "MPNetTokenizer"},
      {"mt5", "MT5Tokenizer"},
      {"roberta", "RobertaTokenizer"},
      {"siglip", "SiglipTokenizer"},
      {"t5", "T5Tokenizer"},
      {"umt5", "T5Tokenizer"},
      {"xlm-roberta", "XLMRobertaTokenizer"},
  };
  auto it = classes.find(model_type);
  return it == classes.end() ? "" : it->second;
}

namespace {

nlohmann::ordered_json read_object(const fs::path& path) {
  auto json = nlohmann::ordered_json::parse(read_file(path), nullptr, false);
  if (!json.is_object())
    throw Error(ErrorKind::Format, path.filename().string() + " is not a JSON object")
        .with_file(path.string());
  return json;
}

}  // namespace

TokenizerFiles tokenizer_files_in(const fs::path& dir, const std::string& origin) {
  TokenizerFiles out;
  for (const std::string& name : hub::tokenizer_file_names()) {
    if (fs::is_regular_file(dir / name)) out.files.push_back({name, dir / name, ""});
  }
  if (out.files.empty()) return out;

  const fs::path config_path = dir / "tokenizer_config.json";
  nlohmann::ordered_json config = fs::is_regular_file(config_path)
                                      ? read_object(config_path)
                                      : nlohmann::ordered_json::object();
  if (config.contains("tokenizer_class")) return out;
  const fs::path model_config = dir / "config.json";
  std::string model_type;
  if (fs::is_regular_file(model_config)) {
    auto model = read_object(model_config);
    if (model.contains("model_type") && model["model_type"].is_string())
      model_type = model["model_type"].get<std::string>();
  }
  std::string tokenizer_class = tokenizer_class_for(model_type);
  if (tokenizer_class.empty()) {
    out.problem = origin + "'s tokenizer_config.json names no tokenizer_class and " +
                  (model_type.empty() ? "no config.json model_type tells it"
                                      : "config.json's model_type '" + model_type +
                                            "' is not one oclip can map to a class");
    return out;
  }
  config["tokenizer_class"] = tokenizer_class;
  std::string content = config.dump(2) + "\n";
  bool replaced = false;
  for (convert::ExtraFile& f : out.files) {
    if (f.name != "tokenizer_config.json") continue;
    f.source.clear();
    f.content = content;
    replaced = true;
  }
  if (!replaced) out.files.push_back({"tokenizer_config.json", "", content});
  out.notice = "tokenizer_class " + tokenizer_class + " written into tokenizer_config.json (" +
               origin + "'s config.json has model_type '" + model_type + "')";
  return out;
}

TokenizerFiles tokenizer_files_from_flag(const std::string& dir) {
  TokenizerFiles found = tokenizer_files_in(dir, dir);
  if (found.files.empty()) throw Error(ErrorKind::NotFound, "no tokenizer files in " + dir);
  return found;
}

}  // namespace oclip::cli
