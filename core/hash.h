// core/hash.h — the digests the Hub names files by.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace oclip {

std::string sha256_hex(std::span<const std::byte> data);
std::string sha256_hex(std::string_view data);

// Git's blob id: sha1("blob {size}\0" + bytes). The Hub's ETag for a regular file.
std::string git_blob_sha1_hex(std::string_view data);

std::string sha1_hex(std::string_view data);

// A digest fed in pieces, for hashing a download while it arrives.
class DigestStream {
 public:
  enum class Kind { Sha256, GitBlobSha1 };
  // GitBlobSha1 needs the total size up front: git hashes "blob {size}\0" before the bytes.
  DigestStream(Kind kind, uint64_t size);
  ~DigestStream();
  DigestStream(const DigestStream&) = delete;
  DigestStream& operator=(const DigestStream&) = delete;

  void update(std::string_view bytes);
  std::string hex_digest();  // ends the stream
  void reset();              // start over, same kind and size

 private:
  Kind kind_;
  uint64_t size_;
  void* ctx_;  // EVP_MD_CTX
};
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
std::string md5_hex(std::string_view data);

}  // namespace oclip
