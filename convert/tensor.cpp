#include "convert/tensor.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/hash.h"

namespace oclip::convert {
namespace {

Error bounds_error(const Tensor& tensor, const std::string& problem) {
  return Error(ErrorKind::Format, "tensor '" + tensor.name + "': " + problem);
}

// A 2-D view of a transposed contiguous matrix: output row r is source column r. Copying a
// band of source columns at a time reads each source row once per band, in cache-sized runs.
// Tiles of 16 output columns keep both sides in cache: each output run is one cache line
// and the 16 source rows it reads from are reused for the whole band.
template <size_t kSize>
void copy_band(std::byte* out, const std::byte* base, size_t first, size_t n, size_t columns,
               size_t source_row) {
  constexpr size_t kTile = 16;
  for (size_t c0 = 0; c0 < columns; c0 += kTile) {
    const size_t c1 = std::min(columns, c0 + kTile);
    for (size_t r = 0; r < n; ++r) {
      std::byte* to = out + (r * columns) * kSize;
      for (size_t c = c0; c < c1; ++c)
        std::memcpy(to + c * kSize, base + (c * source_row + first + r) * kSize, kSize);
    }
  }
}

void for_each_transposed_chunk(const Tensor& t, const ByteSink& sink, size_t chunk_bytes) {
  const size_t element_size = dtype_bits(t.dtype) / 8;
  const auto rows = static_cast<size_t>(t.shape[0]);     // output rows = source columns
  const auto columns = static_cast<size_t>(t.shape[1]);  // output columns = source rows
  const auto source_row = static_cast<size_t>(t.strides[1]);
  const size_t row_bytes = columns * element_size;
  const size_t band = std::clamp<size_t>(chunk_bytes / std::max<size_t>(row_bytes, 1), 1, 64);
  std::vector<std::byte> buffer(band * row_bytes);
  const std::byte* base = t.storage.data() + static_cast<size_t>(t.offset) * element_size;
  for (size_t first = 0; first < rows; first += band) {
    const size_t n = std::min(band, rows - first);
    switch (element_size) {
      case 1:
        copy_band<1>(buffer.data(), base, first, n, columns, source_row);
        break;
      case 2:
        copy_band<2>(buffer.data(), base, first, n, columns, source_row);
        break;
      case 4:
        copy_band<4>(buffer.data(), base, first, n, columns, source_row);
        break;
      case 8:
        copy_band<8>(buffer.data(), base, first, n, columns, source_row);
        break;
      default:
        copy_band<16>(buffer.data(), base, first, n, columns, source_row);
        break;
    }
    sink(std::span<const std::byte>(buffer.data(), n * row_bytes));
  }
}

}  // namespace

bool checked_mul(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}
bool checked_add(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_add_overflow(a, b, out);
}

uint64_t Tensor::numel() const {
  uint64_t n = 1;
  for (int64_t d : shape) n *= static_cast<uint64_t>(d);
  return n;
}

uint64_t Tensor::nbytes() const { return numel() * dtype_bits(dtype) / 8; }

// Stride products are unsigned: an empty tensor (a zero dimension) may declare other
// dimensions whose product overflows, and its strides never address anything.
bool Tensor::contiguous() const {
  uint64_t expected = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] != 1 && static_cast<uint64_t>(strides[i]) != expected) return false;
    expected *= static_cast<uint64_t>(shape[i]);
  }
  return true;
}

std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> strides(shape.size());
  uint64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = static_cast<int64_t>(stride);
    stride *= static_cast<uint64_t>(shape[i]);
  }
  return strides;
}

