#include "cli/exit_codes.h"

#include <fmt/format.h>

namespace oclip::cli {
namespace {

struct Row {
  int code;
  const char* kind;
  const char* meaning;
};

constexpr Row kRows[] = {
    {0, "ok", "success"},
    {1, "io", "disk, permission or internal error"},
    {2, "usage", "bad flag or argument"},
    {3, "not-found", "unknown model, tag, repo, revision or file"},
    {4, "auth", "token invalid or lacking rights"},
    {5, "gated", "gated repo, access not granted"},
    {6, "network", "connection, timeout, 429/5xx after retries"},
    {7, "integrity", "hash or size mismatch"},
    {8, "format", "unreadable or malicious checkpoint, config or card"},
    {9, "validation", "conversion outside tolerance"},
    {10, "unsupported", "not supported yet, validator missing"},
    {11, "conflict", "parent commit moved, lock held too long"},
};

}  // namespace

int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Io:
      return 1;
    case ErrorKind::Usage:
      return 2;
    case ErrorKind::NotFound:
      return 3;
    case ErrorKind::Auth:
      return 4;
    case ErrorKind::Gated:
      return 5;
    case ErrorKind::Network:
      return 6;
    case ErrorKind::Integrity:
      return 7;
    case ErrorKind::Format:
      return 8;
    case ErrorKind::Validation:
      return 9;
    case ErrorKind::Unsupported:
      return 10;
    case ErrorKind::Conflict:
      return 11;
  }
  return 1;
}

std::string exit_code_table() {
  std::string out = "Exit codes:\n";
  for (const Row& row : kRows)
    out += fmt::format("  {:>2}  {:<12} {}\n", row.code, row.kind, row.meaning);
  return out;
}

}  // namespace oclip::cli
