#include "convert/zip_writer.h"

#include <zlib.h>

#include "convert/zip_reader.h"
#include "core/error.h"

namespace oclip::convert {
namespace {

constexpr uint64_t kMax32 = 0xFFFFFFFF;
constexpr uint16_t kFlags = 0x0808;    // data descriptor follows; UTF-8 names
constexpr uint16_t kDosDate = 0x0021;  // 1980-01-01
constexpr size_t kAlignment = 64;

class Bytes {
 public:
  Bytes& u16(uint16_t v) { return put(v, 2); }
  Bytes& u32(uint32_t v) { return put(v, 4); }
  Bytes& u64(uint64_t v) { return put(v, 8); }
  Bytes& text(std::string_view s) {
    data_.append(s);
    return *this;
  }
  const std::string& str() const { return data_; }

 private:
  Bytes& put(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) data_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    return *this;
  }
  std::string data_;
};

uint32_t clamp32(uint64_t v) { return v >= kMax32 ? 0xFFFFFFFF : static_cast<uint32_t>(v); }

}  // namespace

void ZipWriter::add(const std::string& name, std::string_view content, bool deflate) {
  add(
      name, content.size(),
      [&](const ByteSink& sink) {
        sink({reinterpret_cast<const std::byte*>(content.data()), content.size()});
      },
      deflate);
}

ZipWriter::Started ZipWriter::start_entry(const std::string& name, uint64_t size, bool deflate) {
  const uint64_t header_offset = file_.position();
  // Deflate output is at most a little larger than its input; decide zip64 from the bound.
  const bool zip64 = size + size / 1000 + 64 >= kMax32 || header_offset >= kMax32;
  Bytes zip64_extra;
  if (zip64) {
    zip64_extra.u16(0x0001).u16(16).u64(0).u64(0);  // sizes live in the data descriptor
  }
  const uint64_t unpadded = header_offset + 30 + name.size() + zip64_extra.str().size() + 4;
  const uint16_t padding = static_cast<uint16_t>((kAlignment - unpadded % kAlignment) % kAlignment);
  Bytes local;
  local.u32(0x04034b50).u16(zip64 ? 45 : 20).u16(kFlags).u16(deflate ? 8 : 0).u16(0).u16(kDosDate);
  local.u32(0).u32(zip64 ? 0xFFFFFFFF : 0).u32(zip64 ? 0xFFFFFFFF : 0);
  local.u16(static_cast<uint16_t>(name.size()))
      .u16(static_cast<uint16_t>(zip64_extra.str().size() + 4 + padding));
  local.text(name).text(zip64_extra.str()).u16(0x4246).u16(padding).text(std::string(padding, 'Z'));
  file_.write(local.str());
  return {header_offset, file_.position(), zip64};
}

void ZipWriter::end_entry(const std::string& name, const Started& started, uint64_t size,
                          uint32_t crc, bool deflate) {
  const uint64_t compressed = file_.position() - started.data_start;
  Bytes descriptor;
  descriptor.u32(0x08074b50).u32(crc);
  if (started.zip64) {
    descriptor.u64(compressed).u64(size);
  } else {
    descriptor.u32(static_cast<uint32_t>(compressed)).u32(static_cast<uint32_t>(size));
  }
  file_.write(descriptor.str());
  entries_.push_back(
      {name, static_cast<uint16_t>(deflate ? 8 : 0), crc, compressed, size, started.header_offset});
}

