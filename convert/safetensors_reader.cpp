// safetensors: u64 header length, JSON header, then one contiguous byte buffer. Validation
// follows the reference reader, plus duplicate-key and leading-'{' checks it leaves out.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "convert/readers.h"
#include "core/error.h"
#include "core/text.h"

namespace oclip::convert {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct Entry {
  Tensor tensor;
  uint64_t begin = 0;
  uint64_t end = 0;
};

uint64_t unsigned_field(const nlohmann::ordered_json& value, const Checkpoint& out,
                        const std::string& what) {
  if (!value.is_number_unsigned()) throw format_error(out, what + " is not a non-negative integer");
  return value.get<uint64_t>();
}

}  // namespace

void read_safetensors(std::span<const std::byte> bytes, Checkpoint& out) {
  out.format = Format::Safetensors;
  if (bytes.size() < 8) throw format_error(out, "shorter than the 8-byte header length");
  uint64_t header_size = 0;
  for (int i = 0; i < 8; ++i) header_size |= uint64_t(uint8_t(bytes[i])) << (8 * i);
  if (header_size > kMaxHeaderBytes)
    throw format_error(out, "header claims " + std::to_string(header_size) +
                                " bytes, more than the 100000000-byte limit");
  if (header_size > bytes.size() - 8)
    throw format_error(out, "header claims " + std::to_string(header_size) +
                                " bytes but the file has " + std::to_string(bytes.size() - 8) +
                                " after the length (truncated?)");
  const std::string_view text(reinterpret_cast<const char*>(bytes.data() + 8), header_size);
  if (text.empty() || text.front() != '{')
    throw format_error(out, "header does not start with '{'");

  // Duplicate keys are invalid; the JSON parser would silently keep one of them.
  std::unordered_set<std::string> seen_top;
  std::string duplicate;
  auto on_event = [&](int depth, nlohmann::ordered_json::parse_event_t event,
                      nlohmann::ordered_json& parsed) {
    if (event == nlohmann::ordered_json::parse_event_t::key && depth == 1 &&
        !seen_top.insert(parsed.get<std::string>()).second && duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  nlohmann::ordered_json header;
  try {
    header = nlohmann::ordered_json::parse(text, on_event);
  } catch (const nlohmann::json::exception& e) {
    throw format_error(out, "header is not valid JSON: " + json_error_message(e.what()));
  }
  if (!duplicate.empty()) throw format_error(out, "header names '" + duplicate + "' twice");
  if (!header.is_object()) throw format_error(out, "header is not a JSON object");

  std::vector<Entry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const nlohmann::ordered_json& value = it.value();
    if (name == "__metadata__") {
      if (!value.is_object()) throw format_error(out, "__metadata__ is not an object");
      for (auto m = value.begin(); m != value.end(); ++m) {
        if (!m.value().is_string())
          throw format_error(out, "__metadata__ value '" + m.key() + "' is not a string");
        out.metadata.emplace_back(m.key(), m.value().get<std::string>());
      }
      continue;
    }
    const std::string what = "tensor '" + name + "'";
    if (!value.is_object()) throw format_error(out, what + " is not an object");
    auto dtype_it = value.find("dtype");
    auto shape_it = value.find("shape");
    auto offsets_it = value.find("data_offsets");
    if (dtype_it == value.end() || shape_it == value.end() || offsets_it == value.end())
      throw format_error(out, what + " lacks dtype, shape or data_offsets");
    if (!dtype_it->is_string()) throw format_error(out, what + " has a non-string dtype");
    std::optional<DType> dtype = dtype_from_safetensors(dtype_it->get<std::string>());
    if (!dtype)
      throw format_error(out, what + " has unknown dtype '" + dtype_it->get<std::string>() + "'");
    if (!shape_it->is_array()) throw format_error(out, what + " shape is not an array");
    if (!offsets_it->is_array() || offsets_it->size() != 2)
      throw format_error(out, what + " data_offsets is not [begin, end]");

    Entry entry;
    entry.tensor.name = name;
    entry.tensor.dtype = *dtype;
    uint64_t bits = dtype_bits(*dtype);
    for (const auto& d : *shape_it) {
      const uint64_t dim = unsigned_field(d, out, what + " shape entry");
      if (dim > uint64_t(INT64_MAX) || !checked_mul(bits, dim, &bits))
        throw format_error(out, what + " shape times dtype size overflows");
      entry.tensor.shape.push_back(static_cast<int64_t>(dim));
    }
    if (bits % 8 != 0) throw format_error(out, what + " does not fill whole bytes");
    entry.begin = unsigned_field((*offsets_it)[0], out, what + " begin offset");
    entry.end = unsigned_field((*offsets_it)[1], out, what + " end offset");
    if (entry.end < entry.begin) throw format_error(out, what + " ends before it begins");
    if (entry.end - entry.begin != bits / 8)
      throw format_error(out, what + " has " + std::to_string(entry.end - entry.begin) +
                                  " bytes but its shape and dtype need " +
                                  std::to_string(bits / 8));
    entry.tensor.strides = contiguous_strides(entry.tensor.shape);
    entries.push_back(std::move(entry));
  }

  // The tensors must tile the buffer exactly: no holes, overlaps or trailing bytes.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const uint64_t buffer_size = bytes.size() - 8 - header_size;
  uint64_t expected = 0;
  for (const Entry& e : entries) {
    if (e.begin != expected)
      throw format_error(out, "tensor '" + e.tensor.name + "' starts at " +
                                  std::to_string(e.begin) + " where " + std::to_string(expected) +
                                  " was expected (overlapping or gapped offsets)");
    expected = e.end;
  }
  if (expected != buffer_size)
    throw format_error(out, "tensors cover " + std::to_string(expected) +
                                " bytes but the data section has " + std::to_string(buffer_size) +
                                (expected > buffer_size ? " (truncated?)" : ""));
  const std::span<const std::byte> data = bytes.subspan(static_cast<size_t>(8 + header_size));
  for (Entry& e : entries) {
    e.tensor.storage =
        data.subspan(static_cast<size_t>(e.begin), static_cast<size_t>(e.end - e.begin));
    out.tensors.push_back(std::move(e.tensor));
  }
}

}  // namespace oclip::convert
