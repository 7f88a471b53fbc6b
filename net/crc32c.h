// CRC32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum of the wire format
// (docs/net-protocol.md). Uses the SSE4.2 crc32 instruction, three streams interleaved, when the
// CPU has it, and a table otherwise; both give the same value. Thread-safe (pure functions).
#pragma once

#include <cstddef>
#include <cstdint>

namespace halo::net {

// The CRC32C of `size` bytes at `data`, continuing from `crc` (the value returned for the bytes
// before them; 0 to start). Crc32c(Crc32c(0, a), b) == Crc32c(0, a || b).
// Check value: Crc32c(0, "123456789", 9) == 0xE3069283.
uint32_t Crc32c(uint32_t crc, const void* data, size_t size);

// The same value computed with the table only (what CPUs without SSE4.2 run); for tests.
uint32_t Crc32cPortable(uint32_t crc, const void* data, size_t size);

}  // namespace halo::net
