#include "sampler/block.h"

#include <gtest/gtest.h>

namespace halo::sampler {
namespace {

// dst {0, 1} among src {0, 1, 2}: 0 <- {1, 2}, 1 <- {0}.
Block SmallBlock() {
  Block b;
  b.num_dst = 2;
  b.num_src = 3;
  b.csr.indptr = {0, 2, 3};
  b.csr.indices = {1, 2, 0};
  b.edge_ids = {5, 6, 9};
  return b;
}

TEST(BlockTest, ValidateAcceptsWellFormedBlocks) {
  EXPECT_TRUE(SmallBlock().Validate().ok());
  Block no_edge_ids = SmallBlock();
  no_edge_ids.edge_ids.clear();
  EXPECT_TRUE(no_edge_ids.Validate().ok());
  EXPECT_TRUE(Block().Validate().ok());  // empty
}

TEST(BlockTest, ValidateCatchesEachViolation) {
  Block b = SmallBlock();
  b.num_src = 1;  // fewer src than dst
  EXPECT_EQ(b.Validate().code(), core::StatusCode::kInternal);
  b = SmallBlock();
  b.num_dst = 3;  // csr has 2 rows
  EXPECT_EQ(b.Validate().code(), core::StatusCode::kInternal);
  b = SmallBlock();
  b.csr.indices[1] = 3;  // outside [0, num_src)
  core::Status st = b.Validate("layer 1");
  EXPECT_EQ(st.code(), core::StatusCode::kInternal);
  EXPECT_NE(st.message().find("layer 1"), std::string::npos) << st.message();
  b = SmallBlock();
  b.edge_ids.pop_back();
  EXPECT_EQ(b.Validate().code(), core::StatusCode::kInternal);
}

TEST(BlockTest, MiniBatchValidateChecksChainingAndNodeLists) {
  // blocks[0]: dst {0,1,2} of src {0..3}; blocks[1]: dst {0,1} of src {0,1,2}.
  MiniBatch mb;
  Block first;
  first.num_dst = 3;
  first.num_src = 4;
  first.csr.indptr = {0, 1, 1, 2};
  first.csr.indices = {3, 0};
  mb.blocks = {first, SmallBlock()};
  mb.input_nodes = {10, 11, 12, 13};
  mb.seeds = {10, 11};
  EXPECT_TRUE(mb.Validate().ok()) << mb.Validate().ToString();

  MiniBatch bad = mb;
  bad.seeds = {11, 10};  // not the prefix of input_nodes
  EXPECT_FALSE(bad.Validate().ok());
  bad = mb;
  bad.input_nodes.pop_back();
  EXPECT_FALSE(bad.Validate().ok());
  bad = mb;
  bad.seeds.push_back(12);
  EXPECT_FALSE(bad.Validate().ok());
  bad = mb;
  std::swap(bad.blocks[0], bad.blocks[1]);  // chain broken
  EXPECT_FALSE(bad.Validate().ok());
}

}  // namespace
}  // namespace halo::sampler
