#include "validate/validator.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "convert/tensor_writer.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/prng.h"
#include "core/text.h"
#include "validate/model_spec.h"
#include "validate/towers.h"
#include "validate/weights.h"

namespace oclip::validate {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using torch::Tensor;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Bounds {
  double rel, cos, maxabs;  // maxabs is relative to max(1, max|r|)
  double warn_rel;          // above this a passing result still gets a warning
};

// architectures.md §9.2, by the dtype the folder stores.
Bounds bounds_for(const std::string& precision, int64_t deepest_tower) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (precision == "fp16") return {1e-2, 0.9999, kInf, kInf};
  if (precision == "bf16") return {deepest_tower > 24 ? 5e-2 : 3e-2, 0.999, kInf, kInf};
  return {1e-4, 1 - 1e-7, 1e-4, 1e-5};
}

// Per row of [B, E] features, in float64 (§9.1).
Json compare_features(const std::string& tower, const Tensor& got, const Tensor& want,
                      const Bounds& bounds, std::vector<std::string>& warnings) {
  if (got.sizes() != want.sizes())
    return {
        {"tower", tower},
        {"pass", false},
        {"problem", fmt::format("shape {} but the reference has {}", shape_text(got.sizes().vec()),
                                shape_text(want.sizes().vec()))}};
  Tensor a = got.to(torch::kCPU, torch::kDouble).reshape({got.size(0), -1});
  Tensor r = want.to(torch::kCPU, torch::kDouble).reshape({want.size(0), -1});
  Tensor ref_norm = r.norm(2, 1), got_norm = a.norm(2, 1);
  Tensor rel = (a - r).norm(2, 1) / ref_norm.clamp_min(1e-300);
  Tensor cos = (a * r).sum(1) / (ref_norm * got_norm).clamp_min(1e-300);
  const double maxabs = (a - r).abs().max().item<double>();
  const double max_ref = r.abs().max().item<double>();
  const int64_t worst = rel.argmax().item<int64_t>();
  const double worst_rel = rel.max().item<double>(), min_cos = cos.min().item<double>();
  const bool finite = torch::isfinite(a).all().item<bool>();
  const bool pass = finite && worst_rel <= bounds.rel && min_cos >= bounds.cos &&
                    maxabs <= bounds.maxabs * std::max(1.0, max_ref);
  if (pass && worst_rel > bounds.warn_rel)
    warnings.push_back(fmt::format("{} features: relative error {:.3g} is above {:.0e}", tower,
                                   worst_rel, bounds.warn_rel));
  return {{"tower", tower},     {"rows", a.size(0)}, {"worst_row", worst},
          {"rel", worst_rel},   {"cos", min_cos},    {"maxabs", maxabs},
          {"max_ref", max_ref}, {"finite", finite},  {"pass", pass}};
}

// A 0-d parameter copied from the source: equal to the reference, or to the reference rounded
// to the folder's dtype.
Json compare_scalar(const std::string& name, const Weights& w, const Tensor& want) {
  if (!w.has(name)) return {{"name", name}, {"pass", false}, {"problem", "missing"}};
  Tensor expected = want.to(torch::kFloat).reshape({});
  const std::string& dtype = w.dtype_of(name);
  if (dtype == "f16") expected = expected.to(torch::kHalf).to(torch::kFloat);
  if (dtype == "bf16") expected = expected.to(torch::kBFloat16).to(torch::kFloat);
  const double got = w.raw(name).to(torch::kCPU).reshape({}).item<double>();
  const double expect = expected.item<double>();
  return {{"name", name}, {"value", got}, {"reference", expect}, {"pass", got == expect}};
}

// §9.3: the golden image generator, two items plus an all-zero image.
Tensor deterministic_image(int64_t size) {
  Tensor image = torch::zeros({3, 3, size, size});
  float* data = image.data_ptr<float>();
  const uint64_t seed = fnv1a64("__input_image__");
  const int64_t n = 2 * 3 * size * size;
  for (int64_t i = 0; i < n; ++i)
    data[i] = static_cast<float>(prng_value(seed, static_cast<uint64_t>(i), 1.0, 0.0));
  return image;
}

// Two rows of different lengths, padded the way the family's tokenizer pads.
Tensor deterministic_text(const TextSpec& spec) {
  const int64_t l = spec.context_length, vocab = spec.vocab_size;
  const bool siglip = spec.pool == TextPool::Last;
  const int64_t pad = siglip ? 1 : 0;
  Tensor text = torch::full({2, l}, pad, torch::kLong);
  const uint64_t seed = fnv1a64("__input_text__");
  uint64_t counter = 0;
  const int64_t lengths[2] = {std::min<int64_t>(5, l - 2), std::min<int64_t>(11, l - 2)};
  for (int64_t row = 0; row < 2; ++row) {
    auto ids = text.accessor<int64_t, 2>()[row];
    int64_t j = 0;
    if (!siglip) ids[j++] = vocab - 2;  // start of text
    for (int64_t k = 0; k < lengths[row]; ++k) {
      int64_t id;
      do {
        id = 2 + static_cast<int64_t>(splitmix64_mix(seed + counter++) %
                                      static_cast<uint64_t>(vocab - 4));
      } while (spec.pool == TextPool::Eos && id == spec.eos_id);
      ids[j++] = id;
    }
    if (siglip)
      ids[j] = 1;
    else if (spec.pool == TextPool::Eos)
      ids[j] = spec.eos_id;
    else
      ids[j] = vocab - 1;  // end of text: the row's largest id
  }
  return text;
}

