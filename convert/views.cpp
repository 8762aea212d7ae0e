#include "convert/views.h"

#include "core/error.h"

namespace oclip::convert {
namespace {

Error view_error(const Tensor& t, const std::string& problem) {
  return Error(ErrorKind::Format, "tensor '" + t.name + "': " + problem);
}

}  // namespace

Tensor permute(const Tensor& t, const std::vector<size_t>& order) {
  if (order.size() != t.shape.size())
    throw view_error(t, "has " + std::to_string(t.shape.size()) + " axes");
  Tensor out = t;
  for (size_t i = 0; i < order.size(); ++i) {
    out.shape[i] = t.shape[order[i]];
    out.strides[i] = t.strides[order[i]];
  }
  return out;
}

Tensor transpose(const Tensor& t) {
  if (t.shape.size() != 2) throw view_error(t, "is not 2-D");
  return permute(t, {1, 0});
}

Tensor reshape(const Tensor& t, std::vector<int64_t> shape) {
  uint64_t n = 1;
  for (int64_t d : shape) n *= static_cast<uint64_t>(d);
  if (n != t.numel()) throw view_error(t, "cannot be reshaped to a different element count");
  if (!t.contiguous()) throw view_error(t, "is not contiguous and cannot be reshaped");
  Tensor out = t;
  out.strides = contiguous_strides(shape);
  out.shape = std::move(shape);
  return out;
}

Tensor select_first_axis(const Tensor& t, int64_t index) {
  if (t.shape.empty() || index < 0 || index >= t.shape[0])
    throw view_error(t, "has no entry " + std::to_string(index));
  Tensor out = t;
  out.offset += index * t.strides[0];
  out.shape.erase(out.shape.begin());
  out.strides.erase(out.strides.begin());
  out.name = t.name + "[" + std::to_string(index) + "]";
  return out;
}

Tensor squeeze_all(const Tensor& t) {
  Tensor out = t;
  out.shape.clear();
  out.strides.clear();
  for (size_t i = 0; i < t.shape.size(); ++i) {
    if (t.shape[i] == 1) continue;
    out.shape.push_back(t.shape[i]);
    out.strides.push_back(t.strides[i]);
  }
  return out;
}

OutputTensor to_output(const Planned& planned, const MappedFile* file) {
  uint64_t numel = 1;
  for (int64_t d : planned.shape) numel *= static_cast<uint64_t>(d);
  uint64_t parts = 0;
  for (const Tensor& p : planned.parts) parts += p.numel();
  if (!planned.parts.empty() && parts != numel)
    throw Error(ErrorKind::Format, "tensor '" + planned.name + "': its sources hold " +
                                       std::to_string(parts) + " elements, the target needs " +
                                       std::to_string(numel));
  for (const Tensor& p : planned.parts) {
    if (p.dtype != planned.dtype && (!is_float(p.dtype) || !is_float(planned.dtype)))
      throw Error(ErrorKind::Format, "tensor '" + planned.name + "' would turn " +
                                         std::string(dtype_name(p.dtype)) + " into " +
                                         std::string(dtype_name(planned.dtype)));
  }
  OutputTensor out{planned.name, planned.dtype, planned.shape, nullptr, {}};
  const Planned* plan = &planned;
  if (file && planned.parts.size() == 1 && planned.parts[0].dtype == planned.dtype &&
      planned.parts[0].contiguous()) {
    const Tensor& part = planned.parts[0];
    const size_t begin = static_cast<size_t>(part.offset) * (dtype_bits(part.dtype) / 8);
    if (std::optional<uint64_t> at =
            file->offset_of(part.storage.subspan(begin, static_cast<size_t>(part.nbytes()))))
      out.file_range = OutputTensor::FileRange{file->fd(), *at};
  }
  out.produce = [plan, numel, file](const ByteSink& sink) {
    if (plan->parts.empty()) {
      const std::vector<std::byte> zeros(
          static_cast<size_t>(std::min<uint64_t>(numel * dtype_bits(plan->dtype) / 8, 1 << 20)));
      uint64_t left = numel * dtype_bits(plan->dtype) / 8;
      while (left > 0) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(left, zeros.size()));
        sink(std::span<const std::byte>(zeros.data(), n));
        left -= n;
      }
      return;
    }
    // Contiguous parts arrive as pieces of the mapping: drop each piece once written.
    const ByteSink releasing = [&](std::span<const std::byte> bytes) {
      sink(bytes);
      if (file) file->release(bytes);
    };
    for (const Tensor& part : plan->parts) {
      output_tensor(part, plan->name, plan->dtype).produce(releasing);
      if (file) file->release(part.storage);
    }
  };
  return out;
}

}  // namespace oclip::convert
