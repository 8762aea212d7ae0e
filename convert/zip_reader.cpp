#include "convert/zip_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace oclip::convert {
namespace {

constexpr uint32_t kEocdSignature = 0x06054b50;
constexpr uint32_t kZip64EocdSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint32_t kCentralSignature = 0x02014b50;
constexpr uint32_t kLocalSignature = 0x04034b50;
constexpr size_t kEocdSize = 22;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kLocalHeaderSize = 30;
// Deflate cannot expand data by more than about 1032:1; a larger declared ratio is a lie.
constexpr uint64_t kMaxDeflateRatio = 1032;

uint16_t u16(const std::byte* p) {
  return static_cast<uint16_t>(uint16_t(p[0]) | uint16_t(p[1]) << 8);
}
uint32_t u32(const std::byte* p) { return uint32_t(u16(p)) | uint32_t(u16(p + 2)) << 16; }
uint64_t u64(const std::byte* p) { return uint64_t(u32(p)) | uint64_t(u32(p + 4)) << 32; }

bool bad_name(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find('\\') != std::string_view::npos) return true;
  if (name.find('\0') != std::string_view::npos) return true;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    if (name.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

uint32_t crc32_update(uint32_t crc, std::span<const std::byte> bytes) {
  const auto* p = reinterpret_cast<const Bytef*>(bytes.data());
  size_t left = bytes.size();
  while (left > 0) {
    uInt piece = static_cast<uInt>(std::min<size_t>(left, 1u << 30));
    crc = static_cast<uint32_t>(::crc32(crc, p, piece));
    p += piece;
    left -= piece;
  }
  return crc;
}

ZipReader::ZipReader(std::span<const std::byte> archive, std::string label)
    : archive_(archive), label_(std::move(label)) {
  auto fail = [&](const std::string& problem) {
    return Error(ErrorKind::Format, label_ + ": " + problem).with_file(label_);
  };
  const size_t size = archive.size();
  const std::byte* base = archive.data();
  if (size < kEocdSize) throw fail("too short to be a zip archive");

  // 1. The end-of-central-directory record, searched backwards over the comment.
  size_t eocd = size;
  const size_t lowest = size >= kEocdSize + 0xFFFF ? size - kEocdSize - 0xFFFF : 0;
  for (size_t at = size - kEocdSize + 1; at-- > lowest;) {
    if (u32(base + at) == kEocdSignature) {
      eocd = at;
      break;
    }
  }
  if (eocd == size) throw fail("no end-of-central-directory record (truncated archive?)");
  uint64_t entry_count = u16(base + eocd + 10);
  uint64_t cd_size = u32(base + eocd + 12);
  uint64_t cd_offset = u32(base + eocd + 16);

  // 2. zip64: the locator sits just before the EOCD and points at the zip64 EOCD.
  if (eocd >= 20 && u32(base + eocd - 20) == kZip64LocatorSignature) {
    uint64_t z64 = u64(base + eocd - 20 + 8);
    if (z64 > size || size - z64 < 56 || u32(base + z64) != kZip64EocdSignature)
      throw fail("zip64 end-of-central-directory record is missing or out of range");
    entry_count = u64(base + z64 + 32);
    cd_size = u64(base + z64 + 40);
    cd_offset = u64(base + z64 + 48);
  }
  if (cd_offset > size || cd_size > size - cd_offset)
    throw fail("central directory lies outside the file");
  if (entry_count > cd_size / kCentralHeaderSize)
    throw fail("central directory entry count is wrong");

  // 3. Central directory entries.
  entries_.reserve(static_cast<size_t>(entry_count));
  size_t at = static_cast<size_t>(cd_offset);
  const size_t cd_end = static_cast<size_t>(cd_offset + cd_size);
  for (uint64_t i = 0; i < entry_count; ++i) {
    if (cd_end - at < kCentralHeaderSize || u32(base + at) != kCentralSignature)
      throw fail("central directory entry " + std::to_string(i) + " is damaged");
    const std::byte* h = base + at;
    const uint16_t flags = u16(h + 8);
    ZipEntry entry;
    entry.method = u16(h + 10);
    entry.crc32 = u32(h + 16);
    entry.compressed_size = u32(h + 20);
    entry.size = u32(h + 24);
    const size_t name_length = u16(h + 28);
    const size_t extra_length = u16(h + 30);
    const size_t comment_length = u16(h + 32);
    uint64_t header_offset = u32(h + 42);
    if (cd_end - at - kCentralHeaderSize < name_length + extra_length + comment_length)
      throw fail("central directory entry " + std::to_string(i) + " runs past the directory");
    entry.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderSize), name_length);
    if (bad_name(entry.name)) throw fail("entry name '" + entry.name + "' is unsafe");
    if (flags & 1) throw fail("entry '" + entry.name + "' is encrypted");
    if (entry.method != 0 && entry.method != 8)
      throw fail("entry '" + entry.name + "' uses compression method " +
                 std::to_string(entry.method) + " (only stored and deflate are supported)");

    // zip64 extra field: 8-byte values for exactly the fields that overflowed, in order.
    const std::byte* extra = h + kCentralHeaderSize + name_length;
    for (size_t e = 0; e + 4 <= extra_length;) {
      const uint16_t id = u16(extra + e);
      const size_t length = u16(extra + e + 2);
      if (e + 4 + length > extra_length)
        throw fail("entry '" + entry.name + "' has a bad extra field");
      if (id == 0x0001) {
        const std::byte* v = extra + e + 4;
        size_t left = length;
        auto take = [&](uint64_t* field) {
          if (*field != 0xFFFFFFFF) return;
          if (left < 8) throw fail("entry '" + entry.name + "' has a short zip64 field");
          *field = u64(v);
          v += 8;
          left -= 8;
        };
        take(&entry.size);
        take(&entry.compressed_size);
        take(&header_offset);
      }
      e += 4 + length;
    }
    at += kCentralHeaderSize + name_length + extra_length + comment_length;

    // 4. The local header: only its name and extra lengths matter (sizes come from above).
    if (header_offset > size || size - header_offset < kLocalHeaderSize ||
        u32(base + header_offset) != kLocalSignature)
      throw fail("local header of '" + entry.name + "' is missing or out of range");
    const std::byte* local = base + header_offset;
    const uint64_t data_offset =
        header_offset + kLocalHeaderSize + u16(local + 26) + u16(local + 28);
    if (data_offset > size || entry.compressed_size > size - data_offset)
      throw fail("data of '" + entry.name + "' runs past the end of the file (truncated?)");
    if (entry.method == 0 && entry.compressed_size != entry.size)
      throw fail("stored entry '" + entry.name + "' has different sizes");
    entry.data_offset = data_offset;
    entries_.push_back(std::move(entry));
  }

