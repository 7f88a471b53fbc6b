// Fuzz target of net::Decode, the first code to touch bytes from the network. Each input is split
// into frames (fuzz_input.h) and decoded. Decode must never crash or read out of bounds (the
// sanitizers watch), and whatever it accepts must re-encode to the very same bytes (the format
// has one encoding per message), with every array byte readable.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/check.h"
#include "net/codec.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace halo::net;  // NOLINT: a fuzz entry point, not library code
  fuzz::SplitInput in = fuzz::SplitFrames(data, size);
  halo::core::Result<Message> message = Decode(in.frames);
  if (!message.ok()) {
    HALO_CHECK(message.status().code() == halo::core::StatusCode::kCorruption);
    return 0;
  }
  uint8_t sum = 0;
  for (const Array& a : message->arrays) {
    const auto* bytes = static_cast<const uint8_t*>(a.data());
    for (size_t i = 0; i < a.num_bytes(); ++i) sum ^= bytes[i];
  }
  if (message->status.message().size() > kMaxErrorBytes) return sum & 0;  // cut on re-encode
  halo::core::Result<std::vector<Frame>> again = Encode(*message);
  HALO_CHECK(again.ok()) << again.status().ToString();
  HALO_CHECK(again->size() == in.frames.size());
  for (size_t i = 0; i < in.frames.size(); ++i) {
    HALO_CHECK((*again)[i].size == in.frames[i].size) << "frame " << i;
    HALO_CHECK(in.frames[i].size == 0 ||
               std::memcmp((*again)[i].data, in.frames[i].data, in.frames[i].size) == 0)
        << "frame " << i << " re-encodes differently";
  }
  return sum & 0;
}
