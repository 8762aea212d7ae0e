#include "core/hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <memory>

#include "core/error.h"

namespace oclip {
namespace {

std::string to_hex(const unsigned char* bytes, unsigned int length) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(length * 2, '0');
  for (unsigned int i = 0; i < length; ++i) {
    hex[2 * i] = kDigits[bytes[i] >> 4];
    hex[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return hex;
}

std::string digest_hex(const EVP_MD* md, std::initializer_list<std::string_view> parts) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) {
    throw Error(ErrorKind::Io, "OpenSSL digest initialisation failed");
  }
  for (std::string_view part : parts) EVP_DigestUpdate(ctx.get(), part.data(), part.size());
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), out, &length);
  return to_hex(out, length);
}

}  // namespace

std::string sha256_hex(std::span<const std::byte> data) {
  return sha256_hex(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

std::string sha256_hex(std::string_view data) { return digest_hex(EVP_sha256(), {data}); }

std::string sha1_hex(std::string_view data) { return digest_hex(EVP_sha1(), {data}); }

std::string md5_hex(std::string_view data) { return digest_hex(EVP_md5(), {data}); }

std::string git_blob_sha1_hex(std::string_view data) {
  std::string header = "blob " + std::to_string(data.size());
  header.push_back('\0');
  return digest_hex(EVP_sha1(), {header, data});
}

DigestStream::DigestStream(Kind kind, uint64_t size)
    : kind_(kind), size_(size), ctx_(EVP_MD_CTX_new()) {
  reset();
}

DigestStream::~DigestStream() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void DigestStream::reset() {
  auto* ctx = static_cast<EVP_MD_CTX*>(ctx_);
  if (!ctx ||
      EVP_DigestInit_ex(ctx, kind_ == Kind::Sha256 ? EVP_sha256() : EVP_sha1(), nullptr) != 1) {
    throw Error(ErrorKind::Io, "OpenSSL digest initialisation failed");
  }
  if (kind_ == Kind::GitBlobSha1) {
    std::string header = "blob " + std::to_string(size_);
    EVP_DigestUpdate(ctx, header.data(), header.size() + 1);  // with the NUL
  }
}

void DigestStream::update(std::string_view bytes) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data(), bytes.size());
}

std::string DigestStream::hex_digest() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out, &length);
  return to_hex(out, length);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return to_hex(out, length);
}

}  // namespace oclip
