#include "net/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace halo::net {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli polynomial

struct Tables {
  // byte[b]: the register after feeding byte b into a zero register (the classic table).
  std::array<uint32_t, 256> byte;
  // shift[i]: the register after feeding kLaneBytes zero bytes into a register equal to 1 << i.
  // Appending zeros is linear over GF(2), so these 32 columns shift any register (see Shift).
  std::array<uint32_t, 32> shift;
};

// Each interleaved stream covers this many bytes per round. Large enough that the two Shift calls
// per round (64 table steps) are noise next to 3 x 8 KB of crc32 instructions.
constexpr size_t kLaneBytes = 8192;

uint32_t TableUpdate(const std::array<uint32_t, 256>& table, uint32_t reg, const uint8_t* p,
                     size_t n) {
  for (size_t i = 0; i < n; ++i) reg = table[(reg ^ p[i]) & 0xFF] ^ (reg >> 8);
  return reg;
}

Tables MakeTables() {
  Tables t;
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t r = b;
    for (int k = 0; k < 8; ++k) r = (r & 1) ? (r >> 1) ^ kPoly : r >> 1;
    t.byte[b] = r;
  }
  static const uint8_t kZeros[kLaneBytes] = {};
  for (int i = 0; i < 32; ++i) t.shift[i] = TableUpdate(t.byte, 1u << i, kZeros, kLaneBytes);
  return t;
}

const Tables& GetTables() {
  static const Tables tables = MakeTables();
  return tables;
}

// The register after kLaneBytes zero bytes are fed into `reg`.
uint32_t Shift(const Tables& t, uint32_t reg) {
  uint32_t out = 0;
  for (int i = 0; reg != 0; ++i, reg >>= 1) {
    if (reg & 1) out ^= t.shift[i];
  }
  return out;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint64_t HwLane(uint64_t reg, const uint8_t* p, size_t n) {
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    reg = _mm_crc32_u64(reg, v);
  }
  return reg;
}

__attribute__((target("sse4.2"))) uint32_t HwUpdate(uint32_t reg, const uint8_t* p, size_t n) {
  const Tables& t = GetTables();
  // Three independent streams hide the instruction's 3-cycle latency; their registers are joined
  // by shifting the earlier ones past the later streams' bytes (register linearity).
  while (n >= 3 * kLaneBytes) {
    uint64_t a = reg, b = 0, c = 0;
    const uint8_t* pa = p;
    const uint8_t* pb = p + kLaneBytes;
    const uint8_t* pc = p + 2 * kLaneBytes;
    for (size_t i = 0; i < kLaneBytes; i += 8) {
      uint64_t va, vb, vc;
      std::memcpy(&va, pa + i, 8);
      std::memcpy(&vb, pb + i, 8);
      std::memcpy(&vc, pc + i, 8);
      a = _mm_crc32_u64(a, va);
      b = _mm_crc32_u64(b, vb);
      c = _mm_crc32_u64(c, vc);
    }
    reg = Shift(t, Shift(t, static_cast<uint32_t>(a)) ^ static_cast<uint32_t>(b)) ^
          static_cast<uint32_t>(c);
    p += 3 * kLaneBytes;
    n -= 3 * kLaneBytes;
  }
  size_t words = n & ~static_cast<size_t>(7);
  reg = static_cast<uint32_t>(HwLane(reg, p, words));
  for (size_t i = words; i < n; ++i) reg = _mm_crc32_u8(reg, p[i]);
  return reg;
}

bool HaveSse42() {
  static const bool have = __builtin_cpu_supports("sse4.2");
  return have;
}
#endif

}  // namespace

uint32_t Crc32c(uint32_t crc, const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t reg = ~crc;
#if defined(__x86_64__)
  if (HaveSse42()) return ~HwUpdate(reg, p, size);
#endif
  return ~TableUpdate(GetTables().byte, reg, p, size);
}

uint32_t Crc32cPortable(uint32_t crc, const void* data, size_t size) {
  return ~TableUpdate(GetTables().byte, ~crc, static_cast<const uint8_t*>(data), size);
}

}  // namespace halo::net
