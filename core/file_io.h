// core/file_io.h — whole-file reads and atomic writes.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace oclip {

// Random lowercase hex, for temporary names that no other writer picks.
std::string random_hex(size_t length);

// This machine's name, for the owner lines of locks and partial downloads.
std::string host_name();
// True when the owner `pid` on `host` is known to be gone: `host` is this machine and no such
// process exists. Another machine's process cannot be checked: false.
bool owner_is_gone(const std::string& host, long pid);

// Throws Error(Io) naming the path.
std::string read_file(const std::filesystem::path& path);

// Writes to a unique temporary name in the same folder, flushes, then renames onto `path`,
// so readers see the old file or the new one, never a half-written one. `mode` (less the
// umask) applies from the first byte: 0600 keeps a secret private throughout.
void write_file_atomic(const std::filesystem::path& path, std::string_view content,
                       mode_t mode = 0644);

}  // namespace oclip
