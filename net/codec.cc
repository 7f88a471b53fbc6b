#include "net/codec.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "net/crc32c.h"

namespace halo::net {
namespace {

constexpr char kMagic[4] = {'H', 'A', 'L', 'O'};

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void Put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void Put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t Get32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint64_t Get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08" PRIx32, v);
  return buf;
}

core::Status Bad(const std::string& what) { return core::Status::Corruption(what); }

// Copies `size` bytes into fresh memory aligned for every dtype.
Array CopyArray(DType dtype, uint64_t count, const uint8_t* data, size_t size) {
  auto words = std::make_shared<std::vector<uint64_t>>((size + 7) / 8);
  if (size > 0) std::memcpy(words->data(), data, size);
  const void* p = words->data();
  return Array::Adopt(dtype, count, p, std::move(words));
}

}  // namespace

core::Result<std::vector<Frame>> Encode(const Message& message) {
  const size_t n = message.arrays.size();
  if (n > kMaxArrays) {
    return core::Status::InvalidArgument("message type " + std::to_string(message.type) + " has " +
                                         std::to_string(n) + " arrays; at most " +
                                         std::to_string(kMaxArrays) + " fit a message");
  }
  const bool failed = !message.status.ok();
  const std::string& error = message.status.message();
  const size_t error_bytes = failed ? std::min(error.size(), kMaxErrorBytes) : 0;
  const size_t size = kFixedHeaderBytes + n * kArrayDescriptorBytes +
                      (failed ? 4 + error_bytes : 0) + kChecksumBytes;

  auto header = std::make_shared<std::string>(size, '\0');
  auto* p = reinterpret_cast<uint8_t*>(header->data());
  std::memcpy(p, kMagic, 4);
  Put16(p + 4, kWireVersion);
  Put16(p + 6, message.type);
  Put64(p + 8, message.request_id);
  Put16(p + 16, static_cast<uint16_t>(message.status.code()));
  Put16(p + 18, static_cast<uint16_t>(n));
  uint8_t* q = p + kFixedHeaderBytes;
  for (const Array& a : message.arrays) {
    q[0] = static_cast<uint8_t>(a.dtype());
    Put64(q + 1, a.count());
    q += kArrayDescriptorBytes;
  }
  if (failed) {
    Put32(q, static_cast<uint32_t>(error_bytes));
    std::memcpy(q + 4, error.data(), error_bytes);
    q += 4 + error_bytes;
  }
  uint32_t crc = Crc32c(0, p, size - kChecksumBytes);
  for (const Array& a : message.arrays) crc = Crc32c(crc, a.data(), a.num_bytes());
  Put32(q, crc);

  std::vector<Frame> frames;
  frames.reserve(1 + n);
  frames.push_back(Frame{p, size, header});
  for (const Array& a : message.arrays) {
    frames.push_back(Frame{static_cast<const uint8_t*>(a.data()), a.num_bytes(), a.owner()});
  }
  return frames;
}

