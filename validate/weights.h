// validate/weights.h — a folder's state dict as LibTorch tensors, consumed strictly by name.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace oclip::validate {

// "[2, 768]"; -1 prints as "*".
std::string shape_text(const std::vector<int64_t>& shape);

// The towers ask for every tensor by name and expected shape (-1 = any size on that axis).
// A missing or misshaped tensor is recorded and replaced by zeros so the walk goes on and the
// report lists every problem at once; afterwards `unused()` names what nobody asked for.
class Weights {
 public:
  Weights() = default;
  Weights(std::map<std::string, torch::Tensor> tensors, std::map<std::string, std::string> dtypes);

  torch::Tensor get(const std::string& name, const std::vector<int64_t>& shape);
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  // The shape as stored, for sizes the spec leaves to the state dict (§5.6.4).
  std::vector<int64_t> shape_of(const std::string& name) const;

  std::vector<std::string> unused() const;
  const std::vector<std::string>& missing() const { return missing_; }
  const std::vector<std::string>& mismatched() const { return mismatched_; }
  bool complete() const { return missing_.empty() && mismatched_.empty() && unused().empty(); }

  // Dtype name -> tensor count, as stored in the file.
  std::map<std::string, int> dtype_counts() const;
  const std::string& dtype_of(const std::string& name) const { return dtypes_.at(name); }
  torch::Tensor raw(const std::string& name) const { return tensors_.at(name); }
  void to(torch::Device device);
  size_t size() const { return tensors_.size(); }

 private:
  std::map<std::string, torch::Tensor> tensors_;
  std::map<std::string, std::string> dtypes_;
  std::set<std::string> used_;
  std::vector<std::string> missing_;
  std::vector<std::string> mismatched_;
  torch::Device device_ = torch::kCPU;
};

// open_clip_model.safetensors (else open_clip_pytorch_model.bin) of a folder; float tensors
// become float32, integer buffers int64. Also returns the safetensors __metadata__.
struct LoadedWeights {
  Weights weights;
  std::filesystem::path file;
  std::vector<std::pair<std::string, std::string>> metadata;
};
LoadedWeights load_folder_weights(const std::filesystem::path& folder);

// Every tensor of a checkpoint file (a reference .npz, say) as float32/int64 tensors.
std::map<std::string, torch::Tensor> load_tensors(const std::filesystem::path& file);

}  // namespace oclip::validate
