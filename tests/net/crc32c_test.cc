#include "net/crc32c.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace halo::net {
namespace {

TEST(Crc32cTest, KnownValues) {
  EXPECT_EQ(Crc32c(0, "123456789", 9), 0xE3069283u);
  EXPECT_EQ(Crc32c(0, "", 0), 0u);
  // RFC 3720 (iSCSI) B.4 test vectors.
  std::vector<uint8_t> zeros(32, 0), ones(32, 0xFF), up(32), down(32);
  for (int i = 0; i < 32; ++i) {
    up[i] = static_cast<uint8_t>(i);
    down[i] = static_cast<uint8_t>(31 - i);
  }
  EXPECT_EQ(Crc32c(0, zeros.data(), 32), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(0, ones.data(), 32), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(0, up.data(), 32), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(0, down.data(), 32), 0x113FDB5Cu);
}

// Sizes around the 3 x 8 KB interleaving boundary and odd tails exercise every path.
TEST(Crc32cTest, FastPathMatchesTableAndIsIncremental) {
  std::mt19937_64 rng(7);
  std::vector<uint8_t> buf(200000);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  for (size_t size : {0, 1, 7, 8, 9, 63, 4096, 24575, 24576, 24577, 49152 + 13, 200000}) {
    SCOPED_TRACE(size);
    const uint32_t whole = Crc32c(0, buf.data(), size);
    EXPECT_EQ(whole, Crc32cPortable(0, buf.data(), size));
    for (size_t cut : {size_t{0}, size / 3, size}) {
      EXPECT_EQ(Crc32c(Crc32c(0, buf.data(), cut), buf.data() + cut, size - cut), whole);
    }
  }
  // Unaligned start.
  EXPECT_EQ(Crc32c(0, buf.data() + 3, 100001), Crc32cPortable(0, buf.data() + 3, 100001));
}

}  // namespace
}  // namespace halo::net
