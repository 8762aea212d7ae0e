#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/hash.h"
#include "tests/unit/convert/test_bytes.h"

namespace oclip::convert {
namespace {

using ::testing::HasSubstr;

std::string npy(const std::string& dict, const std::string& data, int version = 1) {
  std::string header = dict + "\n";
  std::string out = "\x93NUMPY";
  out.push_back(static_cast<char>(version));
  out.push_back('\0');
  const size_t n = header.size();
  out.push_back(static_cast<char>(n & 0xFF));
  out.push_back(static_cast<char>((n >> 8) & 0xFF));
  if (version > 1) {
    out.push_back(static_cast<char>((n >> 16) & 0xFF));
    out.push_back(static_cast<char>(n >> 24));
  }
  return out + header + data;
}

std::string floats(std::initializer_list<float> values) {
  std::string out;
  for (float f : values) out.append(reinterpret_cast<const char*>(&f), 4);
  return out;
}

TEST(Npy, ReadsShapesOrdersAndVersions) {
  const Checkpoint c = read_bytes(
      npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", floats({1, 2, 3, 4})));
  ASSERT_EQ(c.format, Format::Npy);
  EXPECT_EQ(c.tensors[0].shape, (std::vector<int64_t>{2, 2}));
  for (int version : {2, 3}) {
    const Checkpoint v = read_bytes(
        npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", floats({7}), version));
    EXPECT_EQ(v.tensors[0].numel(), 1u);
  }
  // Fortran order: bytes are column-major; the tensor's strides say so and C-order reads transpose.
  const Checkpoint f = read_bytes(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                                      floats({1, 4, 2, 5, 3, 6})));
  EXPECT_EQ(f.tensors[0].strides, (std::vector<int64_t>{1, 2}));
  std::string c_order;
  for_each_chunk(f.tensors[0], [&](std::span<const std::byte> b) {
    c_order.append(reinterpret_cast<const char*>(b.data()), b.size());
  });
  EXPECT_EQ(c_order, floats({1, 2, 3, 4, 5, 6}));
  // Big endian: swapped into little-endian bytes.
  std::string be = floats({1.5f});
  std::reverse(be.begin(), be.end());
  const Checkpoint b =
      read_bytes(npy("{'descr': '>f4', 'fortran_order': False, 'shape': (), }", be));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.tensors[0].storage.data()), 4),
            floats({1.5f}));
  // Python 2 long suffix.
  EXPECT_EQ(
      read_bytes(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1L,), }", floats({1})))
          .tensors.size(),
      1u);
}

TEST(Npy, RefusesWhatIsNotAPlainNumericArray) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0')),
       "object arrays"},
      {npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", floats({1})),
       "structured"},
      {npy("{'descr': '<U4', 'fortran_order': False, 'shape': (1,), }", std::string(16, 'a')),
       "not a numeric"},
      {npy("{'descr': '<V2', 'fortran_order': False, 'shape': (1,), }", "ab"),
       "only inside a big_vision"},
      {npy("{'descr': '<V4', 'fortran_order': False, 'shape': (1,), }", "abcd"), "not supported"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", floats({1})), "need 8"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", floats({1, 2})), "need 4"},
      {npy("{'descr': '<f4', 'fortran_order': False}", floats({1})), "exactly descr"},
      {npy("{'descr': '<f4', 'descr': '<f4', 'shape': (1,), }", floats({1})), "twice"},
      {npy("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", floats({1})),
       "True or False"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", floats({1})),
       "non-integer"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", ""),
       "overflows"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", ""),
       "overflows"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } junk", floats({1})), "junk"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", floats({1})),
       "unexpected key"},
      {npy("{" + std::string(10001, ' ') + "}", "", 2), "longer than 10000"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", floats({1}), 9),
       "version 9"},
      {npy("{'descr': '\xe9', 'fortran_order': False, 'shape': (1,), }", floats({1}), 3),
       "non-ASCII"},
  };
  for (const auto& [bytes, message] : cases)
    EXPECT_THAT(format_error_of(bytes), HasSubstr(message)) << message;
}

TEST(Npy, EmptyArraysWithHugeOtherDimensionsAreFine) {
  // Found by npy_fuzz: a zero dimension makes the data empty while the other dimensions'
  // product overflows 64 bits; no stride arithmetic may overflow on the way.
  for (const char* order : {"False", "True"}) {
    const Checkpoint c = read_bytes(npy(std::string("{'descr': '<i8', 'fortran_order': ") + order +
                                            ", 'shape': (4, 0, 770, 77771, 7758, 75540, 77, 73), }",
                                        ""));
    EXPECT_EQ(c.tensors[0].numel(), 0u);
    EXPECT_EQ(tensor_sha256(c.tensors[0]), sha256_hex(std::string_view()));
  }
}

TEST(Npy, EveryTruncationIsAnError) {
  const std::string bytes =
      npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", std::string(24, 'q'));
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_NE(format_error_of(bytes.substr(0, n)), "no error") << n;
}

}  // namespace
}  // namespace oclip::convert
