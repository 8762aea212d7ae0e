#include "convert/conversion.h"

#include <fcntl.h>
#include <stdio.h>

#include <algorithm>
#include <filesystem>
#include <future>

#include "convert/family/families.h"
#include "convert/tensor_writer.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/hash.h"
#include "core/interrupt.h"

namespace oclip::convert {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

bool has(const Checkpoint& c, std::string_view name) { return c.find(name) != nullptr; }

// open_clip's convert_weights_to_lp: Conv/Linear weights and biases, attention in-projections
// and the bare projection matrices of native towers.
bool native_low_precision(const std::string& name) {
  if (name == "text_projection" || name == "visual.proj" || name == "text.text_projection")
    return true;
  if (name.ends_with("in_proj_weight") || name.ends_with("in_proj_bias")) return true;
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos) return false;
  const std::string leaf = name.substr(dot + 1);
  if (leaf != "weight" && leaf != "bias") return false;
  const std::string module = name.substr(0, dot);
  const std::string last = module.substr(module.rfind('.') + 1);
  for (const char* linear : {"conv1", "conv2", "conv3", "out_proj", "c_fc", "c_proj", "q_proj",
                             "k_proj", "v_proj", "text_projection"}) {
    if (last == linear) return true;
  }
  return module.ends_with("downsample.0");
}

// The text tower's LayerNormFp32 modules, kept f32 when a timm-tower model is cast.
bool text_layer_norm(const std::string& name) {
  return name.starts_with("text.ln_final.") ||
         (name.starts_with("text.transformer.resblocks.") &&
          (name.find(".ln_1.") != std::string::npos || name.find(".ln_2.") != std::string::npos));
}

void apply_precision(Conversion& c, const std::string& precision) {
  if (precision == "fp32") return;
  const DType low = precision == "fp16" ? DType::F16 : DType::BF16;
  const bool timm_tower =
      c.model_cfg.contains("vision_cfg") && c.model_cfg["vision_cfg"].contains("timm_model_name");
  for (Planned& p : c.tensors) {
    if (!is_float(p.dtype)) continue;
    const bool cast = timm_tower ? !text_layer_norm(p.name) : native_low_precision(p.name);
    if (cast) p.dtype = low;
  }
}

void apply_preprocess_flags(Conversion& c, const ConvertOptions& o) {
  if (o.image_mean) c.preprocess_cfg["mean"] = *o.image_mean;
  if (o.image_std) c.preprocess_cfg["std"] = *o.image_std;
  if (!o.image_interpolation.empty()) c.preprocess_cfg["interpolation"] = o.image_interpolation;
  if (!o.image_resize_mode.empty()) c.preprocess_cfg["resize_mode"] = o.image_resize_mode;
}

Json entry_preprocess(const registry::PretrainedEntry& e) {
  return preprocess(e.mean, e.std, e.interpolation, e.resize_mode);
}

// Preprocessing for open_clip checkpoints, which do not carry it: flags, else the named tag,
// else the folder's config, else every pretrained entry when they agree, else the defaults.
Json training_preprocess(Conversion& c, const ConvertOptions& o,
                         const registry::Registry& registry) {
  const bool all_flags =
      o.image_mean && o.image_std && !o.image_interpolation.empty() && !o.image_resize_mode.empty();
  if (all_flags) return openai_preprocess();  // every field is replaced by the flags
  if (!o.pretrained_tag.empty()) {
    if (c.model_name.empty()) throw Error(ErrorKind::Usage, "--pretrained-tag needs --model");
    return entry_preprocess(registry.find_pretrained(c.model_name, o.pretrained_tag));
  }
  if (o.folder_config && o.folder_config->contains("preprocess_cfg")) {
    Json p = openai_preprocess();
    for (const auto& [k, v] : (*o.folder_config)["preprocess_cfg"].items()) {
      if (p.contains(k)) p[k] = v;
    }
    return p;
  }
  if (c.model_name.empty()) return openai_preprocess();
  std::vector<std::string_view> tags = registry.tags_for(c.model_name);
  if (tags.empty()) {
    c.notes.push_back("no pretrained entry for " + c.model_name +
                      "; open_clip's default preprocessing (OpenAI mean/std, bicubic, shortest)");
    return openai_preprocess();
  }
  Json first = entry_preprocess(registry.find_pretrained(c.model_name, tags[0]));
  std::string choices;
  bool agree = true;
  for (std::string_view tag : tags) {
    Json p = entry_preprocess(registry.find_pretrained(c.model_name, tag));
    agree &= p == first;
    choices += (choices.empty() ? "" : ", ") + std::string(tag);
  }
  if (!agree)
    throw Error(ErrorKind::Usage, "the pretrained entries of " + c.model_name +
                                      " preprocess differently (" + choices + ")")
        .with_hint(
            "say which with --pretrained-tag, or give --image-mean, --image-std, "
            "--image-interpolation and --image-resize-mode");
  c.notes.push_back("preprocessing of " + c.model_name + "'s pretrained entries (" + choices +
                    "), which all agree");
  return first;
}

