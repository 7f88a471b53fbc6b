// The wire format of a Message (docs/net-protocol.md has the byte table): one multipart message of
// 1 + n frames. Frame 0 is a little-endian header: magic "HALO", version, type, request id,
// status, array count, per array (dtype u8, element count u64), the error string when the status
// is not OK, and a CRC32C over the header and every array byte. Frames 1..n are the arrays' raw
// bytes (little-endian elements, as in memory on x86-64 and ARM).
//
// Decode trusts nothing: every size, code and count is checked before use, multiplications are
// overflow-checked, and a bad input returns Corruption naming the first problem; it never reads
// outside the frames. Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/status.h"
#include "net/message.h"

namespace halo::net {

constexpr uint16_t kWireVersion = 1;
// magic 4 + version 2 + type 2 + request id 8 + status 2 + array count 2.
constexpr size_t kFixedHeaderBytes = 20;
constexpr size_t kArrayDescriptorBytes = 9;  // dtype 1 + element count 8
constexpr size_t kChecksumBytes = 4;
constexpr size_t kMinHeaderBytes = kFixedHeaderBytes + kChecksumBytes;
constexpr size_t kMaxArrays = 65535;
// Longer error messages are cut to this many bytes on encode (decode accepts any length that fits).
constexpr size_t kMaxErrorBytes = 64 * 1024;

// The bytes of one wire frame and what keeps them alive. A null owner means the bytes are only
// borrowed for the call (Decode then copies the arrays out).
struct Frame {
  const uint8_t* data = nullptr;
  size_t size = 0;
  std::shared_ptr<const void> owner;
};

// The frames of `message`: frame 0 the header (owned by its Frame), frames 1..n the arrays'
// buffers (shared, not copied). InvalidArgument when there are more than kMaxArrays arrays.
core::Result<std::vector<Frame>> Encode(const Message& message);

// Decodes and validates `frames`. Arrays share a frame's buffer when it has an owner and is
// aligned to the element size; otherwise they are copied into aligned memory.
core::Result<Message> Decode(const std::vector<Frame>& frames);

// Best effort on a header that may be invalid: its type and request id when the frame is long
// enough and starts with the magic, else zeros. Lets a server address an error reply.
struct HeaderPeek {
  uint16_t type = 0;
  uint64_t request_id = 0;
};
HeaderPeek PeekHeader(const uint8_t* data, size_t size);

}  // namespace halo::net
