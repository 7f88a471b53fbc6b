#include "sampler/seed_batches.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/sampler/test_graphs.h"

namespace halo::sampler {
namespace {

using testing::Iota;

TEST(SeedBatchesTest, ShuffleIsADeterministicPermutation) {
  const std::vector<NodeId> seeds = {5, 9, 2, 100, 7, 3, 8, 1, 0, 42};
  const std::vector<NodeId> a = ShuffleSeeds(seeds, 1, 0);
  std::vector<NodeId> sorted_a = a, sorted_seeds = seeds;
  std::sort(sorted_a.begin(), sorted_a.end());
  std::sort(sorted_seeds.begin(), sorted_seeds.end());
  EXPECT_EQ(sorted_a, sorted_seeds);
  EXPECT_EQ(a, ShuffleSeeds(seeds, 1, 0));
  EXPECT_NE(a, ShuffleSeeds(seeds, 1, 1));  // another epoch
  EXPECT_NE(a, ShuffleSeeds(seeds, 2, 0));  // another run seed
  EXPECT_TRUE(ShuffleSeeds({}, 1, 0).empty());
}

TEST(SeedBatchesTest, ShuffleIsUniform) {
  // Where element 0 of 8 lands over 16000 epochs: expected 2000 per position, deviation ~42.
  std::vector<int> where(8, 0);
  for (int64_t epoch = 0; epoch < 16000; ++epoch) {
    const std::vector<NodeId> s = ShuffleSeeds(Iota(8), 3, epoch);
    ++where[std::find(s.begin(), s.end(), 0) - s.begin()];
  }
  for (int c : where) EXPECT_NEAR(c, 2000, 300);
}

TEST(SeedBatchesTest, SplitsIntoBatches) {
  const std::vector<NodeId> seeds = Iota(10);
  auto r = SeedBatches(seeds, 3, 7, 2, /*drop_last=*/false);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ(NumSeedBatches(10, 3, false), 4);
  std::vector<NodeId> joined;
  for (size_t b = 0; b < r->size(); ++b) {
    EXPECT_EQ((*r)[b].size(), b < 3 ? 3u : 1u);
    joined.insert(joined.end(), (*r)[b].begin(), (*r)[b].end());
  }
  EXPECT_EQ(joined, ShuffleSeeds(seeds, 7, 2));

  auto dropped = SeedBatches(seeds, 3, 7, 2, /*drop_last=*/true);
  ASSERT_TRUE(dropped.ok());
  ASSERT_EQ(dropped->size(), 3u);
  EXPECT_EQ(NumSeedBatches(10, 3, true), 3);
  for (size_t b = 0; b < 3; ++b) EXPECT_EQ((*dropped)[b], (*r)[b]);

  auto exact = SeedBatches(seeds, 5, 7, 2, /*drop_last=*/true);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->size(), 2u);
  auto larger = SeedBatches(seeds, 64, 7, 2, /*drop_last=*/true);
  ASSERT_TRUE(larger.ok());
  EXPECT_TRUE(larger->empty());
  auto none = SeedBatches({}, 4, 7, 2, false);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(SeedBatchesTest, RejectsNonPositiveBatchSize) {
  EXPECT_EQ(SeedBatches(Iota(4), 0, 1, 0, false).status().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(SeedBatches(Iota(4), -3, 1, 0, false).status().code(),
            core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace halo::sampler
