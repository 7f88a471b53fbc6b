#include "net/codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "net/crc32c.h"

namespace halo::net {
namespace {

using ::testing::HasSubstr;

// A message's frames as owned strings, so tests can damage them.
std::vector<std::string> Wire(const Message& m) {
  core::Result<std::vector<Frame>> frames = Encode(m);
  EXPECT_TRUE(frames.ok()) << frames.status().ToString();
  std::vector<std::string> wire;
  for (const Frame& f : *frames) wire.emplace_back(reinterpret_cast<const char*>(f.data), f.size);
  return wire;
}

// Decodes borrowed frames (owner null: arrays are copied out).
core::Result<Message> DecodeWire(const std::vector<std::string>& wire) {
  std::vector<Frame> frames;
  for (const std::string& s : wire) {
    frames.push_back(Frame{reinterpret_cast<const uint8_t*>(s.data()), s.size(), nullptr});
  }
  return Decode(frames);
}

// Rewrites the checksum after a test edited the header, so the edit itself is what fails.
void Reseal(std::vector<std::string>* wire) {
  std::string& h = (*wire)[0];
  uint32_t crc = Crc32c(0, h.data(), h.size() - 4);
  for (size_t i = 1; i < wire->size(); ++i) crc = Crc32c(crc, (*wire)[i].data(), (*wire)[i].size());
  for (int i = 0; i < 4; ++i) h[h.size() - 4 + i] = static_cast<char>(crc >> (8 * i));
}

void Put64(std::string* s, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) (*s)[at + i] = static_cast<char>(v >> (8 * i));
}

Message Sample() {
  Message m(42, {Array::FromVector<int64_t>({1, -2, 3}), Array::FromVector<float>({0.5f, 1.5f})});
  m.request_id = 0x0123456789ABCDEFull;
  return m;
}

void ExpectCorrupt(const std::vector<std::string>& wire, const std::string& what) {
  core::Result<Message> m = DecodeWire(wire);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), core::StatusCode::kCorruption);
  EXPECT_THAT(m.status().message(), HasSubstr(what));
}

template <typename T>
void ExpectRoundTrip(std::vector<T> values) {
  Message in(17, {Array::FromVector<T>(values)});
  in.request_id = 99;
  core::Result<Message> out = DecodeWire(Wire(in));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->type, 17);
  EXPECT_EQ(out->request_id, 99u);
  EXPECT_TRUE(out->status.ok());
  ASSERT_EQ(out->arrays.size(), 1u);
  EXPECT_EQ(out->arrays[0].dtype(), DTypeOf<T>::value);
  EXPECT_EQ(out->arrays[0].ToVector<T>(), values);
}

TEST(CodecTest, RoundTripsEveryDType) {
  ExpectRoundTrip<float>({1.0f, -2.5f, std::numeric_limits<float>::infinity()});
  ExpectRoundTrip<int64_t>({0, -1, std::numeric_limits<int64_t>::max()});
  ExpectRoundTrip<uint8_t>({0, 7, 255});
  ExpectRoundTrip<int32_t>({std::numeric_limits<int32_t>::min(), 0, 5});
  ExpectRoundTrip<double>({3.141592653589793, -0.0});
  ExpectRoundTrip<char>({'a', '\0', 'z'});
}

TEST(CodecTest, RoundTripsNoArraysAndEmptyArrays) {
  Message none(3);
  core::Result<Message> out = DecodeWire(Wire(none));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->arrays.empty());

  Message empties(4, {Array::FromVector<float>({}), Array(), Array::FromVector<int64_t>({})});
  out = DecodeWire(Wire(empties));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->arrays.size(), 3u);
  EXPECT_EQ(out->arrays[0].dtype(), DType::kF32);
  EXPECT_EQ(out->arrays[2].dtype(), DType::kI64);
  for (const Array& a : out->arrays) EXPECT_EQ(a.count(), 0u);
}

