#include "sampler/neighbor_sampler.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <random>

#include "sampler/local_neighbor_source.h"
#include "tests/sampler/sampler_checks.h"
#include "tests/sampler/test_graphs.h"

namespace halo::sampler {
namespace {

using testing::ExpectValidMiniBatch;
using testing::Iota;
using testing::RandomGraph;
using testing::SameMiniBatch;

core::Result<MiniBatch> SampleOn(const core::Csr& csr, std::vector<int64_t> fanouts, bool replace,
                                 const std::vector<NodeId>& seeds, uint64_t seed) {
  LocalNeighborSource source(&csr);
  NeighborSampler sampler(&source, std::move(fanouts), replace);
  return sampler.Sample(seeds, seed);
}

std::vector<NodeId> RandomSeeds(int64_t num_nodes, int64_t count, uint64_t seed) {
  std::vector<NodeId> ids = Iota(num_nodes);
  std::shuffle(ids.begin(), ids.end(), std::mt19937_64(seed));
  ids.resize(static_cast<size_t>(count));
  return ids;
}

TEST(NeighborSamplerTest, HandComputedBlocks) {
  // In-neighbors: 0 <- {1, 2}, 1 <- {0, 3}, 2 <- {3}, 3 <- {}, 4 <- {0}.
  const core::Csr csr = core::BuildCsr(5, {0, 0, 1, 1, 2, 4}, {1, 2, 0, 3, 3, 0}, {}, false);
  auto r = SampleOn(csr, {-1, -1}, false, {4, 1}, 0);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const MiniBatch& mb = *r;
  // Hop 1: 4 <- 0, 1 <- {0, 3}: src [4 1 0 3]. Hop 2 adds 2 (from 0 <- {1, 2}).
  EXPECT_EQ(mb.input_nodes, (std::vector<NodeId>{4, 1, 0, 3, 2}));
  EXPECT_EQ(mb.seeds, (std::vector<NodeId>{4, 1}));
  ASSERT_EQ(mb.blocks.size(), 2u);
  EXPECT_EQ(mb.blocks[1].num_dst, 2);
  EXPECT_EQ(mb.blocks[1].num_src, 4);
  EXPECT_EQ(mb.blocks[1].csr.indptr, (std::vector<int64_t>{0, 1, 3}));
  EXPECT_EQ(mb.blocks[1].csr.indices, (std::vector<NodeId>{2, 2, 3}));
  EXPECT_EQ(mb.blocks[1].edge_ids, (std::vector<int64_t>{5, 2, 3}));
  EXPECT_EQ(mb.blocks[0].num_dst, 4);
  EXPECT_EQ(mb.blocks[0].num_src, 5);
  EXPECT_EQ(mb.blocks[0].csr.indptr, (std::vector<int64_t>{0, 1, 3, 5, 5}));
  EXPECT_EQ(mb.blocks[0].csr.indices, (std::vector<NodeId>{2, 2, 3, 1, 4}));
  ExpectValidMiniBatch(csr, {4, 1}, {-1, -1}, false, mb);
}

TEST(NeighborSamplerTest, RandomGraphInvariantsWithoutReplacement) {
  const core::Csr csr = RandomGraph(3000, 0, 30, 21);
  const std::vector<NodeId> seeds = RandomSeeds(3000, 200, 1);
  const std::vector<int64_t> fanouts = {10, 5, 3};
  auto r = SampleOn(csr, fanouts, false, seeds, 5);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectValidMiniBatch(csr, seeds, fanouts, false, *r);
  // fanouts[0] builds the last block: its rows have up to 10 edges, blocks[0]'s up to 3.
  const Block& last = r->blocks.back();
  int64_t max_last = 0, max_first = 0;
  for (int64_t i = 0; i < last.num_dst; ++i) {
    max_last = std::max(max_last, last.csr.indptr[i + 1] - last.csr.indptr[i]);
  }
  const Block& first = r->blocks.front();
  for (int64_t i = 0; i < first.num_dst; ++i) {
    max_first = std::max(max_first, first.csr.indptr[i + 1] - first.csr.indptr[i]);
  }
  EXPECT_EQ(max_last, 10);
  EXPECT_EQ(max_first, 3);
}

TEST(NeighborSamplerTest, RandomGraphInvariantsWithReplacement) {
  const core::Csr csr = RandomGraph(2000, 0, 8, 22);
  const std::vector<NodeId> seeds = RandomSeeds(2000, 300, 2);
  auto r = SampleOn(csr, {6, 4}, true, seeds, 6);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectValidMiniBatch(csr, seeds, {6, 4}, true, *r);
}

TEST(NeighborSamplerTest, MixedFanoutsIncludingAllAndZero) {
  const core::Csr csr = RandomGraph(1000, 0, 12, 23);
  const std::vector<NodeId> seeds = RandomSeeds(1000, 50, 3);
  for (const std::vector<int64_t>& fanouts :
       std::vector<std::vector<int64_t>>{{-1, 4}, {4, -1}, {0, 3}, {3, 0}, {-1}}) {
    auto r = SampleOn(csr, fanouts, false, seeds, 8);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ExpectValidMiniBatch(csr, seeds, fanouts, false, *r);
  }
}

TEST(NeighborSamplerTest, AllNeighborsOfAllNodesIsTheCsr) {
  const core::Csr csr = RandomGraph(500, 0, 20, 24);
  auto r = SampleOn(csr, {-1}, false, Iota(500), 0);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Block& block = r->blocks[0];
  EXPECT_EQ(r->input_nodes, Iota(500));  // every source is already a seed
  EXPECT_EQ(block.num_dst, 500);
  EXPECT_EQ(block.num_src, 500);
  EXPECT_EQ(block.csr.indptr, csr.indptr);
  EXPECT_EQ(block.csr.indices, csr.indices);
  EXPECT_EQ(block.edge_ids, Iota(csr.num_entries()));
}

TEST(NeighborSamplerTest, SameSeedSameBatchDifferentSeedDifferentBatch) {
  const core::Csr csr = RandomGraph(3000, 50, 100, 25);
  const std::vector<NodeId> seeds = RandomSeeds(3000, 64, 4);
  for (bool replace : {false, true}) {
    auto a = SampleOn(csr, {5, 5}, replace, seeds, 1000);
    auto b = SampleOn(csr, {5, 5}, replace, seeds, 1000);
    auto c = SampleOn(csr, {5, 5}, replace, seeds, 1001);
    ASSERT_TRUE(a.ok() && b.ok() && c.ok());
    EXPECT_TRUE(SameMiniBatch(*a, *b));
    EXPECT_FALSE(SameMiniBatch(*a, *c));
  }
}

TEST(NeighborSamplerTest, LayersUseDifferentStreams) {
  // With the same stream per layer, a seed's second-hop sample would repeat its first-hop one.
  const core::Csr csr = RandomGraph(2000, 100, 100, 26);
  auto r = SampleOn(csr, {3, 3}, false, {0}, 9);
  ASSERT_TRUE(r.ok());
  const Block& hop1 = r->blocks[1];
  const Block& hop2 = r->blocks[0];
  std::vector<NodeId> first(hop1.csr.indices.begin(), hop1.csr.indices.end());
  std::vector<NodeId> second(hop2.csr.indices.begin(), hop2.csr.indices.begin() + 3);
  EXPECT_NE(first, second);
}

TEST(NeighborSamplerTest, IndependentOfThreadCount) {
  const core::Csr csr = RandomGraph(6000, 0, 60, 27);
  const std::vector<NodeId> seeds = RandomSeeds(6000, 1024, 5);
  const int saved = omp_get_max_threads();
  for (bool replace : {false, true}) {
    omp_set_num_threads(1);
    auto one = SampleOn(csr, {15, 10}, replace, seeds, 314);
    omp_set_num_threads(2);
    auto two = SampleOn(csr, {15, 10}, replace, seeds, 314);
    omp_set_num_threads(4);
    auto four = SampleOn(csr, {15, 10}, replace, seeds, 314);
    ASSERT_TRUE(one.ok() && two.ok() && four.ok());
    EXPECT_TRUE(SameMiniBatch(*one, *two)) << "replace " << replace;
    EXPECT_TRUE(SameMiniBatch(*one, *four)) << "replace " << replace;
  }
  omp_set_num_threads(saved);
}

TEST(NeighborSamplerTest, EmptySeedsGiveEmptyBlocks) {
  const core::Csr csr = RandomGraph(100, 0, 5, 28);
  auto r = SampleOn(csr, {3, 3}, false, {}, 0);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->input_nodes.empty());
  ASSERT_EQ(r->blocks.size(), 2u);
  for (const Block& b : r->blocks) {
    EXPECT_EQ(b.num_dst, 0);
    EXPECT_EQ(b.num_src, 0);
  }
  EXPECT_TRUE(r->Validate().ok());
}

TEST(NeighborSamplerTest, RejectsBadSeedsAndFanouts) {
  const core::Csr csr = RandomGraph(100, 0, 5, 29);
  auto r = SampleOn(csr, {3}, false, {5, 9, 5}, 0);
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("duplicate seed 5"), std::string::npos)
      << r.status().message();
  r = SampleOn(csr, {3}, false, {5, 100}, 0);
  EXPECT_EQ(r.status().code(), core::StatusCode::kOutOfRange);
  EXPECT_NE(r.status().message().find("100"), std::string::npos) << r.status().message();
  r = SampleOn(csr, {3}, false, {-4}, 0);
  EXPECT_EQ(r.status().code(), core::StatusCode::kOutOfRange);
  EXPECT_NE(r.status().message().find("-4"), std::string::npos) << r.status().message();
  r = SampleOn(csr, {3, -2}, false, {1}, 0);
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
  r = SampleOn(csr, {}, false, {1}, 0);
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
}

