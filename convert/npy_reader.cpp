// numpy's .npy (magic, version, a Python dict literal header, raw data) and .npz (a zip of
// .npy members, stored or deflated).
#include <cctype>
#include <cstring>
#include <map>

#include "convert/readers.h"

namespace oclip::convert {
namespace {

constexpr size_t kMaxHeaderChars = 10000;  // numpy's default max_header_size

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

// The header is a dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const Checkpoint& out, const std::string& name)
      : text_(text), out_(out), name_(name) {}

  NpyHeader parse() {
    NpyHeader header;
    std::map<std::string, bool> seen;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = quoted();
      if (seen[key]) throw fail("key '" + key + "' appears twice");
      seen[key] = true;
      expect(':');
      skip_space();
      if (key == "descr") {
        if (peek() == '[') throw fail("structured arrays are not supported");
        header.descr = quoted();
      } else if (key == "fortran_order") {
        header.fortran_order = boolean();
      } else if (key == "shape") {
        header.shape = int_tuple();
      } else {
        throw fail("unexpected key '" + key + "'");
      }
      skip_space();
      if (peek() == ',') ++at_;
    }
    ++at_;
    while (at_ < text_.size()) {
      if (!std::isspace(static_cast<unsigned char>(text_[at_])))
        throw fail("junk after the header dict");
      ++at_;
    }
    if (seen.size() != 3) throw fail("header needs exactly descr, fortran_order and shape");
    return header;
  }

 private:
  Error fail(const std::string& problem) const {
    return format_error(out_, "array '" + name_ + "': header " + problem);
  }
  char peek() const {
    if (at_ >= text_.size()) throw fail("ends early");
    return text_[at_];
  }
  void skip_space() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) throw fail(std::string("expects '") + c + "'");
    ++at_;
  }
  std::string quoted() {
    skip_space();
    const char quote = peek();
    if (quote != '\'' && quote != '"') throw fail("expects a quoted string");
    const size_t end = text_.find(quote, at_ + 1);
    if (end == std::string_view::npos) throw fail("has an unterminated string");
    std::string s(text_.substr(at_ + 1, end - at_ - 1));
    at_ = end + 1;
    return s;
  }
  bool boolean() {
    if (text_.substr(at_, 4) == "True") {
      at_ += 4;
      return true;
    }
    if (text_.substr(at_, 5) == "False") {
      at_ += 5;
      return false;
    }
    throw fail("fortran_order is not True or False");
  }
  std::vector<int64_t> int_tuple() {
    std::vector<int64_t> out;
    expect('(');
    while (true) {
      skip_space();
      if (peek() == ')') break;
      if (!std::isdigit(static_cast<unsigned char>(peek())))
        throw fail("shape holds a non-integer");
      int64_t v = 0;
      while (at_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[at_]))) {
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, text_[at_] - '0', &v))
          throw fail("shape dimension overflows");
        ++at_;
      }
      if (at_ < text_.size() && text_[at_] == 'L') ++at_;  // Python 2 longs
      out.push_back(v);
      skip_space();
      if (peek() == ',') {
        ++at_;
      } else if (peek() != ')') {
        throw fail("shape is not a tuple");
      }
    }
    ++at_;
    return out;
  }

  std::string_view text_;
  const Checkpoint& out_;
  const std::string& name_;
  size_t at_ = 0;
};

struct Descr {
  DType dtype;
  bool swap;
};

Descr parse_descr(const std::string& descr, bool big_vision, const Checkpoint& out,
                  const std::string& name) {
  auto fail = [&](const std::string& problem) {
    return format_error(out, "array '" + name + "' has dtype '" + descr + "': " + problem);
  };
  if (descr.size() < 2) throw fail("not understood");
  const char order = descr[0];
  const char kind = descr[1];
  const std::string size = descr.substr(2);
  if (order != '<' && order != '>' && order != '|' && order != '=')
    throw fail("unknown byte order");
  if (kind == 'O') throw fail("object arrays are pickles and are refused");
  if (kind == 'S' || kind == 'U' || kind == 'a' || kind == 'M' || kind == 'm')
    throw fail("not a numeric type");
  struct Known {
    char kind;
    const char* size;
    DType dtype;
  };
  static constexpr Known kKnown[] = {
      {'f', "2", DType::F16}, {'f', "4", DType::F32},   {'f', "8", DType::F64},
      {'i', "1", DType::I8},  {'i', "2", DType::I16},   {'i', "4", DType::I32},
      {'i', "8", DType::I64}, {'u', "1", DType::U8},    {'u', "2", DType::U16},
      {'u', "4", DType::U32}, {'u', "8", DType::U64},   {'b', "1", DType::Bool},
      {'c', "8", DType::C64}, {'c', "16", DType::C128},
  };
  for (const Known& k : kKnown) {
    if (k.kind == kind && size == k.size) return {k.dtype, order == '>'};
  }
  if (kind == 'V' && size == "2") {
    if (!big_vision) throw fail("2-byte voids are bfloat16 only inside a big_vision .npz");
    return {DType::BF16, order == '>'};
  }
  throw fail("not supported");
}

}  // namespace

