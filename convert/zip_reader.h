// convert/zip_reader.h — the ZIP subset torch archives and .npz files use, read through the
// central directory of a byte span (usually a memory-mapped file).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace oclip::convert {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflated
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;
  uint64_t data_offset = 0;  // where the (compressed) bytes start in the archive
};

class ZipReader {
 public:
  // Parses and checks the directory: zip64, entry ranges inside the archive, no overlaps,
  // no duplicate names, no names with ".." segments or a leading "/", no encryption, methods
  // 0 and 8 only. Throws Error(Format); `label` names the file in messages.
  ZipReader(std::span<const std::byte> archive, std::string label);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(std::string_view name) const;

  // A stored entry's bytes, without copying.
  std::span<const std::byte> stored_bytes(const ZipEntry& entry) const;
  // Any entry's bytes: stored ones copied, deflated ones inflated (CRC checked). Refuses
  // entries whose declared size exceeds `max_bytes` or that inflate past their declared size.
  std::string read(const ZipEntry& entry, uint64_t max_bytes = uint64_t{1} << 34) const;

  const std::string& label() const { return label_; }

 private:
  std::span<const std::byte> archive_;
  std::string label_;
  std::vector<ZipEntry> entries_;
  std::unordered_map<std::string_view, size_t> by_name_;
};

// CRC-32 (IEEE), continuing from `crc` (0 to start).
uint32_t crc32_update(uint32_t crc, std::span<const std::byte> bytes);

}  // namespace oclip::convert