core::Result<Message> Decode(const std::vector<Frame>& frames) {
  if (frames.empty()) return Bad("message has no frames");
  const uint8_t* h = frames[0].data;
  const size_t size = frames[0].size;
  if (size < kMinHeaderBytes) {
    return Bad("header frame is " + std::to_string(size) + " bytes, shorter than the " +
               std::to_string(kMinHeaderBytes) + "-byte minimum");
  }
  if (std::memcmp(h, kMagic, 4) != 0) {
    return Bad("bad magic " + Hex32(Get32(h)) + " (expected \"HALO\")");
  }
  const uint16_t version = Get16(h + 4);
  if (version != kWireVersion) {
    return Bad("unsupported wire version " + std::to_string(version) + " (this build speaks " +
               std::to_string(kWireVersion) + ")");
  }
  Message m;
  m.type = Get16(h + 6);
  m.request_id = Get64(h + 8);
  const uint16_t status = Get16(h + 16);
  if (status > static_cast<uint16_t>(core::StatusCode::kInternal)) {
    return Bad("unknown status code " + std::to_string(status));
  }
  const size_t n = Get16(h + 18);
  // Checked before reading descriptors: the header must hold n descriptors and the checksum.
  size_t needed = kFixedHeaderBytes + n * kArrayDescriptorBytes + kChecksumBytes;
  if (size < needed) {
    return Bad("header frame is " + std::to_string(size) + " bytes, too short for " +
               std::to_string(n) + " array descriptors (needs " + std::to_string(needed) + ")");
  }
  if (frames.size() - 1 != n) {
    return Bad("header declares " + std::to_string(n) + " arrays but the message carries " +
               std::to_string(frames.size() - 1) + " array frames");
  }
  const uint8_t* q = h + kFixedHeaderBytes;
  for (size_t i = 0; i < n; ++i, q += kArrayDescriptorBytes) {
    const std::string where = "array " + std::to_string(i) + ": ";
    if (!IsValidDType(q[0])) return Bad(where + "unknown dtype code " + std::to_string(q[0]));
    const DType dtype = static_cast<DType>(q[0]);
    const uint64_t count = Get64(q + 1);
    const size_t elem = DTypeSize(dtype);
    if (count > std::numeric_limits<size_t>::max() / elem) {
      return Bad(where + std::to_string(count) + " " + DTypeName(dtype) +
                 " elements overflow the byte size");
    }
    const size_t bytes = static_cast<size_t>(count) * elem;
    if (frames[i + 1].size != bytes) {
      return Bad(where + std::to_string(count) + " " + DTypeName(dtype) + " elements need " +
                 std::to_string(bytes) + " bytes but the frame has " +
                 std::to_string(frames[i + 1].size));
    }
  }
  if (status != 0) {
    if (size < needed + 4) {
      return Bad("header frame is " + std::to_string(size) +
                 " bytes, too short for the error length of a failed status");
    }
    const uint32_t error_bytes = Get32(q);
    if (error_bytes > size - needed - 4) {
      return Bad("error string of " + std::to_string(error_bytes) +
                 " bytes runs past the end of the header frame");
    }
    m.status = core::Status(static_cast<core::StatusCode>(status),
                            std::string(reinterpret_cast<const char*>(q + 4), error_bytes));
    needed += 4 + error_bytes;
  }
  if (size != needed) {
    return Bad("header frame has " + std::to_string(size - needed) + " trailing bytes");
  }
  uint32_t crc = Crc32c(0, h, size - kChecksumBytes);
  for (size_t i = 1; i <= n; ++i) crc = Crc32c(crc, frames[i].data, frames[i].size);
  const uint32_t expected = Get32(h + size - kChecksumBytes);
  if (crc != expected) {
    return Bad("checksum mismatch: header says " + Hex32(expected) + ", content hashes to " +
               Hex32(crc));
  }
  m.arrays.reserve(n);
  q = h + kFixedHeaderBytes;
  for (size_t i = 0; i < n; ++i, q += kArrayDescriptorBytes) {
    const DType dtype = static_cast<DType>(q[0]);
    const uint64_t count = Get64(q + 1);
    const Frame& f = frames[i + 1];
    // Small received frames may sit at any offset inside ZeroMQ's receive buffer.
    const bool aligned = reinterpret_cast<uintptr_t>(f.data) % DTypeSize(dtype) == 0;
    if (f.owner != nullptr && aligned) {
      m.arrays.push_back(Array::Adopt(dtype, count, f.data, f.owner));
    } else {
      m.arrays.push_back(CopyArray(dtype, count, f.data, f.size));
    }
  }
  return m;
}

HeaderPeek PeekHeader(const uint8_t* data, size_t size) {
  HeaderPeek peek;
  if (size < kFixedHeaderBytes || std::memcmp(data, kMagic, 4) != 0) return peek;
  peek.type = Get16(data + 6);
  peek.request_id = Get64(data + 8);
  return peek;
}

}  // namespace halo::net