TEST(CodecTest, RoundTripsErrorStatusAndExtremeFields) {
  Message m(std::numeric_limits<uint16_t>::max());
  m.request_id = std::numeric_limits<uint64_t>::max();
  m.status = core::Status::NotFound("node 12 is not in part 3");
  core::Result<Message> out = DecodeWire(Wire(m));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->type, std::numeric_limits<uint16_t>::max());
  EXPECT_EQ(out->request_id, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(out->status.code(), core::StatusCode::kNotFound);
  EXPECT_EQ(out->status.message(), "node 12 is not in part 3");

  m.status = core::Status::Internal(std::string(kMaxErrorBytes + 100, 'x'));
  out = DecodeWire(Wire(m));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->status.message().size(), kMaxErrorBytes);
}

TEST(CodecTest, HeaderLayoutIsLittleEndian) {
  std::vector<std::string> wire = Wire(Sample());
  const std::string& h = wire[0];
  ASSERT_EQ(h.size(), kFixedHeaderBytes + 2 * kArrayDescriptorBytes + kChecksumBytes);
  EXPECT_EQ(h.substr(0, 4), "HALO");
  EXPECT_EQ(h[4], 1);
  EXPECT_EQ(h[6], 42);
  EXPECT_EQ(static_cast<uint8_t>(h[8]), 0xEF);  // request id, low byte first
  EXPECT_EQ(h[18], 2);                          // array count
  EXPECT_EQ(h[20], static_cast<char>(DType::kI64));
  EXPECT_EQ(h[21], 3);  // element count
  EXPECT_EQ(wire[1].size(), 24u);
  EXPECT_EQ(wire[2].size(), 8u);
}

