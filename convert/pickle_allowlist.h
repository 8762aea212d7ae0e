// convert/pickle_allowlist.h — what the unpickler (pickle.cpp) lets a pickle name and call:
// torch's weights_only allowlist, emulated. Nothing runs: a global becomes a tagged value, and
// a call builds the value the real callable would have returned.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "convert/pickle.h"
#include "core/error.h"

namespace oclip::convert {

// Values made in the pickle's arena, and errors naming the byte position of the opcode being
// run. The unpickler owns it; the allowlist borrows it.
class PickleValues {
 public:
  PickleValues(Pickle& pickle, const std::string& label, const size_t& op_pos)
      : pickle_(pickle), label_(label), op_pos_(op_pos) {}

  PyValue* make(PyKind kind);
  PyValue* make_int(int64_t v);
  PyValue* make_str(std::string s, PyKind kind = PyKind::Str);
  PyValue* make_tuple(std::vector<PyValue*> items);
  Error fail(const std::string& problem) const;

 private:
  Pickle& pickle_;
  const std::string& label_;
  const size_t& op_pos_;
};

class Allowlist {
 public:
  Allowlist(PickleValues& values, const PickleOptions& options)
      : values_(values), options_(options) {}

  // GLOBAL and STACK_GLOBAL: the tagged value of an allowed name; any other is refused.
  PyValue* global(const std::string& module, const std::string& name);
  // REDUCE.
  PyValue* call(PyValue* callable, PyValue* args);
  // NEWOBJ and NEWOBJ_EX.
  PyValue* new_object(PyValue* cls, PyValue* args);
  // BUILD.
  void build(PyValue* object, PyValue* state);
  // BINPERSID: torch's ('storage', class, key, location, numel[, view]).
  PyValue* persistent_load(PyValue* pid);

 private:
  const std::vector<PyValue*>& tuple_args(PyValue* args, const std::string& who);
  int64_t as_int(PyValue* v, const std::string& what);
  std::vector<int64_t> as_int_tuple(PyValue* v, const std::string& what);
  PyValue* rebuild_tensor(const std::vector<PyValue*>& a, const std::string& who, bool has_dtype);
  PyValue* codecs_encode(const std::vector<PyValue*>& a);

  PyValue* make(PyKind kind) { return values_.make(kind); }
  PyValue* make_str(std::string s, PyKind kind = PyKind::Str) {
    return values_.make_str(std::move(s), kind);
  }
  PyValue* make_tuple(std::vector<PyValue*> items) { return values_.make_tuple(std::move(items)); }
  Error fail(const std::string& problem) const { return values_.fail(problem); }

  PickleValues& values_;
  const PickleOptions& options_;
};

}  // namespace oclip::convert
