// convert/views.h — reshaping a tensor without touching its bytes: every conversion rule is a
// view (transpose, permute, reshape, slice, squeeze) or a concatenation of views, gathered by
// strides only when the output is written.
#pragma once

#include <string>
#include <vector>

#include "convert/tensor.h"
#include "convert/tensor_writer.h"
#include "core/mapped_file.h"

namespace oclip::convert {

Tensor permute(const Tensor& t, const std::vector<size_t>& order);
Tensor transpose(const Tensor& t);  // 2-D only
// A new shape with the same element count; the tensor must be contiguous.
Tensor reshape(const Tensor& t, std::vector<int64_t> shape);
Tensor select_first_axis(const Tensor& t, int64_t index);  // t[index]
Tensor squeeze_all(const Tensor& t);                       // drop every size-1 axis

// One output tensor of a conversion: its parts, concatenated along axis 0 in C order, then
// cast to `dtype`. No parts means all zeros.
struct Planned {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<Tensor> parts;
  std::string source;     // source names, for --dry-run
  std::string transform;  // copy, transpose, conv HWIO->OIHW, ...
};

// Checks the parts fill the shape exactly and gives the streaming producer. With `file`, the
// source pages of each part are released once written, so memory stays bounded by the
// largest tensor however big the model is.
OutputTensor to_output(const Planned& planned, const MappedFile* file = nullptr);

}  // namespace oclip::convert
