// core/hash.h — the digests the Hub names files by.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace oclip {

std::string sha256_hex(std::span<const std::byte> data);
std::string sha256_hex(std::string_view data);

// Git's blob id: sha1("blob {size}\0" + bytes). The Hub's ETag for a regular file.
std::string git_blob_sha1_hex(std::string_view data);

std::string sha1_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
std::string md5_hex(std::string_view data);

}  // namespace oclip