void ZipWriter::add(const std::string& name, uint64_t size,
                    const std::function<void(const ByteSink&)>& produce, bool deflate) {
  const Started started = start_entry(name, size, deflate);
  uint32_t crc = 0;
  uint64_t produced = 0;
  z_stream z{};
  std::vector<std::byte> deflated(1 << 16);
  auto drain = [&](int flush) {
    int status = Z_OK;
    do {
      z.next_out = reinterpret_cast<Bytef*>(deflated.data());
      z.avail_out = static_cast<uInt>(deflated.size());
      status = ::deflate(&z, flush);
      file_.write(std::span<const std::byte>(deflated.data(), deflated.size() - z.avail_out));
    } while (z.avail_out == 0 || (flush == Z_FINISH && status != Z_STREAM_END));
  };
  if (deflate && deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8,
                              Z_DEFAULT_STRATEGY) != Z_OK)
    throw Error(ErrorKind::Io, "cannot start deflate");
  produce([&](std::span<const std::byte> bytes) {
    produced += bytes.size();
    if (produced > size)
      throw Error(ErrorKind::Io, "zip entry '" + name + "' got more bytes than declared");
    crc = crc32_update(crc, bytes);
    if (!deflate) {
      file_.write(bytes);
      return;
    }
    z.next_in = const_cast<Bytef*>(reinterpret_cast<const Bytef*>(bytes.data()));
    z.avail_in = static_cast<uInt>(bytes.size());
    drain(Z_NO_FLUSH);
  });
  if (deflate) {
    drain(Z_FINISH);
    deflateEnd(&z);
  }
  if (produced != size)
    throw Error(ErrorKind::Io, "zip entry '" + name + "' got fewer bytes than declared");
  end_entry(name, started, size, crc, deflate);
}

void ZipWriter::add_copy(const std::string& name, uint64_t size,
                         const std::function<void(const ByteSink&)>& produce, int fd,
                         uint64_t offset) {
  uint32_t crc = 0;
  uint64_t produced = 0;
  produce([&](std::span<const std::byte> bytes) {
    produced += bytes.size();
    crc = crc32_update(crc, bytes);
  });
  if (produced != size)
    throw Error(ErrorKind::Io, "zip entry '" + name + "' got " + std::to_string(produced) +
                                   " bytes instead of " + std::to_string(size));
  const Started started = start_entry(name, size, false);
  file_.copy_from(fd, offset, size);
  end_entry(name, started, size, crc, false);
}

void ZipWriter::finish() {
  const uint64_t cd_offset = file_.position();
  for (const Written& e : entries_) {
    Bytes extra;
    const bool big = e.size >= kMax32 || e.compressed_size >= kMax32 || e.header_offset >= kMax32;
    if (big) {
      Bytes values;
      if (e.size >= kMax32) values.u64(e.size);
      if (e.compressed_size >= kMax32) values.u64(e.compressed_size);
      if (e.header_offset >= kMax32) values.u64(e.header_offset);
      extra.u16(0x0001).u16(static_cast<uint16_t>(values.str().size())).text(values.str());
    }
    Bytes central;
    central.u32(0x02014b50)
        .u16(0x031E)
        .u16(big ? 45 : 20)
        .u16(kFlags)
        .u16(e.method)
        .u16(0)
        .u16(kDosDate);
    central.u32(e.crc).u32(clamp32(e.compressed_size)).u32(clamp32(e.size));
    central.u16(static_cast<uint16_t>(e.name.size()))
        .u16(static_cast<uint16_t>(extra.str().size()))
        .u16(0);
    central.u16(0).u16(0).u32(0).u32(clamp32(e.header_offset));
    central.text(e.name).text(extra.str());
    file_.write(central.str());
  }
  const uint64_t cd_size = file_.position() - cd_offset;
  const uint64_t zip64_eocd_offset = file_.position();
  const uint64_t count = entries_.size();
  Bytes end;
  end.u32(0x06064b50)
      .u64(44)
      .u16(0x031E)
      .u16(45)
      .u32(0)
      .u32(0)
      .u64(count)
      .u64(count)
      .u64(cd_size)
      .u64(cd_offset);
  end.u32(0x07064b50).u32(0).u64(zip64_eocd_offset).u32(1);
  const uint16_t count16 = count >= 0xFFFF ? 0xFFFF : static_cast<uint16_t>(count);
  end.u32(0x06054b50)
      .u16(0)
      .u16(0)
      .u16(count16)
      .u16(count16)
      .u32(clamp32(cd_size))
      .u32(clamp32(cd_offset))
      .u16(0);
  file_.write(end.str());
}

}  // namespace oclip::convert