Tensor read_npy(std::span<const std::byte> bytes, std::string name, bool big_vision,
                Checkpoint& out) {
  auto fail = [&](const std::string& problem) {
    return format_error(out, "array '" + name + "': " + problem);
  };
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0)
    throw fail("not an .npy array");
  const int major = static_cast<int>(bytes[6]);
  size_t header_length = 0;
  size_t header_start = 0;
  if (major == 1) {
    header_length = size_t(uint8_t(bytes[8])) | size_t(uint8_t(bytes[9])) << 8;
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw fail("truncated header");
    for (int i = 0; i < 4; ++i) header_length |= size_t(uint8_t(bytes[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    throw fail("unknown .npy version " + std::to_string(major));
  }
  if (header_length > kMaxHeaderChars) throw fail("header longer than 10000 characters");
  if (header_length > bytes.size() - header_start) throw fail("truncated header");
  const std::string_view text(reinterpret_cast<const char*>(bytes.data() + header_start),
                              header_length);
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) throw fail("header has non-ASCII characters");
  }
  const NpyHeader header = HeaderParser(text, out, name).parse();
  const Descr descr = parse_descr(header.descr, big_vision, out, name);

  Tensor tensor;
  tensor.name = std::move(name);
  tensor.dtype = descr.dtype;
  tensor.shape = header.shape;
  uint64_t numel = 1;
  for (int64_t d : tensor.shape) {
    if (!checked_mul(numel, static_cast<uint64_t>(d), &numel))
      throw fail("element count overflows");
  }
  const uint64_t element_size = dtype_bits(tensor.dtype) / 8;
  uint64_t size = 0;
  if (!checked_mul(numel, element_size, &size)) throw fail("byte size overflows");
  const std::span<const std::byte> data = bytes.subspan(header_start + header_length);
  if (data.size() != size)
    throw fail("has " + std::to_string(data.size()) + " data bytes; its shape and dtype need " +
               std::to_string(size));
  if (header.fortran_order) {
    uint64_t stride = 1;  // unsigned: see contiguous_strides
    for (int64_t d : tensor.shape) {
      tensor.strides.push_back(static_cast<int64_t>(stride));
      stride *= static_cast<uint64_t>(d);
    }
  } else {
    tensor.strides = contiguous_strides(tensor.shape);
  }
  tensor.storage = data;
  if (descr.swap && element_size > 1) {
    auto swapped = byteswapped(data, element_size);
    tensor.storage = {reinterpret_cast<const std::byte*>(swapped->data()), swapped->size()};
    out.buffers.push_back(std::move(swapped));
  }
  check_tensor(tensor, out);
  return tensor;
}

void read_npz(const ZipReader& zip, Checkpoint& out) {
  out.format = Format::Npz;
  size_t others = 0;
  size_t bf16 = 0;
  for (const ZipEntry& entry : zip.entries()) {
    if (!entry.name.ends_with(".npy")) {
      ++others;
      continue;
    }
    std::span<const std::byte> bytes;
    if (entry.method == 0) {
      bytes = zip.stored_bytes(entry);
    } else {
      auto inflated = std::make_shared<const std::string>(zip.read(entry));
      bytes = {reinterpret_cast<const std::byte*>(inflated->data()), inflated->size()};
      out.buffers.push_back(std::move(inflated));
    }
    out.tensors.push_back(read_npy(bytes, entry.name.substr(0, entry.name.size() - 4), true, out));
    bf16 += out.tensors.back().dtype == DType::BF16;
  }
  if (out.tensors.empty()) throw format_error(out, ".npz archive holds no .npy arrays");
  if (others)
    out.notes.push_back("skipped " + std::to_string(others) + " members that are not .npy arrays");
  if (bf16)
    out.notes.push_back(std::to_string(bf16) + " 2-byte void arrays read as bfloat16 (big_vision)");
}

}  // namespace oclip::convert
