#include "core/random.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace halo::core {
namespace {

TEST(RandomTest, SplitMix64KnownAnswer) {
  // The first output of the reference splitmix64 generator seeded with 0.
  EXPECT_EQ(SplitMix64(0), 0xE220A8397B1DCDAFULL);
  Rng rng(0);
  EXPECT_EQ(rng.Next(), 0xE220A8397B1DCDAFULL);
}

TEST(RandomTest, DeriveSeedSeparatesKeysAndSeeds) {
  std::set<uint64_t> seen;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    for (uint64_t key = 0; key < 50; ++key) seen.insert(DeriveSeed(seed, key));
  }
  EXPECT_EQ(seen.size(), 2500u);
  EXPECT_NE(DeriveSeed(1, 2), DeriveSeed(2, 1));
}

TEST(RandomTest, UniformStaysInRangeAndCoversIt) {
  Rng rng(42);
  EXPECT_EQ(rng.Uniform(1), 0u);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) {
    const uint64_t x = rng.Uniform(7);
    ASSERT_LT(x, 7u);
    ++counts[x];
  }
  // Expected 10000 each, standard deviation ~93.
  for (int c : counts) EXPECT_NEAR(c, 10000, 600);
  // A range that is not a power of two and near 2^64 exercises the rejection step.
  const uint64_t big = (uint64_t{1} << 63) + 12345;
  for (int i = 0; i < 1000; ++i) EXPECT_LT(rng.Uniform(big), big);
}

TEST(RandomTest, UniformDoubleInUnitInterval) {
  Rng rng(7);
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    const double x = rng.UniformDouble();
    ASSERT_GE(x, 0.0);
    ASSERT_LT(x, 1.0);
    sum += x;
  }
  EXPECT_NEAR(sum / 10000, 0.5, 0.02);
}

}  // namespace
}  // namespace halo::core
