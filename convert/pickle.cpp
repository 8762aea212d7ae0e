#include "convert/pickle.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>
#include <unordered_map>

#include "convert/pickle_allowlist.h"
#include "core/error.h"

namespace oclip::convert {
namespace {

constexpr size_t kMaxMemo = size_t{1} << 24;

struct Op {
  uint8_t code;
  const char* name;
};

// Names for messages about opcodes oclip refuses.
const char* opcode_name(uint8_t code) {
  static constexpr Op kNames[] = {
      {0x69, "INST"},   {0x6F, "OBJ"},     {0x82, "EXT1"},        {0x83, "EXT2"},
      {0x84, "EXT4"},   {0x50, "PERSID"},  {0x97, "NEXT_BUFFER"}, {0x98, "READONLY_BUFFER"},
      {0x53, "STRING"}, {0x56, "UNICODE"},
  };
  for (const Op& op : kNames) {
    if (op.code == code) return op.name;
  }
  return "unknown";
}

class Unpickler {
 public:
  Unpickler(std::span<const std::byte> data, const std::string& label, const PickleOptions& options)
      : data_(data), label_(label), options_(options) {}

  Pickle run() {
    while (true) {
      if (pos_ >= data_.size()) throw fail("ends without STOP (truncated?)");
      op_pos_ = pos_;
      const uint8_t op = byte();
      if (step(op)) break;
    }
    if (stack_.size() != 1 || !marks_.empty()) throw fail("STOP with a malformed stack");
    pickle_.root = stack_.back();
    pickle_.consumed = pos_;
    return std::move(pickle_);
  }

 private:
  Error fail(const std::string& problem) const { return values_.fail(problem); }