// A source that returns whatever it is told to, to check the sampler does not trust it blindly.
class FakeSource : public NeighborSource {
 public:
  int64_t num_nodes() const override { return 10; }
  core::Status SampleInNeighbors(const std::vector<NodeId>& nodes, int64_t, bool, uint64_t,
                                 std::vector<int64_t>* offsets, std::vector<NodeId>* neighbors,
                                 std::vector<int64_t>* edge_ids) const override {
    if (!status.ok()) return status;
    *offsets = this->offsets;
    if (offsets->empty()) offsets->assign(nodes.size() + 1, 0);
    *neighbors = this->neighbors;
    if (edge_ids != nullptr) *edge_ids = this->edge_ids;
    return core::Status::OK();
  }
  core::Status status;
  std::vector<int64_t> offsets;
  std::vector<NodeId> neighbors;
  std::vector<int64_t> edge_ids;
};

TEST(NeighborSamplerTest, ChecksWhatTheSourceReturns) {
  FakeSource source;
  NeighborSampler sampler(&source, {2}, false);
  source.offsets = {0, 1, 2};
  source.neighbors = {3, 4};
  auto r = sampler.Sample({1, 2}, 0);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->input_nodes, (std::vector<NodeId>{1, 2, 3, 4}));
  EXPECT_TRUE(r->blocks[0].edge_ids.empty());  // the source gave none

  source.neighbors = {3, 10};  // outside [0, 10)
  EXPECT_EQ(sampler.Sample({1, 2}, 0).status().code(), core::StatusCode::kInternal);
  source.neighbors = {3, 4};
  source.offsets = {0, 2};  // too few offsets
  EXPECT_EQ(sampler.Sample({1, 2}, 0).status().code(), core::StatusCode::kInternal);
  source.offsets = {0, 3, 2};  // decreasing, though it ends right
  source.neighbors = {3, 4};
  EXPECT_EQ(sampler.Sample({1, 2}, 0).status().code(), core::StatusCode::kInternal);
  source.offsets = {0, 1, 2};
  source.edge_ids = {7};  // one edge id for two neighbors
  EXPECT_EQ(sampler.Sample({1, 2}, 0).status().code(), core::StatusCode::kInternal);
  source.status = core::Status::Unavailable("store 3 is down");
  r = sampler.Sample({1, 2}, 0);
  EXPECT_EQ(r.status().code(), core::StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "store 3 is down");
}

}  // namespace
}  // namespace halo::sampler
