// convert/tensor.h — one tensor of a checkpoint, as a view into bytes someone else owns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "convert/dtype.h"

namespace oclip::convert {

// Element (i0, ..., ik) lives at storage element offset + sum(i_j * strides_j). Bytes are
// little-endian. `storage` points into a memory-mapped file where the format allows, otherwise
// into a buffer the Checkpoint owns.
struct Tensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;  // in elements
  int64_t offset = 0;            // in elements
  std::span<const std::byte> storage;

  uint64_t numel() const;
  uint64_t nbytes() const;
  bool contiguous() const;  // C order, starting at `offset`
};

// C-order strides for a shape.
std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& shape);

// Checks that every element the shape and strides reach lies inside the storage and that
// numel * element size does not overflow. Throws Error(Format) naming the tensor.
void check_tensor_bounds(const Tensor& tensor);

// Hands the tensor's bytes in C order to `sink`, in pieces of at most about `chunk_bytes`
// (one piece, with no copy, when the tensor is contiguous and chunk_bytes allows).
using ByteSink = std::function<void(std::span<const std::byte>)>;
void for_each_chunk(const Tensor& tensor, const ByteSink& sink, size_t chunk_bytes = 8 << 20);

// The sha256 of the tensor's C-order bytes: what golden manifests record per tensor.
std::string tensor_sha256(const Tensor& tensor);

// Overflow-checked arithmetic for sizes from untrusted headers; false on overflow.
bool checked_mul(uint64_t a, uint64_t b, uint64_t* out);
bool checked_add(uint64_t a, uint64_t b, uint64_t* out);

}  // namespace oclip::convert