std::string folder_precision(const LoadedWeights& loaded) {
  const std::string recorded = convert::metadata_value(loaded.metadata, "oclip.precision");
  if (!recorded.empty()) return recorded;
  const std::map<std::string, int> counts = loaded.weights.dtype_counts();
  if (counts.count("bf16")) return "bf16";
  if (counts.count("f16")) return "fp16";
  return "fp32";
}

torch::Device choose_device(const std::string& wanted) {
  const bool cuda = torch::cuda::is_available();
  if (wanted == "cuda" && !cuda)
    throw Error(ErrorKind::Unsupported, "--device cuda: no CUDA device is available to LibTorch");
  if (wanted == "cpu" || !cuda) return torch::kCPU;
  // Tight fp32 comparisons need full-precision products (§9.5).
  at::globalContext().setAllowTF32CuBLAS(false);
  at::globalContext().setAllowTF32CuDNN(false);
  at::globalContext().setBenchmarkCuDNN(false);
  at::globalContext().setDeterministicCuDNN(true);
  return torch::kCUDA;
}

Json invariants(const ModelSpec& spec, const Weights& w, const Tensor& image_features,
                const Tensor& text_features) {
  Json items = Json::array();
  auto item = [&](const std::string& what, bool pass, const std::string& detail) {
    items.push_back({{"what", what}, {"pass", pass}, {"detail", detail}});
  };
  const int64_t e = spec.embed_dim;
  item("image features shape", image_features.dim() == 2 && image_features.size(1) == e,
       shape_text(image_features.sizes().vec()));
  item("text features shape", text_features.dim() == 2 && text_features.size(1) == e,
       shape_text(text_features.sizes().vec()));
  item("finite",
       torch::isfinite(image_features).all().item<bool>() &&
           torch::isfinite(text_features).all().item<bool>(),
       "");
  Tensor img = image_features.to(torch::kCPU, torch::kDouble);
  const double image_matters =
      ((img[0] - img[2]).norm() / img[0].norm().clamp_min(1e-300)).item<double>();
  item("the image changes the features", image_matters > 1e-3,
       fmt::format("relative difference to an all-zero image {:.3g}", image_matters));
  Tensor txt = text_features.to(torch::kCPU, torch::kDouble);
  const double text_matters =
      ((txt[0] - txt[1]).norm() / txt[0].norm().clamp_min(1e-300)).item<double>();
  item("the text changes the features", text_matters > 1e-3,
       fmt::format("relative difference between two texts {:.3g}", text_matters));
  if (w.has("logit_scale")) {
    const double s = w.raw("logit_scale").to(torch::kCPU).reshape({}).item<double>();
    item("logit_scale in [0, ln 100]", std::isfinite(s) && s >= 0 && s <= std::log(100.0) + 1e-6,
         fmt::format("{:.6g}", s));
  }
  return items;
}

bool all_pass(const Json& list) {
  for (const Json& entry : list)
    if (!entry.value("pass", false)) return false;
  return true;
}

}  // namespace

