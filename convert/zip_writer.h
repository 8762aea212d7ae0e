// convert/zip_writer.h — streaming ZIP writer in torch's layout: stored (or deflated) entries,
// data aligned to 64 bytes with an "FB" extra field, data descriptors, zip64 where needed and
// always a zip64 end record.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "convert/tensor.h"
#include "core/output_file.h"

namespace oclip::convert {

class ZipWriter {
 public:
  explicit ZipWriter(OutputFile& file) : file_(file) {}

  // `produce` must hand exactly `size` bytes to its sink; the writer checks it.
  void add(const std::string& name, uint64_t size,
           const std::function<void(const ByteSink&)>& produce, bool deflate = false);
  void add(const std::string& name, std::string_view content, bool deflate = false);
  // A stored entry holding `size` bytes of open file `fd` from `offset`, copied by the kernel;
  // `produce` hands the same bytes over for the CRC only.
  void add_copy(const std::string& name, uint64_t size,
                const std::function<void(const ByteSink&)>& produce, int fd, uint64_t offset);
  // Writes the central directory and end records (does not commit the file).
  void finish();

 private:
  struct Started {
    uint64_t header_offset, data_start;
    bool zip64;
  };
  Started start_entry(const std::string& name, uint64_t size, bool deflate);
  void end_entry(const std::string& name, const Started& started, uint64_t size, uint32_t crc,
                 bool deflate);

  struct Written {
    std::string name;
    uint16_t method;
    uint32_t crc;
    uint64_t compressed_size, size, header_offset;
  };
  OutputFile& file_;
  std::vector<Written> entries_;
};

}  // namespace oclip::convert
