// The OpenAI cross-check: the source TorchScript program itself, run on CPU in float32 as
// openai/CLIP's load(jit=True) does there.
#include <torch/script.h>

#include "core/error.h"
#include "validate/validator.h"

namespace oclip::validate {

ProgramFeatures run_torchscript(const std::filesystem::path& file, const torch::Tensor& image,
                                const torch::Tensor& text) {
  try {
    torch::jit::Module program = torch::jit::load(file.string(), torch::kCPU);
    program.eval();
    program.to(torch::kFloat);
    torch::NoGradGuard no_grad;
    ProgramFeatures out;
    out.image = program.get_method("encode_image")({image.cpu()}).toTensor().to(torch::kFloat);
    out.text = program.get_method("encode_text")({text.cpu()}).toTensor().to(torch::kFloat);
    return out;
  } catch (const c10::Error& e) {
    std::string message = e.what_without_backtrace();
    message = message.substr(0, message.find('\n'));
    throw Error(ErrorKind::Unsupported,
                "the TorchScript program does not run on CPU here (" + message +
                    "); OpenAI's released archives hard-code CUDA and fp16");
  }
}

}  // namespace oclip::validate