Json run_validation(const ValidateOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const fs::path config_path = options.folder / "open_clip_config.json";
  if (!fs::is_regular_file(config_path))
    throw Error(ErrorKind::NotFound, "no open_clip_config.json in " + options.folder.string());
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(read_file(config_path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Format, config_path.string() + ": " + json_error_message(e.what()));
  }
  if (!config.contains("model_cfg"))
    throw Error(ErrorKind::Format, config_path.string() + ": no model_cfg");
  const ModelSpec spec = parse_model_spec(config["model_cfg"]);
  const double build_seconds = seconds_since(start);

  if (options.threads > 0) torch::set_num_threads(options.threads);
  const torch::Device device = choose_device(options.device);
  torch::NoGradGuard no_grad;

  const auto load_start = std::chrono::steady_clock::now();
  LoadedWeights loaded = load_folder_weights(options.folder);
  loaded.weights.to(device);
  Weights& w = loaded.weights;
  const double load_seconds = seconds_since(load_start);
  const std::string precision = folder_precision(loaded);
  const Bounds defaults =
      bounds_for(precision, std::max(spec.text.transformer.layers, spec.vision.transformer.layers));
  const Bounds bounds{options.rtol.value_or(defaults.rel), options.cos.value_or(defaults.cos),
                      options.maxabs.value_or(defaults.maxabs), defaults.warn_rel};

  std::map<std::string, Tensor> reference;
  if (!options.reference.empty()) reference = load_tensors(options.reference);
  auto reference_tensor = [&](const char* name) {
    auto it = reference.find(name);
    if (it == reference.end())
      throw Error(ErrorKind::Format,
                  fmt::format("{} has no '{}'", options.reference.string(), name));
    return it->second;
  };
  const Tensor image = reference.empty() ? deterministic_image(spec.vision.image_size)
                                         : reference_tensor("image").to(torch::kFloat);
  const Tensor text = reference.empty() ? deterministic_text(spec.text) : reference_tensor("text");

  const auto forward_start = std::chrono::steady_clock::now();
  Tensor image_features = encode_image(spec, w, image.to(device)).cpu();
  Tensor text_features = encode_text(spec, w, text.to(device)).cpu();
  w.get("logit_scale", {});
  if (spec.logit_bias) w.get("logit_bias", {});
  const double forward_seconds = seconds_since(forward_start);

  Json report;
  report["folder"] = options.folder.string();
  report["weights"] = loaded.file.filename().string();
  report["vision"] = std::string(vision_kind_name(spec.vision.kind));
  if (!spec.vision.timm_name.empty()) report["timm_model_name"] = spec.vision.timm_name;
  report["precision"] = precision;
  report["device"] = device.is_cuda() ? "cuda" : "cpu";
  report["threads"] = torch::get_num_threads();
  report["tolerances"] = {{"rel", bounds.rel}, {"cos", bounds.cos}, {"maxabs", bounds.maxabs}};

  const bool structure_ok = w.complete();
  report["structure"] = {{"pass", structure_ok},
                         {"tensors", w.size()},
                         {"missing", w.missing()},
                         {"unexpected", w.unused()},
                         {"mismatched", w.mismatched()}};

  std::vector<std::string> warnings;
  Json checks = Json::array();
  Json skipped = Json::array();
  if (!reference.empty()) {
    Json towers =
        Json::array({compare_features("image", image_features, reference_tensor("image_features"),
                                      bounds, warnings),
                     compare_features("text", text_features, reference_tensor("text_features"),
                                      bounds, warnings)});
    Json scalars = Json::array({compare_scalar("logit_scale", w, reference_tensor("logit_scale"))});
    if (reference.count("logit_bias") || spec.logit_bias)
      scalars.push_back(compare_scalar("logit_bias", w, reference_tensor("logit_bias")));
    checks.push_back({{"kind", "reference"},
                      {"against", options.reference.filename().string()},
                      {"towers", towers},
                      {"scalars", scalars},
                      {"pass", all_pass(towers) && all_pass(scalars)}});
  }

  if (!options.baseline.empty()) {
    // The same source converted in fp32: only the precision differs (§9.2).
    LoadedWeights baseline = load_folder_weights(options.baseline);
    baseline.weights.to(device);
    Tensor want_image = encode_image(spec, baseline.weights, image.to(device)).cpu();
    Tensor want_text = encode_text(spec, baseline.weights, text.to(device)).cpu();
    Json towers =
        Json::array({compare_features("image", image_features, want_image, bounds, warnings),
                     compare_features("text", text_features, want_text, bounds, warnings)});
    Json scalars = Json::array();
    for (const char* name : {"logit_scale", "logit_bias"})
      if (baseline.weights.has(name))
        scalars.push_back(compare_scalar(name, w, baseline.weights.raw(name)));
    checks.push_back({{"kind", "fp32-baseline"},
                      {"against", "the fp32 conversion of " + options.baseline_of},
                      {"towers", towers},
                      {"scalars", scalars},
                      {"pass", all_pass(towers) && all_pass(scalars)}});
  }

  if (convert::metadata_value(loaded.metadata, "oclip.source_format") == "torchscript") {
    const convert::RecordedSource source =
        convert::find_recorded_source(loaded.metadata, options.folder, options.source);
    std::string reason = source.problem;
    if (reason.empty()) {
      try {
        const ProgramFeatures program = run_torchscript(source.path, image, text);
        Json towers =
            Json::array({compare_features("image", image_features, program.image, bounds, warnings),
                         compare_features("text", text_features, program.text, bounds, warnings)});
        checks.push_back({{"kind", "torchscript"},
                          {"against", source.path.filename().string()},
                          {"towers", towers},
                          {"pass", all_pass(towers)}});
      } catch (const Error& e) {
        reason = e.what();
      }
    }
    if (!reason.empty()) skipped.push_back({{"kind", "torchscript"}, {"reason", reason}});
  }

  const bool strong = !checks.empty();
  if (!strong) {
    Json items = invariants(spec, w, image_features, text_features);
    checks.push_back({{"kind", "invariants"}, {"items", items}, {"pass", all_pass(items)}});
    warnings.push_back(
        "weaker check: no reference and no source program, so only shapes, finiteness and "
        "sensitivity were checked (pass --reference ref.npz for a numerical proof)");
  }
  report["checks"] = checks;
  report["skipped"] = skipped;
  report["warnings"] = warnings;
  report["strength"] = strong ? "strong" : "weak";
  report["times"] = {{"build", build_seconds},
                     {"load", load_seconds},
                     {"forward", forward_seconds},
                     {"total", seconds_since(start)}};
  report["pass"] = structure_ok && all_pass(checks);
  return report;
}

}  // namespace oclip::validate
