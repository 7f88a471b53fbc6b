#include "core/npy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "core/file_reader.h"
#include "tests/test_util.h"

namespace halo::core {
namespace {

using ::testing::HasSubstr;

// A .npy file assembled byte by byte, independently of WriteNpy.
std::string HandMadeNpy(const std::string& descr, const std::string& shape,
                        const std::string& data) {
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

template <typename T>
std::string Bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

TEST(NpyTest, ReadsHandMadeFiles) {
  halo::testing::TempDir dir;
  const std::vector<float> f = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, 8.0f};
  halo::testing::WriteTextFile(dir.File("f.npy"), HandMadeNpy("<f4", "(2, 3)", Bytes(f)));
  auto a = ReadNpy(dir.File("f.npy"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->dtype, DType::kFloat32);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a->rows(), 2);
  EXPECT_EQ(a->cols(), 3);
  auto back = ReadNpyAs<float>(dir.File("f.npy"));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.value(), f);
}

TEST(NpyTest, RoundTripsEveryDtypeAndGzip) {
  halo::testing::TempDir dir;
  const std::vector<int64_t> i64 = {0, -1, INT64_MAX, 42};
  const std::vector<int32_t> i32 = {5, -6};
  const std::vector<double> f64 = {0.1, 1e300};
  const std::vector<uint8_t> mask = {1, 0, 1};
  ASSERT_TRUE(WriteNpy(dir.File("a.npy"), i64).ok());
  ASSERT_TRUE(WriteNpy(dir.File("b.npy"), i32).ok());
  ASSERT_TRUE(WriteNpy(dir.File("c.npy"), f64).ok());
  ASSERT_TRUE(WriteNpyBool(dir.File("d.npy"), mask).ok());
  EXPECT_EQ(ReadNpyAs<int64_t>(dir.File("a.npy")).value(), i64);
  EXPECT_EQ(ReadNpyAs<int32_t>(dir.File("b.npy")).value(), i32);
  EXPECT_EQ(ReadNpyAs<double>(dir.File("c.npy")).value(), f64);
  auto d = ReadNpy(dir.File("d.npy"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->dtype, DType::kBool);
  EXPECT_EQ(ReadNpyAs<uint8_t>(dir.File("d.npy")).value(), mask);
  // int32 widens to int64; the same bytes behind gzip read the same.
  EXPECT_EQ(ReadNpyAs<int64_t>(dir.File("b.npy")).value(), (std::vector<int64_t>{5, -6}));
  auto raw = ReadFileToString(dir.File("a.npy")).value();
  halo::testing::WriteTextFile(dir.File("a.npy.gz"), raw, true);
  EXPECT_EQ(ReadNpyAs<int64_t>(dir.File("a.npy.gz")).value(), i64);
}

TEST(NpyTest, HeaderIsPaddedTo64Bytes) {
  halo::testing::TempDir dir;
  ASSERT_TRUE(WriteNpy(dir.File("x.npy"), std::vector<float>{1, 2, 3}).ok());
  std::string raw = ReadFileToString(dir.File("x.npy")).value();
  const size_t header_len =
      static_cast<unsigned char>(raw[8]) | (static_cast<unsigned char>(raw[9]) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  EXPECT_EQ(raw[10 + header_len - 1], '\n');
  EXPECT_EQ(raw.size(), 10 + header_len + 12);
  EXPECT_THAT(raw.substr(10, header_len), HasSubstr("'shape': (3,)"));
}

TEST(NpyTest, RejectsBadFiles) {
  halo::testing::TempDir dir;
  halo::testing::WriteTextFile(dir.File("magic.npy"), "not numpy at all");
  EXPECT_EQ(ReadNpy(dir.File("magic.npy")).status().code(), StatusCode::kCorruption);
  // Shape says 4 floats, data holds 3.
  halo::testing::WriteTextFile(dir.File("short.npy"),
                               HandMadeNpy("<f4", "(4,)", Bytes(std::vector<float>{1, 2, 3})));
  auto s = ReadNpy(dir.File("short.npy"));
  EXPECT_EQ(s.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(s.status().message(), HasSubstr("short.npy"));
  halo::testing::WriteTextFile(dir.File("c16.npy"),
                               HandMadeNpy("<c16", "(1,)", std::string(16, '\0')));
  EXPECT_THAT(ReadNpy(dir.File("c16.npy")).status().message(), HasSubstr("unsupported dtype"));
  // Floats are never silently truncated into integers; too-large ints do not wrap.
  ASSERT_TRUE(WriteNpy(dir.File("f.npy"), std::vector<float>{1.5f}).ok());
  EXPECT_FALSE(ReadNpyAs<int64_t>(dir.File("f.npy")).ok());
  ASSERT_TRUE(WriteNpy(dir.File("big.npy"), std::vector<int64_t>{int64_t{1} << 40}).ok());
  auto narrowed = ReadNpyAs<int32_t>(dir.File("big.npy"));
  EXPECT_EQ(narrowed.status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(ReadNpy(dir.File("missing.npy")).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace halo::core
