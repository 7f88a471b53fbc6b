// Sampling on the bundled Cora, read and prepared as the partitioner does.
#include <gtest/gtest.h>

#include "core/random.h"
#include "partition/prepare.h"
#include "partition/readers/reader.h"
#include "sampler/local_neighbor_source.h"
#include "sampler/neighbor_sampler.h"
#include "sampler/seed_batches.h"
#include "tests/sampler/sampler_checks.h"
#include "tests/test_util.h"

namespace halo::sampler {

using core::DeriveSeed;
using core::Rng;
namespace {

class CoraSamplingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto graph =
        partition::ReadGraph(halo::testing::DataPath("cora/planetoid_txt"), "planetoid-txt");
    ASSERT_TRUE(graph.ok()) << graph.status().ToString();
    train_ = new std::vector<NodeId>();
    for (size_t v = 0; v < graph->train_mask.size(); ++v) {
      if (graph->train_mask[v]) train_->push_back(static_cast<NodeId>(v));
    }
    auto csr = partition::PrepareGraph(&graph.value(), partition::PrepareOptions());
    ASSERT_TRUE(csr.ok()) << csr.status().ToString();
    csr_ = new core::Csr(std::move(csr).value());
  }
  static void TearDownTestSuite() {
    delete csr_;
    delete train_;
  }
  static core::Csr* csr_;
  static std::vector<NodeId>* train_;
};

core::Csr* CoraSamplingTest::csr_ = nullptr;
std::vector<NodeId>* CoraSamplingTest::train_ = nullptr;

TEST_F(CoraSamplingTest, EpochOfTwoLayerBatches) {
  ASSERT_EQ(csr_->num_rows(), 2708);
  ASSERT_EQ(train_->size(), 140u);
  LocalNeighborSource source(csr_);
  NeighborSampler sampler(&source, {10, 5}, false);
  auto batches = SeedBatches(*train_, 32, 1, 0, false);
  ASSERT_TRUE(batches.ok());
  ASSERT_EQ(batches->size(), 5u);
  for (size_t b = 0; b < batches->size(); ++b) {
    auto mb = sampler.Sample((*batches)[b], DeriveSeed(1, b));
    ASSERT_TRUE(mb.ok()) << mb.status().ToString();
    testing::ExpectValidMiniBatch(*csr_, (*batches)[b], {10, 5}, false, *mb);
  }
}

TEST_F(CoraSamplingTest, AllNeighborsIsTheTwoHopNeighborhood) {
  LocalNeighborSource source(csr_);
  NeighborSampler sampler(&source, {-1, -1}, false);
  auto mb = sampler.Sample(*train_, 0);
  ASSERT_TRUE(mb.ok()) << mb.status().ToString();
  testing::ExpectValidMiniBatch(*csr_, *train_, {-1, -1}, false, *mb);
  // input_nodes must be exactly the nodes within two in-hops of the training nodes.
  std::set<NodeId> reach(train_->begin(), train_->end());
  for (int hop = 0; hop < 2; ++hop) {
    const std::set<NodeId> frontier = reach;
    for (NodeId v : frontier) {
      for (int64_t e = csr_->indptr[v]; e < csr_->indptr[v + 1]; ++e)
        reach.insert(csr_->indices[e]);
    }
  }
  EXPECT_EQ(std::set<NodeId>(mb->input_nodes.begin(), mb->input_nodes.end()), reach);
}

}  // namespace
}  // namespace halo::sampler