  // 5. No two entries may share bytes, and names must be unique.
  std::vector<const ZipEntry*> by_offset;
  for (const ZipEntry& e : entries_) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const ZipEntry* a, const ZipEntry* b) { return a->data_offset < b->data_offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const ZipEntry& previous = *by_offset[i - 1];
    if (previous.compressed_size > 0 &&
        previous.data_offset + previous.compressed_size > by_offset[i]->data_offset)
      throw fail("entries '" + previous.name + "' and '" + by_offset[i]->name + "' overlap");
  }
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (!by_name_.emplace(entries_[i].name, i).second)
      throw fail("entry name '" + entries_[i].name + "' appears twice");
  }
}

const ZipEntry* ZipReader::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

std::span<const std::byte> ZipReader::stored_bytes(const ZipEntry& entry) const {
  if (entry.method != 0)
    throw Error(ErrorKind::Format, label_ + ": entry '" + entry.name + "' is compressed")
        .with_file(label_);
  return archive_.subspan(static_cast<size_t>(entry.data_offset), static_cast<size_t>(entry.size));
}

std::string ZipReader::read(const ZipEntry& entry, uint64_t max_bytes) const {
  auto fail = [&](const std::string& problem) {
    return Error(ErrorKind::Format, label_ + ": entry '" + entry.name + "' " + problem)
        .with_file(label_);
  };
  if (entry.size > max_bytes)
    throw fail("declares " + std::to_string(entry.size) + " bytes, more than the limit of " +
               std::to_string(max_bytes));
  if (entry.method == 0) {
    std::span<const std::byte> bytes = stored_bytes(entry);
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  if (entry.size / kMaxDeflateRatio > entry.compressed_size + 1)
    throw fail("declares an impossible compression ratio (zip bomb?)");
  std::string out(static_cast<size_t>(entry.size), '\0');
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) throw fail("cannot start inflating");
  const std::byte* in = archive_.data() + entry.data_offset;
  uint64_t in_left = entry.compressed_size;
  size_t produced = 0;
  int status = Z_OK;
  char overflow_probe = 0;
  while (status == Z_OK) {
    if (z.avail_in == 0 && in_left > 0) {
      uInt piece = static_cast<uInt>(std::min<uint64_t>(in_left, 1u << 30));
      z.next_in = const_cast<Bytef*>(reinterpret_cast<const Bytef*>(in));
      z.avail_in = piece;
      in += piece;
      in_left -= piece;
    }
    // Output past the declared size goes into a one-byte probe: any byte there is a lie.
    if (produced < out.size()) {
      z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
      z.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - produced, 1u << 30));
    } else {
      z.next_out = reinterpret_cast<Bytef*>(&overflow_probe);
      z.avail_out = 1;
    }
    const uInt before = z.avail_out;
    status = inflate(&z, Z_NO_FLUSH);
    const size_t got = before - z.avail_out;
    if (produced >= out.size() && got > 0) {
      inflateEnd(&z);
      throw fail("inflates to more than its declared size");
    }
    produced += got;
  }
  inflateEnd(&z);
  if (status != Z_STREAM_END) throw fail("is not valid deflate data (truncated or corrupt)");
  if (produced != out.size()) throw fail("inflates to fewer bytes than declared");
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(out.data()), out.size());
  if (crc32_update(0, bytes) != entry.crc32) throw fail("fails its CRC-32 check");
  return out;
}

}  // namespace oclip::convert
