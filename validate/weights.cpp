#include "validate/weights.h"

#include <fmt/format.h>

#include <algorithm>

#include "convert/checkpoint.h"
#include "core/error.h"

namespace oclip::validate {
namespace {

namespace fs = std::filesystem;

bool shape_matches(const std::vector<int64_t>& want, at::IntArrayRef got) {
  if (want.size() != got.size()) return false;
  for (size_t i = 0; i < want.size(); ++i)
    if (want[i] >= 0 && want[i] != got[i]) return false;
  return true;
}

torch::Dtype torch_dtype(const convert::Tensor& t) {
  using convert::DType;
  switch (t.dtype) {
    case DType::F64:
      return torch::kDouble;
    case DType::F32:
      return torch::kFloat;
    case DType::F16:
      return torch::kHalf;
    case DType::BF16:
      return torch::kBFloat16;
    case DType::I64:
      return torch::kLong;
    case DType::I32:
      return torch::kInt;
    case DType::I16:
      return torch::kShort;
    case DType::I8:
      return torch::kChar;
    case DType::U8:
      return torch::kByte;
    case DType::Bool:
      return torch::kBool;
    default:
      break;
  }
  throw Error(ErrorKind::Format,
              fmt::format("tensor '{}' has dtype {}, which the validator cannot run", t.name,
                          convert::dtype_name(t.dtype)));
}

// A copy of the view's elements: floats as float32, integers as int64.
torch::Tensor to_torch(const convert::Tensor& t) {
  const torch::Dtype dtype = torch_dtype(t);
  void* data = const_cast<std::byte*>(t.storage.data()) +
               t.offset * static_cast<int64_t>(convert::dtype_bits(t.dtype) / 8);
  torch::Tensor view = torch::from_blob(data, t.shape, t.strides, torch::TensorOptions(dtype));
  const bool floating = convert::is_float(t.dtype);
  return view.to(floating ? torch::kFloat : torch::kLong, /*non_blocking=*/false, /*copy=*/true)
      .contiguous();
}

}  // namespace

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + (shape[i] < 0 ? std::string("*") : std::to_string(shape[i]));
  return text + "]";
}

Weights::Weights(std::map<std::string, torch::Tensor> tensors,
                 std::map<std::string, std::string> dtypes)
    : tensors_(std::move(tensors)), dtypes_(std::move(dtypes)) {}

torch::Tensor Weights::get(const std::string& name, const std::vector<int64_t>& shape) {
  auto it = tensors_.find(name);
  auto placeholder = [&] {
    std::vector<int64_t> zeros_shape = shape;
    for (int64_t& d : zeros_shape)
      if (d < 0) throw Error(ErrorKind::Validation, "cannot go on without tensor " + name);
    return torch::zeros(zeros_shape, torch::TensorOptions(device_));
  };
  auto record = [](std::vector<std::string>& list, std::string problem) {
    if (std::find(list.begin(), list.end(), problem) == list.end()) list.push_back(problem);
  };
  if (it == tensors_.end()) {
    record(missing_, name + " " + shape_text(shape));
    return placeholder();
  }
  used_.insert(name);
  if (!shape_matches(shape, it->second.sizes())) {
    record(mismatched_, fmt::format("{}: {} in the file, {} expected", name,
                                    shape_text(it->second.sizes().vec()), shape_text(shape)));
    return placeholder();
  }
  const std::string& dtype = dtypes_.at(name);
  const bool want_int = name.ends_with("num_batches_tracked");
  const bool is_int = dtype == "i64" || dtype == "i32";
  const bool is_floating = dtype == "f32" || dtype == "f16" || dtype == "bf16" || dtype == "f64";
  if (want_int ? !is_int : !is_floating) {
    record(mismatched_, fmt::format("{}: dtype {}, {} expected", name, dtype,
                                    want_int ? "an integer" : "a float"));
    return placeholder();
  }
  return it->second;
}

std::vector<int64_t> Weights::shape_of(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) return {};
  return it->second.sizes().vec();
}

std::vector<std::string> Weights::unused() const {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : tensors_)
    if (!used_.count(name)) names.push_back(name + " " + shape_text(tensor.sizes().vec()));
  return names;
}

std::map<std::string, int> Weights::dtype_counts() const {
  std::map<std::string, int> counts;
  for (const auto& [name, dtype] : dtypes_) ++counts[dtype];
  return counts;
}

void Weights::to(torch::Device device) {
  device_ = device;
  for (auto& [name, tensor] : tensors_) tensor = tensor.to(device);
}

LoadedWeights load_folder_weights(const fs::path& folder) {
  LoadedWeights loaded;
  for (const char* name : {"open_clip_model.safetensors", "open_clip_pytorch_model.bin"}) {
    if (fs::is_regular_file(folder / name)) {
      loaded.file = folder / name;
      break;
    }
  }
  if (loaded.file.empty())
    throw Error(
        ErrorKind::NotFound,
        "no open_clip_model.safetensors or open_clip_pytorch_model.bin in " + folder.string());
  const convert::Checkpoint checkpoint = convert::read_checkpoint(loaded.file);
  std::map<std::string, torch::Tensor> tensors;
  std::map<std::string, std::string> dtypes;
  for (const convert::Tensor& t : checkpoint.tensors) {
    tensors[t.name] = to_torch(t);
    dtypes[t.name] = std::string(convert::dtype_name(t.dtype));
  }
  loaded.weights = Weights(std::move(tensors), std::move(dtypes));
  loaded.metadata = checkpoint.metadata;
  return loaded;
}

std::map<std::string, torch::Tensor> load_tensors(const fs::path& file) {
  const convert::Checkpoint checkpoint = convert::read_checkpoint(file);
  std::map<std::string, torch::Tensor> tensors;
  for (const convert::Tensor& t : checkpoint.tensors) tensors[t.name] = to_torch(t);
  return tensors;
}

}  // namespace oclip::validate