TEST(CodecTest, SharesAlignedOwnedFramesAndCopiesMisalignedOnes) {
  auto buffer = std::make_shared<std::vector<uint64_t>>(4, 0);
  auto* bytes = reinterpret_cast<uint8_t*>(buffer->data());
  Message m(5, {Array::FromVector<int64_t>({10, 20})});
  std::vector<std::string> wire = Wire(m);
  std::memcpy(bytes, wire[1].data(), 16);
  Frame header{reinterpret_cast<const uint8_t*>(wire[0].data()), wire[0].size(), nullptr};
  core::Result<Message> out = Decode({header, Frame{bytes, 16, buffer}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->arrays[0].data(), bytes);  // no copy

  std::memmove(bytes + 1, bytes, 16);  // now misaligned for i64
  out = Decode({header, Frame{bytes + 1, 16, buffer}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_NE(out->arrays[0].data(), bytes + 1);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(out->arrays[0].data()) % 8, 0u);
  EXPECT_EQ(out->arrays[0].ToVector<int64_t>(), (std::vector<int64_t>{10, 20}));
}

TEST(CodecTest, RejectsMissingOrTruncatedHeader) {
  ExpectCorrupt({}, "message has no frames");
  std::vector<std::string> wire = Wire(Sample());
  wire[0].resize(10);
  ExpectCorrupt(wire, "header frame is 10 bytes, shorter than the 24-byte minimum");
  // Long enough for the fixed part but not for the two descriptors it announces.
  wire = Wire(Sample());
  wire[0].resize(30);
  ExpectCorrupt(wire, "too short for 2 array descriptors");
}

TEST(CodecTest, RejectsBadMagicAndVersion) {
  std::vector<std::string> wire = Wire(Sample());
  wire[0][0] = 'J';
  ExpectCorrupt(wire, "bad magic");
  wire = Wire(Sample());
  wire[0][4] = 2;
  ExpectCorrupt(wire, "unsupported wire version 2");
}

TEST(CodecTest, RejectsUnknownStatusAndDType) {
  std::vector<std::string> wire = Wire(Sample());
  wire[0][16] = 99;
  ExpectCorrupt(wire, "unknown status code 99");
  wire = Wire(Sample());
  wire[0][kFixedHeaderBytes + kArrayDescriptorBytes] = 9;  // second array's dtype
  ExpectCorrupt(wire, "array 1: unknown dtype code 9");
  wire[0][kFixedHeaderBytes + kArrayDescriptorBytes] = 0;
  ExpectCorrupt(wire, "array 1: unknown dtype code 0");
}

TEST(CodecTest, RejectsElementCountOverflowAndSizeMismatch) {
  std::vector<std::string> wire = Wire(Sample());
  Put64(&wire[0], kFixedHeaderBytes + 1, uint64_t{1} << 62);  // 2^62 i64 = 2^65 bytes
  ExpectCorrupt(wire, "array 0: 4611686018427387904 i64 elements overflow the byte size");
  Put64(&wire[0], kFixedHeaderBytes + 1, std::numeric_limits<uint64_t>::max());
  ExpectCorrupt(wire, "overflow the byte size");
  // 2^61 i64 is exactly 2^64 bytes: wraps to 0 in size_t, and must still be caught.
  wire = Wire(Message(1, {Array::FromVector<int64_t>({})}));
  Put64(&wire[0], kFixedHeaderBytes + 1, uint64_t{1} << 61);
  ExpectCorrupt(wire, "overflow the byte size");

  wire = Wire(Sample());
  wire[1].resize(20);
  ExpectCorrupt(wire, "array 0: 3 i64 elements need 24 bytes but the frame has 20");
}

TEST(CodecTest, RejectsFrameCountMismatch) {
  std::vector<std::string> wire = Wire(Sample());
  wire.pop_back();
  ExpectCorrupt(wire, "header declares 2 arrays but the message carries 1 array frames");
  wire = Wire(Sample());
  wire.push_back("extra");
  ExpectCorrupt(wire, "header declares 2 arrays but the message carries 3 array frames");
}

TEST(CodecTest, RejectsChecksumMismatch) {
  std::vector<std::string> wire = Wire(Sample());
  wire[2][0] ^= 1;  // one bit of array data
  ExpectCorrupt(wire, "checksum mismatch");
  wire = Wire(Sample());
  wire[0][7] ^= 1;  // one bit of the type field
  ExpectCorrupt(wire, "checksum mismatch");
}

TEST(CodecTest, RejectsBadErrorStringAndTrailingBytes) {
  Message m(8);
  m.status = core::Status::Internal("boom");
  std::vector<std::string> wire = Wire(m);
  wire[0][kFixedHeaderBytes] = 100;  // error length past the end
  ExpectCorrupt(wire, "error string of 100 bytes runs past the end of the header frame");

  wire = Wire(Sample());
  wire[0].insert(wire[0].size() - 4, "zz");
  Reseal(&wire);
  ExpectCorrupt(wire, "header frame has 2 trailing bytes");
}

TEST(CodecTest, EncodeRejectsTooManyArrays) {
  Message m(9, std::vector<Array>(kMaxArrays + 1));
  core::Result<std::vector<Frame>> frames = Encode(m);
  ASSERT_FALSE(frames.ok());
  EXPECT_EQ(frames.status().code(), core::StatusCode::kInvalidArgument);
}

TEST(CodecTest, PeekHeaderReadsIdsOfInvalidHeaders) {
  std::vector<std::string> wire = Wire(Sample());
  wire[0][4] = 9;  // wrong version: undecodable, but the id is still there
  HeaderPeek peek = PeekHeader(reinterpret_cast<const uint8_t*>(wire[0].data()), wire[0].size());
  EXPECT_EQ(peek.type, 42);
  EXPECT_EQ(peek.request_id, 0x0123456789ABCDEFull);
  peek = PeekHeader(reinterpret_cast<const uint8_t*>("garbage"), 7);
  EXPECT_EQ(peek.request_id, 0u);
}

TEST(MessageTest, ViewChecksIndexAndDType) {
  Message m = Sample();
  core::Result<ArrayView<int64_t>> ids = m.View<int64_t>(0);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ((*ids)[1], -2);
  core::Result<ArrayView<int64_t>> wrong = m.View<int64_t>(1);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(), "message type 42: array 1 is f32, expected i64");
  core::Result<ArrayView<float>> missing = m.View<float>(2);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "message type 42 has 2 arrays, no array 2");
  EXPECT_TRUE(m.ExpectArrays(2).ok());
  EXPECT_EQ(m.ExpectArrays(3).message(), "message type 42 has 2 arrays, expected 3");
  EXPECT_EQ(Array::FromString("abc").bytes(), "abc");
}

}  // namespace
}  // namespace halo::net
