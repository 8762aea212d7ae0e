// Finding the state dict inside a pickled checkpoint: a bare dict of tensors, open_clip's
// training wrapper {epoch, name, state_dict, optimizer, ...}, or timm's {'model': ...}.
#include <unordered_set>

#include "convert/readers.h"

namespace oclip::convert {
namespace {

std::string key_list(const PyValue& dict) {
  std::string out;
  size_t shown = 0;
  for (const auto& [k, v] : dict.entries) {
    if (shown++ == 8) {
      out += ", ...";
      break;
    }
    if (!out.empty()) out += ", ";
    out += k->kind == PyKind::Str ? k->text : describe(*k);
  }
  return out;
}

bool has_tensor_values(const PyValue& dict) {
  for (const auto& [k, v] : dict.entries) {
    if (v->kind == PyKind::Tensor) return true;
  }
  return false;
}

}  // namespace

std::vector<std::pair<std::string, const PyValue*>> state_dict_entries(const PyValue& root,
                                                                       Checkpoint& out) {
  if (root.kind != PyKind::Dict)
    throw format_error(out,
                       "the pickled object is a " + describe(root) + ", not a dict of tensors");
  const PyValue* dict = &root;
  for (std::string_view wrapper : {"state_dict", "model"}) {
    const PyValue* inner = dict_get(root, wrapper);
    if (inner && inner->kind == PyKind::Dict && !has_tensor_values(root)) {
      dict = inner;
      out.wrapper = wrapper;
      std::string ignored;
      for (const auto& [k, v] : root.entries) {
        if (v == inner) continue;
        if (!ignored.empty()) ignored += ", ";
        ignored += k->kind == PyKind::Str ? k->text : describe(*k);
      }
      if (!ignored.empty()) out.notes.push_back("ignored beside '" + out.wrapper + "': " + ignored);
      break;
    }
  }

  std::vector<std::pair<std::string, const PyValue*>> entries;
  std::vector<std::string> skipped;
  for (const auto& [k, v] : dict->entries) {
    if (k->kind != PyKind::Str)
      throw format_error(out, "state dict key is a " + describe(*k) + ", not a string");
    if (v->kind == PyKind::Tensor) {
      entries.emplace_back(k->text, v);
    } else {
      skipped.push_back(k->text);
    }
  }
  if (entries.empty())
    throw format_error(out, "no tensors found; the top-level dict has keys: " + key_list(*dict));
  if (!skipped.empty()) {
    std::string names;
    for (const std::string& s : skipped) names += (names.empty() ? "" : ", ") + s;
    out.notes.push_back("skipped " + std::to_string(skipped.size()) +
                        " non-tensor entries: " + names);
  }

  // DDP ('module.') and torch.compile ('_orig_mod.') prefixes, removed where present.
  for (std::string_view prefix : {"module.", "_orig_mod."}) {
    size_t with = 0;
    for (const auto& [name, v] : entries) with += name.starts_with(prefix);
    if (with == 0) continue;
    for (auto& [name, v] : entries) {
      if (name.starts_with(prefix)) name.erase(0, prefix.size());
    }
    out.stripped_prefix += prefix;
    if (with != entries.size())
      out.notes.push_back("'" + std::string(prefix) + "' removed from " + std::to_string(with) +
                          " of " + std::to_string(entries.size()) + " names; the others had none");
  }
  std::unordered_set<std::string_view> names;
  for (const auto& [name, v] : entries) {
    if (!names.insert(name).second)
      throw format_error(out, "tensor name '" + name + "' appears twice");
  }
  return entries;
}

}  // namespace oclip::convert