void check_tensor_bounds(const Tensor& tensor) {
  if (tensor.strides.size() != tensor.shape.size())
    throw bounds_error(tensor, "size and stride have different lengths");
  if (dtype_bits(tensor.dtype) % 8 != 0)
    throw bounds_error(tensor, "packed dtype " + std::string(dtype_name(tensor.dtype)) +
                                   " cannot be addressed by strides");
  uint64_t numel = 1;
  for (int64_t d : tensor.shape) {
    if (d < 0) throw bounds_error(tensor, "negative dimension");
    if (!checked_mul(numel, static_cast<uint64_t>(d), &numel))
      throw bounds_error(tensor, "element count overflows");
  }
  const uint64_t element_size = dtype_bits(tensor.dtype) / 8;
  uint64_t total_bytes = 0;
  if (!checked_mul(numel, element_size, &total_bytes))
    throw bounds_error(tensor, "byte size overflows");
  if (tensor.offset < 0) throw bounds_error(tensor, "negative storage offset");
  if (numel == 0) return;
  uint64_t last = static_cast<uint64_t>(tensor.offset);
  for (size_t i = 0; i < tensor.shape.size(); ++i) {
    if (tensor.strides[i] < 0) throw bounds_error(tensor, "negative stride");
    uint64_t step = 0;
    if (!checked_mul(static_cast<uint64_t>(tensor.shape[i] - 1),
                     static_cast<uint64_t>(tensor.strides[i]), &step) ||
        !checked_add(last, step, &last))
      throw bounds_error(tensor, "strides overflow");
  }
  uint64_t end_bytes = 0;
  if (!checked_add(last, 1, &last) || !checked_mul(last, element_size, &end_bytes))
    throw bounds_error(tensor, "strides overflow");
  if (end_bytes > tensor.storage.size())
    throw bounds_error(tensor, "reaches byte " + std::to_string(end_bytes) + " of a " +
                                   std::to_string(tensor.storage.size()) + "-byte storage");
}

void for_each_chunk(const Tensor& tensor, const ByteSink& sink, size_t chunk_bytes) {
  const size_t element_size = dtype_bits(tensor.dtype) / 8;
  const uint64_t numel = tensor.numel();
  if (numel == 0) return;
  chunk_bytes = std::max<size_t>(chunk_bytes, 16);
  if (tensor.contiguous() || element_size == 0) {
    // Packed types (4 and 6 bits) come only from safetensors, always contiguous at offset 0.
    const size_t begin = static_cast<size_t>(tensor.offset) * element_size;
    std::span<const std::byte> bytes =
        tensor.storage.subspan(begin, static_cast<size_t>(tensor.nbytes()));
    const size_t piece =
        element_size == 0 ? chunk_bytes : chunk_bytes / element_size * element_size;
    for (size_t at = 0; at < bytes.size(); at += piece)
      sink(bytes.subspan(at, std::min(piece, bytes.size() - at)));
    return;
  }
  if (tensor.shape.size() == 2 && tensor.strides[0] == 1 && tensor.shape[0] > 1) {
    for_each_transposed_chunk(tensor, sink, chunk_bytes);
    return;
  }
  // Gather element by element in C order, walking an index odometer.
  const size_t rank = tensor.shape.size();
  std::vector<int64_t> index(rank, 0);
  std::vector<std::byte> buffer;
  buffer.reserve(std::min<uint64_t>(chunk_bytes, numel * element_size));
  int64_t position = tensor.offset;
  for (uint64_t n = 0; n < numel; ++n) {
    const std::byte* element = tensor.storage.data() + static_cast<size_t>(position) * element_size;
    buffer.insert(buffer.end(), element, element + element_size);
    if (buffer.size() + element_size > chunk_bytes) {
      sink(buffer);
      buffer.clear();
    }
    for (size_t d = rank; d-- > 0;) {
      position += tensor.strides[d];
      if (++index[d] < tensor.shape[d]) break;
      position -= tensor.strides[d] * tensor.shape[d];
      index[d] = 0;
    }
  }
  if (!buffer.empty()) sink(buffer);
}

std::string tensor_sha256(const Tensor& tensor) {
  DigestStream digest(DigestStream::Kind::Sha256, tensor.nbytes());
  for_each_chunk(tensor, [&](std::span<const std::byte> bytes) {
    digest.update({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  });
  return digest.hex_digest();
}

}  // namespace oclip::convert
