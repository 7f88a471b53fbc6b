// How the message fuzzer turns one byte string into the frames of a multipart message, and back
// (to write seeds). Byte 0: bits 0-2 give the frame count minus one, bit 7 says whether the frames
// have an owner (Decode may then share them rather than copy). Then every frame but the last is a
// 2-byte little-endian length and that many bytes (clipped to what is left); the last frame is
// whatever remains.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/codec.h"

namespace halo::net::fuzz {

// The frames of one input and the heap copies they point into.
struct SplitInput {
  std::vector<Frame> frames;
  std::vector<std::shared_ptr<std::vector<uint8_t>>> storage;
};

// Each frame gets its own exactly-sized heap copy, so AddressSanitizer sees any byte read past it.
inline SplitInput SplitFrames(const uint8_t* data, size_t size) {
  SplitInput in;
  if (size == 0) return in;
  const size_t count = 1 + (data[0] & 7);
  const bool owned = (data[0] & 0x80) != 0;
  size_t pos = 1;
  for (size_t i = 0; i < count; ++i) {
    size_t len = size - pos;
    if (i + 1 < count) {
      len = 0;
      if (pos + 2 <= size) {
        len = data[pos] | (static_cast<size_t>(data[pos + 1]) << 8);
        pos += 2;
      } else {
        pos = size;
      }
      if (len > size - pos) len = size - pos;
    }
    auto copy = std::make_shared<std::vector<uint8_t>>(data + pos, data + pos + len);
    pos += len;
    in.frames.push_back(Frame{copy->data(), copy->size(), owned ? copy : nullptr});
    in.storage.push_back(std::move(copy));
  }
  return in;
}

// The input bytes that SplitFrames turns back into `frames` (frames of up to 65535 bytes but the
// last, and at most 8 frames).
inline std::string JoinFrames(const std::vector<Frame>& frames, bool owned) {
  std::string out(1, static_cast<char>((frames.size() - 1) | (owned ? 0x80 : 0)));
  for (size_t i = 0; i < frames.size(); ++i) {
    if (i + 1 < frames.size()) {
      out.push_back(static_cast<char>(frames[i].size & 0xFF));
      out.push_back(static_cast<char>(frames[i].size >> 8));
    }
    out.append(reinterpret_cast<const char*>(frames[i].data), frames[i].size);
  }
  return out;
}

}  // namespace halo::net::fuzz