  // --- reading operands ---
  uint8_t byte() {
    if (pos_ >= data_.size()) throw fail("truncated operand");
    return static_cast<uint8_t>(data_[pos_++]);
  }
  uint64_t little(size_t n) {
    if (data_.size() - pos_ < n) throw fail("truncated operand");
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t(uint8_t(data_[pos_ + i])) << (8 * i);
    pos_ += n;
    return v;
  }
  std::string bytes(uint64_t n) {
    if (n > data_.size() - pos_) throw fail("length " + std::to_string(n) + " runs past the end");
    std::string s(reinterpret_cast<const char*>(data_.data() + pos_), static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return s;
  }
  std::string line() {
    size_t end = pos_;
    while (end < data_.size() && data_[end] != std::byte{'\n'}) ++end;
    if (end >= data_.size()) throw fail("unterminated text operand");
    std::string s(reinterpret_cast<const char*>(data_.data() + pos_), end - pos_);
    pos_ = end + 1;
    return s;
  }

  // --- values and the stack ---
  PyValue* make(PyKind kind) { return values_.make(kind); }
  PyValue* make_int(int64_t v) { return values_.make_int(v); }
  PyValue* make_str(std::string s, PyKind kind = PyKind::Str) {
    return values_.make_str(std::move(s), kind);
  }
  void push(PyValue* v) { stack_.push_back(v); }
  PyValue* pop() {
    if (stack_.size() <= stack_floor()) throw fail("stack underflow");
    PyValue* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  PyValue* top() {
    if (stack_.size() <= stack_floor()) throw fail("stack underflow");
    return stack_.back();
  }
  size_t stack_floor() const { return marks_.empty() ? 0 : marks_.back(); }
  std::vector<PyValue*> pop_mark() {
    if (marks_.empty()) throw fail("no MARK to pop to");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<PyValue*> items(stack_.begin() + static_cast<ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }
  PyValue* make_tuple(std::vector<PyValue*> items) { return values_.make_tuple(std::move(items)); }
  void memo_put(uint64_t index) {
    if (memo_.size() >= kMaxMemo && !memo_.count(index)) throw fail("memo grows too large");
    memo_[index] = top();
  }
  PyValue* memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) throw fail("memo index " + std::to_string(index) + " was never set");
    return it->second;
  }
  PyValue* make_long(const std::string& le_bytes) {
    PyValue* v = make(PyKind::Int);
    if (le_bytes.empty()) return v;
    if (le_bytes.size() > 8) {
      // Fits only if every extra byte is sign extension.
      const char sign = (le_bytes.back() & 0x80) ? char(0xFF) : 0;
      for (size_t i = 8; i < le_bytes.size(); ++i) v->int_overflow |= le_bytes[i] != sign;
      v->int_overflow |= ((le_bytes[7] & 0x80) != 0) != (sign != 0);
    }
    uint64_t raw = 0;
    const size_t n = std::min<size_t>(le_bytes.size(), 8);
    for (size_t i = 0; i < n; ++i) raw |= uint64_t(uint8_t(le_bytes[i])) << (8 * i);
    if (n < 8 && (le_bytes[n - 1] & 0x80)) raw |= ~uint64_t(0) << (8 * n);
    v->integer = static_cast<int64_t>(raw);
    return v;
  }

  void set_items(PyValue* dict, const std::vector<PyValue*>& items) {
    if (dict->kind != PyKind::Dict) throw fail("SETITEMS on " + describe(*dict));
    if (items.size() % 2 != 0) throw fail("SETITEMS with an odd number of items");
    for (size_t i = 0; i < items.size(); i += 2) dict->entries.emplace_back(items[i], items[i + 1]);
  }

  // Executes one opcode; true on STOP.
  bool step(uint8_t op) {
    switch (op) {
      case 0x80:
        byte();
        return false;  // PROTO
      case 0x95:
        little(8);
        return false;  // FRAME
      case 0x2E:
        return true;  // STOP
      case 0x28:
        marks_.push_back(stack_.size());
        return false;  // MARK
      case 0x30:
        pop();
        return false;  // POP
      case 0x31:
        pop_mark();
        return false;  // POP_MARK
      case 0x32:
        push(top());
        return false;  // DUP
      case 0x63: {     // GLOBAL
        std::string module = line();
        std::string name = line();
        push(allow_.global(module, name));
        return false;
      }
      case 0x93: {  // STACK_GLOBAL
        PyValue* name = pop();
        PyValue* module = pop();
        if (name->kind != PyKind::Str || module->kind != PyKind::Str)
          throw fail("STACK_GLOBAL needs two strings");
        push(allow_.global(module->text, name->text));
        return false;
      }
      case 0x52: {  // REDUCE
        PyValue* args = pop();
        PyValue* callable = pop();
        push(allow_.call(callable, args));
        return false;
      }
      case 0x81: {  // NEWOBJ
        PyValue* args = pop();
        PyValue* cls = pop();
        push(allow_.new_object(cls, args));
        return false;
      }
      case 0x92: {  // NEWOBJ_EX
        PyValue* kwargs = pop();
        PyValue* args = pop();
        PyValue* cls = pop();
        if (kwargs->kind != PyKind::Dict || !kwargs->entries.empty())
          throw fail("NEWOBJ_EX with keyword arguments");
        push(allow_.new_object(cls, args));
        return false;
      }
      case 0x62: {  // BUILD
        PyValue* state = pop();
        allow_.build(top(), state);
        return false;
      }
      case 0x51:
        push(allow_.persistent_load(pop()));
        return false;  // BINPERSID
      case 0x29:
        push(make(PyKind::Tuple));
        return false;  // EMPTY_TUPLE
      case 0x85:
      case 0x86:
      case 0x87: {  // TUPLE1..3
        const size_t n = op - 0x84u;
        std::vector<PyValue*> items(n);
        for (size_t i = n; i-- > 0;) items[i] = pop();
        push(make_tuple(std::move(items)));
        return false;
      }
      case 0x74:
        push(make_tuple(pop_mark()));
        return false;  // TUPLE
      case 0x7D:
        push(make(PyKind::Dict));
        return false;  // EMPTY_DICT
      case 0x64: {     // DICT
        PyValue* d = make(PyKind::Dict);
        set_items(d, pop_mark());
        push(d);
        return false;
      }
      case 0x73: {  // SETITEM
        PyValue* value = pop();
        PyValue* key = pop();
        set_items(top(), {key, value});
        return false;
      }
      case 0x75: {  // SETITEMS
        std::vector<PyValue*> items = pop_mark();
        set_items(top(), items);
        return false;
      }
      case 0x5D:
        push(make(PyKind::List));
        return false;  // EMPTY_LIST
      case 0x6C: {     // LIST
        PyValue* l = make(PyKind::List);
        l->items = pop_mark();
        push(l);
        return false;
      }
      case 0x61: {  // APPEND
        PyValue* item = pop();
        PyValue* list = top();
        if (list->kind != PyKind::List) throw fail("APPEND on " + describe(*list));
        list->items.push_back(item);
        return false;
      }
      case 0x65: {  // APPENDS
        std::vector<PyValue*> items = pop_mark();
        PyValue* list = top();
        if (list->kind != PyKind::List) throw fail("APPENDS on " + describe(*list));
        list->items.insert(list->items.end(), items.begin(), items.end());
        return false;
      }
      case 0x8F:
        push(make(PyKind::Set));
        return false;  // EMPTY_SET
      case 0x90: {     // ADDITEMS
        std::vector<PyValue*> items = pop_mark();
        PyValue* set = top();
        if (set->kind != PyKind::Set) throw fail("ADDITEMS on " + describe(*set));
        set->items.insert(set->items.end(), items.begin(), items.end());
        return false;
      }
      case 0x91: {  // FROZENSET
        PyValue* s = make(PyKind::Set);
        s->items = pop_mark();
        push(s);
        return false;
      }
      case 0x4E:
        push(make(PyKind::None));
        return false;  // NONE
      case 0x88:
      case 0x89: {  // NEWTRUE, NEWFALSE
        PyValue* b = make(PyKind::Bool);
        b->boolean = op == 0x88;
        push(b);
        return false;
      }
      case 0x4B:
        push(make_int(static_cast<int64_t>(little(1))));
        return false;  // BININT1
      case 0x4D:
        push(make_int(static_cast<int64_t>(little(2))));
        return false;  // BININT2
      case 0x4A:
        push(make_int(static_cast<int32_t>(little(4))));
        return false;  // BININT
      case 0x8A:
        push(make_long(bytes(little(1))));
        return false;  // LONG1
      case 0x8B: {     // LONG4
        const auto n = static_cast<int32_t>(little(4));
        if (n < 0) throw fail("negative LONG4 length");
        push(make_long(bytes(static_cast<uint64_t>(n))));
        return false;
      }
      case 0x49:
        text_int(line());
        return false;  // INT
      case 0x4C: {     // LONG (text)
        std::string s = line();
        if (!s.empty() && s.back() == 'L') s.pop_back();
        text_int(s);
        return false;
      }
      case 0x46: {  // FLOAT (text)
        std::string s = line();
        char* end = nullptr;
        PyValue* f = make(PyKind::Float);
        f->number = std::strtod(s.c_str(), &end);
        if (s.empty() || end != s.c_str() + s.size()) throw fail("bad FLOAT operand");
        push(f);
        return false;
      }
      case 0x47: {  // BINFLOAT: big-endian double
        uint64_t raw = 0;
        for (int i = 0; i < 8; ++i) raw = raw << 8 | byte();
        PyValue* f = make(PyKind::Float);
        f->number = std::bit_cast<double>(raw);
        push(f);
        return false;
      }
      case 0x58:
        push(make_str(bytes(little(4))));
        return false;  // BINUNICODE
      case 0x8C:
        push(make_str(bytes(little(1))));
        return false;  // SHORT_BINUNICODE
      case 0x8D:
        push(make_str(bytes(little(8))));
        return false;  // BINUNICODE8
      case 0x55:
        push(make_str(bytes(little(1))));
        return false;  // SHORT_BINSTRING
      case 0x54: {     // BINSTRING
        const auto n = static_cast<int32_t>(little(4));
        if (n < 0) throw fail("negative BINSTRING length");
        push(make_str(bytes(static_cast<uint64_t>(n))));
        return false;
      }
      case 0x42:
        push(make_str(bytes(little(4)), PyKind::Bytes));
        return false;  // BINBYTES
      case 0x43:
        push(make_str(bytes(little(1)), PyKind::Bytes));
        return false;  // SHORT_BINBYTES
      case 0x8E:
      case 0x96:
        push(make_str(bytes(little(8)), PyKind::Bytes));
        return false;  // BINBYTES8, BYTEARRAY8
      case 0x71:
        memo_put(little(1));
        return false;  // BINPUT
      case 0x72:
        memo_put(little(4));
        return false;  // LONG_BINPUT
      case 0x94:
        memo_put(memo_.size());
        return false;  // MEMOIZE
      case 0x70:
        memo_put(text_index(line()));
        return false;  // PUT
      case 0x68:
        push(memo_get(little(1)));
        return false;  // BINGET
      case 0x6A:
        push(memo_get(little(4)));
        return false;  // LONG_BINGET
      case 0x67:
        push(memo_get(text_index(line())));
        return false;  // GET
      default:
        throw fail(fmt::format("opcode 0x{:02x} ({}) is not allowed", op, opcode_name(op)));
    }
  }

  void text_int(const std::string& s) {
    if (s == "00" || s == "01") {  // protocol 0 booleans
      PyValue* b = make(PyKind::Bool);
      b->boolean = s == "01";
      push(b);
      return;
    }
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || end != s.c_str() + s.size()) throw fail("bad INT operand");
    PyValue* i = make_int(v);
    i->int_overflow = errno == ERANGE;
    push(i);
  }
  uint64_t text_index(const std::string& s) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (s.empty() || end != s.c_str() + s.size()) throw fail("bad memo index");
    return v;
  }

