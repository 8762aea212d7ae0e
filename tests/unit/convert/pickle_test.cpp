// The allowlist unpickler: what real checkpoints use works; what attacks use is refused with
// the offending global or opcode named, and nothing is ever executed.
#include "convert/pickle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/unit/convert/test_bytes.h"

namespace oclip::convert {
namespace {

using ::testing::HasSubstr;
using namespace std::string_literals;

Pickle load(const std::string& bytes, bool torchscript = false) {
  PickleOptions options;
  options.allow_torchscript = torchscript;
  return unpickle(as_bytes(bytes), "test.pkl", options);
}

std::string error_of(const std::string& bytes) {
  try {
    load(bytes);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Format);
    return e.what();
  }
  return "no error";
}

std::string unicode(const std::string& s) {
  std::string out = "X";
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((s.size() >> (8 * i)) & 0xFF));
  return out + s;
}

TEST(Pickle, ReadsTheValuesCheckpointsUse) {
  // {'lr': 0.001, 'n': 300, 'big': 2**40, 'neg': -2, 'flag': True, 'seq': [None, (1,)]} with
  // BINFLOAT.
  std::string p = "\x80\x02}q"s + '\0' + "(" + unicode("lr") + "G?PbM\xd2\xf1\xa9\xfc" +
                  unicode("n") + "M,\x01" + unicode("big") + "\x8a\x06"s + std::string(5, '\0') +
                  "\x01" + unicode("neg") + "J\xfe\xff\xff\xff" + unicode("flag") + "\x88" +
                  unicode("seq") + "](N" + "K\x01\x85" + "eu.";
  Pickle pickle = load(p);
  ASSERT_EQ(pickle.root->kind, PyKind::Dict);
  const auto& e = pickle.root->entries;
  ASSERT_EQ(e.size(), 6u);
  EXPECT_DOUBLE_EQ(e[0].second->number, 0.001);
  EXPECT_EQ(e[1].second->integer, 300);
  EXPECT_EQ(e[2].second->integer, int64_t{1} << 40);
  EXPECT_EQ(e[3].second->integer, -2);
  EXPECT_TRUE(e[4].second->boolean);
  ASSERT_EQ(e[5].second->kind, PyKind::List);
  EXPECT_EQ(e[5].second->items[1]->kind, PyKind::Tuple);
}

TEST(Pickle, MemoSharesOneObject) {
  Pickle pickle = load(
      "\x80\x02]q\x01(h\x01h\x01"
      "e.");
  ASSERT_EQ(pickle.root->items.size(), 2u);
  EXPECT_EQ(pickle.root->items[0], pickle.root);  // a list holding itself: no leak, no recursion
}

TEST(Pickle, RefusesGlobalsThatRunCode) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"cposix\nsystem\n(" + unicode("touch x") + "tR.", "'posix.system' is not allowed"},
      {"cos\nsystem\n(" + unicode("id") + "tR.", "'os.system' is not allowed"},
      {"cbuiltins\neval\n(" + unicode("1") + "tR.", "'builtins.eval' is not allowed"},
      {"c__builtin__\ngetattr\n.", "'__builtin__.getattr' is not allowed"},
      {"\x80\x04\x8c\x02os\x8c\x06system\x93.", "'os.system' is not allowed"},
      {"c__main__\nEvil\n)\x81.", "'__main__.Evil' is not allowed"},
      {"cnumpy.core.multiarray\n_reconstruct\n.",
       "'numpy.core.multiarray._reconstruct' is not allowed"},
      {"ctorch._utils\n_rebuild_qtensor\n.", "quantized"},
      {"ctorch\nQInt8Storage\n.", "quantized or unknown"},
      {"c__torch__\nModule\n.",
       "'__torch__.Module' is not allowed"},  // only inside TorchScript archives
  };
  for (const auto& [bytes, message] : cases)
    EXPECT_THAT(error_of(bytes), HasSubstr(message)) << message;
}

TEST(Pickle, RefusesOpcodesThatBuildArbitraryObjects) {
  EXPECT_THAT(error_of("(ios\nsystem\n."), HasSubstr("opcode 0x69 (INST)"));
  EXPECT_THAT(error_of("(o."), HasSubstr("opcode 0x6f (OBJ)"));
  EXPECT_THAT(error_of("\x82\x01."), HasSubstr("(EXT1)"));
  EXPECT_THAT(error_of("P1\n."), HasSubstr("(PERSID)"));
  EXPECT_THAT(error_of("\xff."), HasSubstr("opcode 0xff"));
}

TEST(Pickle, RefusesPersistentIdsThatAreNotStorages) {
  EXPECT_THAT(error_of("(" + unicode("module") + "K\x01tQ."), HasSubstr("type 'module'"));
  EXPECT_THAT(error_of("(" + unicode("storage") + "cbuiltins\nset\n" + unicode("0") +
                       unicode("cpu") + "K\x01tQ."),
              HasSubstr("not a storage class"));
  EXPECT_THAT(error_of("K\x01Q."), HasSubstr("not a tuple"));
}

TEST(Pickle, RefusesMemoAndStackAbuse) {
  EXPECT_THAT(error_of("h\x05."), HasSubstr("memo index 5 was never set"));
  EXPECT_THAT(error_of("j\xff\xff\xff\xff."), HasSubstr("never set"));
  EXPECT_THAT(error_of("q\x01."), HasSubstr("stack underflow"));
  EXPECT_THAT(error_of("R."), HasSubstr("stack underflow"));
  EXPECT_THAT(error_of("K\x01K\x02."), HasSubstr("malformed stack"));
  EXPECT_THAT(error_of("(K\x01."), HasSubstr("malformed stack"));
  EXPECT_THAT(error_of("t."), HasSubstr("no MARK"));
  EXPECT_THAT(error_of("K\x01K\x02"
                       "a."),
              HasSubstr("APPEND on int"));
  EXPECT_THAT(error_of("]K\x01K\x02s."), HasSubstr("SETITEMS on list"));
  EXPECT_THAT(error_of("X\xff\xff\xff\x7f"), HasSubstr("runs past the end"));
  EXPECT_THAT(error_of("K\x01"), HasSubstr("without STOP"));
  EXPECT_THAT(error_of("\x8b\xff\xff\xff\xff."), HasSubstr("negative LONG4"));
}

TEST(Pickle, DeepNestingIsDataNotRecursion) {
  // 200000 nested lists: the interpreter is a loop, so depth costs memory, not stack.
  const size_t depth = 200000;
  std::string p = std::string(depth, ']') + std::string(depth - 1, 'a') + ".";
  Pickle pickle = load(p);
  EXPECT_EQ(pickle.root->kind, PyKind::List);
  std::string marks = std::string(depth, '(') + "K\x01" + std::string(depth, 't') + ".";
  EXPECT_EQ(load(marks).root->kind, PyKind::Tuple);
}

TEST(Pickle, TorchScriptClassesOnlyWhenAsked) {
  const std::string p = "c__torch__.clip.model\nCLIP\n)\x81}b.";
  EXPECT_THAT(error_of(p), HasSubstr("not allowed"));
  Pickle pickle = load(p, true);
  EXPECT_EQ(pickle.root->kind, PyKind::Object);
  EXPECT_EQ(pickle.root->text, "__torch__.clip.model.CLIP");
  EXPECT_THROW(load("c__torch__.torch.classes.quantized\nLinearPackedParams\n.", true), Error);
}

}  // namespace
}  // namespace oclip::convert