std::string file_sha256(const MappedFile& file) {
  DigestStream digest(DigestStream::Kind::Sha256, file.bytes().size());
  constexpr size_t kChunk = 16 << 20;
  for (size_t at = 0; at < file.bytes().size(); at += kChunk) {
    std::span<const std::byte> piece =
        file.bytes().subspan(at, std::min(kChunk, file.bytes().size() - at));
    digest.update({reinterpret_cast<const char*>(piece.data()), piece.size()});
    file.release(piece);
  }
  return digest.hex_digest();
}

}  // namespace

std::string_view family_name(Family family) {
  switch (family) {
    case Family::OpenAi:
      return "openai";
    case Family::OpenClip:
      return "open_clip";
    case Family::MobileClip:
      return "mobileclip";
    case Family::BigVision:
      return "big_vision";
  }
  return "unknown";
}

std::optional<Family> family_from_name(std::string_view name) {
  for (Family f : {Family::OpenAi, Family::OpenClip, Family::MobileClip, Family::BigVision}) {
    if (family_name(f) == name) return f;
  }
  return std::nullopt;
}

std::optional<Family> detect_family(const Checkpoint& c) {
  if (c.format == Format::Npz &&
      (has(c, "params/b") || (has(c, "b") && has(c, "img/embedding/kernel"))))
    return Family::BigVision;
  if (has(c, "image_encoder.model.patch_embed.0.rbr_conv.0.conv.weight") ||
      has(c, "image_encoder.model.patch_emb.0.block.conv.weight"))
    return Family::MobileClip;
  const bool openai_names =
      has(c, "visual.conv1.weight") && has(c, "token_embedding.weight") &&
      (has(c, "visual.proj") || has(c, "visual.attnpool.positional_embedding"));
  if (openai_names && (c.format == Format::TorchScript || has(c, "input_resolution")))
    return Family::OpenAi;
  for (const Tensor& t : c.tensors) {
    if (t.name.starts_with("visual.") || t.name.starts_with("text.") || t.name == "logit_scale")
      return Family::OpenClip;
  }
  return std::nullopt;
}

Conversion plan_conversion(const Checkpoint& source, const ConvertOptions& options,
                           const registry::Registry& registry) {
  if (options.precision != "fp32" && options.precision != "fp16" && options.precision != "bf16")
    throw Error(ErrorKind::Usage,
                "--precision must be fp32, fp16 or bf16, not '" + options.precision + "'");
  std::optional<Family> detected = detect_family(source);
  if (options.family && detected && *options.family != *detected &&
      *options.family != Family::OpenClip)
    throw Error(ErrorKind::Usage, source.label + " was detected as " +
                                      std::string(family_name(*detected)) + ", not --from " +
                                      std::string(family_name(*options.family)));
  const std::optional<Family> family = options.family ? options.family : detected;
  if (!family)
    throw Error(ErrorKind::Format,
                source.label +
                    " matches no family oclip converts (OpenAI, open_clip, MobileCLIP, "
                    "big_vision SigLIP)")
        .with_file(source.label)
        .with_hint("'oclip inspect " + source.label + "' lists its tensors");
  Conversion c;
  switch (*family) {
    case Family::OpenAi:
      c = convert_openai(source, options, registry);
      break;
    case Family::OpenClip:
      c = convert_open_clip(source, options, registry);
      break;
    case Family::MobileClip:
      c = convert_mobileclip(source, options, registry);
      break;
    case Family::BigVision:
      c = convert_big_vision(source, options, registry);
      break;
  }
  if (c.family == Family::OpenClip) c.preprocess_cfg = training_preprocess(c, options, registry);
  apply_preprocess_flags(c, options);
  apply_precision(c, options.precision);
  c.precision = options.precision;
  for (const Planned& p : c.tensors) to_output(p);  // checks every part fits its target now
  return c;
}

std::string config_json(const Conversion& c) {
  const Json config = {{"model_cfg", c.model_cfg}, {"preprocess_cfg", c.preprocess_cfg}};
  return config.dump(2, ' ', true);
}

