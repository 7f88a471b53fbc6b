#include "sampler/full_graph.h"

#include <gtest/gtest.h>

#include "tests/sampler/test_graphs.h"

namespace halo::sampler {
namespace {

TEST(FullGraphTest, BlockIsTheWholeGraph) {
  core::Csr csr = testing::RandomGraph(300, 0, 10, 31);
  csr.weights.resize(csr.indices.size());
  for (size_t e = 0; e < csr.weights.size(); ++e) csr.weights[e] = 0.5f * static_cast<float>(e);
  const Block block = FullGraphBlock(csr);
  EXPECT_EQ(block.num_dst, 300);
  EXPECT_EQ(block.num_src, 300);
  EXPECT_EQ(block.csr.indptr, csr.indptr);
  EXPECT_EQ(block.csr.indices, csr.indices);
  EXPECT_EQ(block.csr.weights, csr.weights);
  EXPECT_EQ(block.edge_ids, testing::Iota(csr.num_entries()));
  EXPECT_TRUE(block.Validate().ok());
}

TEST(FullGraphTest, EmptyGraph) {
  const Block block = FullGraphBlock(core::Csr());
  EXPECT_EQ(block.num_dst, 0);
  EXPECT_EQ(block.num_src, 0);
  EXPECT_TRUE(block.Validate().ok());
}

TEST(FullGraphDeathTest, RejectsNonSquareCsr) {
  core::Csr csr;
  csr.indptr = {0, 1};
  csr.indices = {1};  // column 1 of a 1-row graph
  EXPECT_DEATH(FullGraphBlock(csr), "check failed");
}

}  // namespace
}  // namespace halo::sampler