  std::span<const std::byte> data_;
  const std::string& label_;
  const PickleOptions& options_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  Pickle pickle_;
  PickleValues values_{pickle_, label_, op_pos_};
  Allowlist allow_{values_, options_};
  std::vector<PyValue*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PyValue*> memo_;
};

}  // namespace

Pickle unpickle(std::span<const std::byte> data, const std::string& label,
                const PickleOptions& options) {
  return Unpickler(data, label, options).run();
}

const PyValue* dict_get(const PyValue& dict, std::string_view key) {
  for (const auto& [k, v] : dict.entries) {
    if (k->kind == PyKind::Str && k->text == key) return v;
  }
  return nullptr;
}

std::string describe(const PyValue& value) {
  switch (value.kind) {
    case PyKind::None:
      return "None";
    case PyKind::Bool:
      return value.boolean ? "True" : "False";
    case PyKind::Int:
      return "int " + std::to_string(value.integer);
    case PyKind::Float:
      return "float";
    case PyKind::Str:
      return "str '" + value.text.substr(0, 40) + "'";
    case PyKind::Bytes:
      return "bytes";
    case PyKind::Tuple:
      return "tuple of " + std::to_string(value.items.size());
    case PyKind::List:
      return "list of " + std::to_string(value.items.size());
    case PyKind::Dict:
      return "dict of " + std::to_string(value.entries.size());
    case PyKind::Set:
      return "set";
    case PyKind::Global:
      return "'" + value.text + "'";
    case PyKind::DType:
      return "dtype " + value.text;
    case PyKind::Opaque:
      return value.text;
    case PyKind::Storage:
      return "storage";
    case PyKind::Tensor:
      return "tensor";
    case PyKind::Object:
      return "object " + value.text;
  }
  return "value";
}

}  // namespace oclip::convert