namespace {

// `inner` is `outer` or lies below it.
bool is_within(const fs::path& inner, const fs::path& outer) {
  auto resolved = [](const fs::path& p) {
    std::error_code ec;
    fs::path r = fs::weakly_canonical(fs::absolute(p), ec).lexically_normal();
    return r.has_filename() ? r : r.parent_path();  // "dir/" is "dir"
  };
  const fs::path a = resolved(inner), b = resolved(outer);
  auto [mismatch, _] = std::mismatch(b.begin(), b.end(), a.begin(), a.end());
  return mismatch == b.end();
}

void check_replaceable(const fs::path& dir, const FolderOptions& options) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return;
  if (!fs::is_directory(dir, ec))
    throw Error(ErrorKind::Usage, dir.string() + " is a file, not a folder")
        .with_hint("name a new folder with -o");
  if (fs::is_empty(dir, ec)) return;
  if (!options.force)
    throw Error(ErrorKind::Usage, dir.string() + " exists and is not empty")
        .with_hint("pass --force to replace it");
  for (const fs::path& input : options.inputs) {
    if (!input.empty() && is_within(input, dir))
      throw Error(ErrorKind::Usage, dir.string() + " holds " + input.string() +
                                        ", which this conversion reads; --force would delete it")
          .with_hint("write the folder somewhere else with -o");
  }
  if (is_within(fs::current_path(ec), dir))
    throw Error(ErrorKind::Usage,
                dir.string() + " is (or holds) the current folder; --force would delete it")
        .with_hint("write the folder somewhere else with -o");
}

}  // namespace

void write_folder(const Conversion& c, const Checkpoint& source, const fs::path& dir,
                  const FolderOptions& options) {
  std::error_code ec;
  check_replaceable(dir, options);
  const fs::path parent = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
  fs::create_directories(parent, ec);
  const fs::path temp =
      parent / ("." + dir.filename().string() + ".oclip-" + random_hex(8) + ".tmp");
  struct Cleanup {
    fs::path path;
    TemporaryPath registered{path};  // a signal removes it too
    ~Cleanup() {
      std::error_code ignored;
      if (!path.empty()) fs::remove_all(path, ignored);
    }
  } cleanup{temp};
  if (!fs::create_directory(temp, ec))
    throw Error(ErrorKind::Io, "cannot create " + temp.string() + ": " + ec.message())
        .with_file(temp.string());

  std::vector<OutputTensor> outputs;
  for (const Planned& p : c.tensors) outputs.push_back(to_output(p, source.file.get()));
  const SourceRecord record{std::string(format_name(source.format)), source.label,
                            options.source_sha256, std::string(family_name(c.family)), c.precision};
  Metadata metadata = source_metadata(record);
  // The source's sha256 is computed on the other core while the tensors are written.
  std::future<std::string> hashing;
  LateMetadata late{"oclip.source_sha256", 64, [&] { return hashing.get(); }};
  const bool hash_meanwhile = record.sha256.empty() && source.file;
  if (hash_meanwhile) {
    hashing = std::async(std::launch::async, [&] { return file_sha256(*source.file); });
    std::erase_if(metadata, [](const auto& kv) { return kv.first == "oclip.source_sha256"; });
  }
  write_safetensors(temp / "open_clip_model.safetensors", outputs, metadata,
                    hash_meanwhile ? &late : nullptr);
  if (options.write_bin) write_torch_bin(temp / "open_clip_pytorch_model.bin", outputs);
  write_file_atomic(temp / "open_clip_config.json", config_json(c));
  if (!options.readme.empty()) write_file_atomic(temp / "README.md", options.readme);
  for (const ExtraFile& file : options.extra_files) {
    if (file.source.empty()) {
      write_file_atomic(temp / file.name, file.content);
      continue;
    }
    fs::copy_file(file.source, temp / file.name, ec);
    if (ec)
      throw Error(ErrorKind::Io, "cannot copy " + file.source.string() + ": " + ec.message())
          .with_file(file.source.string());
  }

  if (fs::exists(dir, ec)) {
    // Swapped in one step, so an interruption leaves the old folder or the new one in place;
    // `temp` then holds the old one, which Cleanup removes.
    if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) == 0) return;
    // A file system without the exchange: move the old folder aside first.
    const fs::path old =
        parent / ("." + dir.filename().string() + ".oclip-" + random_hex(8) + ".old");
    fs::rename(dir, old, ec);
    if (ec) throw Error(ErrorKind::Io, "cannot move " + dir.string() + " aside: " + ec.message());
    fs::rename(temp, dir, ec);
    std::error_code ignored;
    fs::remove_all(old, ignored);
  } else {
    fs::rename(temp, dir, ec);
  }
  if (ec)
    throw Error(ErrorKind::Io,
                "cannot rename " + temp.string() + " to " + dir.string() + ": " + ec.message());
  cleanup.path.clear();
  cleanup.registered.release();
}

}  // namespace oclip::convert
