// cli/tokenizer_files.h — the tokenizer files a model folder carries so that open_clip's
// local-dir: load works offline (open-clip.md §4.4, §6.5), taken from a tokenizer folder: a
// snapshot of the tokenizer's repo or --tokenizer-dir.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "convert/conversion.h"

namespace oclip::cli {

struct TokenizerFiles {
  // Empty when the folder has none; a file with `content` is one oclip completed.
  std::vector<convert::ExtraFile> files;
  std::string notice;   // what oclip changed, or empty
  std::string problem;  // set when no tokenizer class could be found: the files are as found
};

// Older repos (bert-base-uncased) name no tokenizer_class, and AutoTokenizer then reads the
// repo's config.json, which a model folder does not carry: the class transformers would infer
// from its model_type is written into the copy of tokenizer_config.json. When that type is
// missing or unknown, `problem` says so, naming `origin`.
TokenizerFiles tokenizer_files_in(const std::filesystem::path& dir, const std::string& origin);

// tokenizer_files_in(dir) for --tokenizer-dir DIR: throws Error(NotFound) when DIR holds none.
TokenizerFiles tokenizer_files_from_flag(const std::string& dir);

// transformers' slow tokenizer class for a config.json model_type (TOKENIZER_MAPPING_NAMES),
// or empty.
std::string tokenizer_class_for(const std::string& model_type);

}  // namespace oclip::cli
