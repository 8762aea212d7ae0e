// Seed folders for the local Hub: real files in a temp folder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

inline void write_seed(const std::filesystem::path& root,
                       const std::map<std::string, std::string>& files) {
  for (const auto& [path, content] : files) {
    std::filesystem::create_directories((root / path).parent_path());
    std::ofstream(root / path, std::ios::binary) << content;
  }
}

// Deterministic bytes that do not compress (xorshift).
inline std::string pseudo_random_bytes(size_t size, uint64_t seed = 0x9e3779b97f4a7c15ULL) {
  std::string out(size, '\0');
  uint64_t x = seed;
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x & 0xff);
  }
  return out;
}

// What most tests serve: a small OpenCLIP repo with one LFS file and a sub-folder.
inline std::map<std::string, std::string> tiny_model_files() {
  return {
      {"open_clip_config.json", R"({"model_cfg": {"embed_dim": 32}, "preprocess_cfg": {}})"},
      {"open_clip_model.safetensors", pseudo_random_bytes(300'000)},
      {"README.md", "---\nlibrary_name: open_clip\n---\n# tiny\n"},
      {"tokenizer/vocab.json", R"({"a": 0, "b": 1})"},
      {"tokenizer/merges.txt", "#version: 0.2\na b\n"},
      {"dir with space/a b#c.txt", "odd name\n"},
  };
}
