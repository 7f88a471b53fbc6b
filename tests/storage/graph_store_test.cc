#include "storage/graph_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "tests/storage/synthetic_partition.h"
#include "tests/test_util.h"

namespace halo::storage {
namespace {

using core::NodeId;
using core::StatusCode;
using testing::MakeSyntheticPartition;
using testing::SyntheticPartition;

class GraphStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    part_ = MakeSyntheticPartition(tmp_.path(), {0, 100, 250, 300}, 4, 40, 17);
    auto g = GraphStore::Open(tmp_.path(), 1);
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    g_ = std::move(g).value();
  }
  const testing::SyntheticPart& sp() const { return part_.parts[1]; }
  std::vector<NodeId> Inner() const {
    std::vector<NodeId> ids;
    for (NodeId v = sp().begin; v < sp().end; ++v) ids.push_back(v);
    return ids;
  }
  halo::testing::TempDir tmp_;
  SyntheticPartition part_;
  std::unique_ptr<GraphStore> g_;
};

TEST_F(GraphStoreTest, LoadsThePart) {
  EXPECT_EQ(g_->part_id(), 1);
  EXPECT_EQ(g_->node_begin(), 100);
  EXPECT_EQ(g_->node_end(), 250);
  EXPECT_EQ(g_->num_inner(), 150);
  EXPECT_EQ(g_->num_halo(), static_cast<int64_t>(sp().halo.size()));
  EXPECT_GT(g_->num_halo(), 0);
  EXPECT_EQ(g_->num_local_edges(), part_.meta.parts[1].num_local_edges);
  auto deg = g_->InnerInDegrees();
  ASSERT_EQ(deg.size(), 150u);
  for (size_t r = 0; r < deg.size(); ++r) {
    EXPECT_EQ(deg[r], static_cast<int64_t>(sp().in_neighbors[r].size()));
  }
}

TEST_F(GraphStoreTest, GlobalToLocal) {
  for (NodeId v = 100; v < 250; ++v) {
    EXPECT_EQ(g_->GlobalToLocal(v), v - 100);
    EXPECT_EQ(g_->LocalToGlobal(v - 100), v);
    EXPECT_TRUE(g_->IsInner(v));
  }
  std::set<NodeId> halo(sp().halo.begin(), sp().halo.end());
  for (size_t i = 0; i < sp().halo.size(); ++i) {
    EXPECT_EQ(g_->GlobalToLocal(sp().halo[i]), 150 + static_cast<int64_t>(i));
    EXPECT_FALSE(g_->IsInner(sp().halo[i]));
  }
  for (NodeId v : {NodeId{-1}, NodeId{300}, NodeId{1} << 40}) EXPECT_EQ(g_->GlobalToLocal(v), -1);
  for (NodeId v = 0; v < 300; ++v) {
    if (g_->IsInner(v) || halo.count(v)) continue;
    EXPECT_EQ(g_->GlobalToLocal(v), -1) << v;
  }
}

TEST_F(GraphStoreTest, InNeighbors) {
  std::vector<NodeId> out{12345};
  for (NodeId v = 100; v < 250; ++v) {
    ASSERT_TRUE(g_->InNeighbors(v, &out).ok());
    EXPECT_EQ(out, sp().in_neighbors[static_cast<size_t>(v - 100)]) << v;
  }
  EXPECT_EQ(g_->InNeighbors(99, &out).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(g_->InNeighbors(sp().halo[0], &out).code(), StatusCode::kOutOfRange);
}

TEST_F(GraphStoreTest, SampleCountsAndMembership) {
  std::vector<NodeId> seeds = Inner();
  seeds.push_back(100);  // duplicate seed
  for (bool replace : {false, true}) {
    for (int fanout : {0, 1, 5, 25, 100, -1}) {
      SampledNeighbors s;
      ASSERT_TRUE(g_->SampleInNeighbors(seeds.data(), seeds.size(), fanout, replace, 7, &s).ok());
      ASSERT_EQ(s.offsets.size(), seeds.size() + 1);
      ASSERT_EQ(s.offsets.back(), static_cast<int64_t>(s.neighbors.size()));
      for (size_t i = 0; i < seeds.size(); ++i) {
        const auto& all = sp().in_neighbors[static_cast<size_t>(seeds[i] - 100)];
        const int64_t d = static_cast<int64_t>(all.size());
        const int64_t want = fanout < 0 ? d
                             : replace  ? (d > 0 ? fanout : 0)
                                        : std::min<int64_t>(fanout, d);
        const int64_t got = s.offsets[i + 1] - s.offsets[i];
        ASSERT_EQ(got, want) << "seed " << seeds[i] << " fanout " << fanout << " replace "
                             << replace;
        std::vector<NodeId> picked(s.neighbors.begin() + s.offsets[i],
                                   s.neighbors.begin() + s.offsets[i + 1]);
        for (NodeId u : picked) {
          ASSERT_TRUE(std::binary_search(all.begin(), all.end(), u) ||
                      std::find(all.begin(), all.end(), u) != all.end())
              << u << " is not an in-neighbor of " << seeds[i];
        }
        if (!replace || fanout < 0) {
          // Distinct positions; the synthetic graph has no parallel edges, so distinct IDs.
          std::set<NodeId> distinct(picked.begin(), picked.end());
          ASSERT_EQ(distinct.size(), picked.size());
        }
        if (fanout < 0 || (!replace && d <= fanout)) {
          ASSERT_EQ(picked, all);
        }
      }
    }
  }
}

TEST_F(GraphStoreTest, SamplingIsDeterministicPerSeedAndNode) {
  std::vector<NodeId> seeds = Inner();
  SampledNeighbors a, b, c;
  for (bool replace : {false, true}) {
    ASSERT_TRUE(g_->SampleInNeighbors(seeds.data(), seeds.size(), 3, replace, 42, &a).ok());
    ASSERT_TRUE(g_->SampleInNeighbors(seeds.data(), seeds.size(), 3, replace, 42, &b).ok());
    EXPECT_EQ(a.offsets, b.offsets);
    EXPECT_EQ(a.neighbors, b.neighbors);
    // One node alone, or in another batch, gets the same sample.
    for (size_t i : {size_t{0}, size_t{17}, seeds.size() - 1}) {
      ASSERT_TRUE(g_->SampleInNeighbors(&seeds[i], 1, 3, replace, 42, &c).ok());
      EXPECT_EQ(c.neighbors, std::vector<NodeId>(a.neighbors.begin() + a.offsets[i],
                                                 a.neighbors.begin() + a.offsets[i + 1]));
    }
    ASSERT_TRUE(g_->SampleInNeighbors(seeds.data(), seeds.size(), 3, replace, 43, &c).ok());
    EXPECT_NE(a.neighbors, c.neighbors);  // another seed draws differently
  }
}

TEST_F(GraphStoreTest, SamplingIsUniform) {
  // The inner node with the largest in-degree; one draw per sampling seed.
  NodeId v = 100;
  for (NodeId u = 100; u < 250; ++u) {
    if (sp().in_neighbors[u - 100].size() > sp().in_neighbors[v - 100].size()) v = u;
  }
  const auto& all = sp().in_neighbors[static_cast<size_t>(v - 100)];
  ASSERT_GE(all.size(), 10u);
  for (bool replace : {false, true}) {
    std::map<NodeId, int> count;
    const int trials = 20000;
    SampledNeighbors s;
    for (int t = 0; t < trials; ++t) {
      ASSERT_TRUE(g_->SampleInNeighbors(&v, 1, 1, replace, static_cast<uint64_t>(t), &s).ok());
      ++count[s.neighbors.at(0)];
    }
    const double expected = static_cast<double>(trials) / static_cast<double>(all.size());
    double chi2 = 0;
    for (NodeId u : all) chi2 += (count[u] - expected) * (count[u] - expected) / expected;
    // d - 1 <= 39 degrees of freedom: 99.99th percentile is below 90.
    EXPECT_LT(chi2, 90.0) << "replace " << replace;
  }
}

TEST_F(GraphStoreTest, SampleRejectsNonInnerSeeds) {
  const NodeId seeds[] = {100, 250};
  SampledNeighbors s;
  core::Status st = g_->SampleInNeighbors(seeds, 2, 5, false, 1, &s);
  EXPECT_EQ(st.code(), StatusCode::kOutOfRange);
  EXPECT_NE(st.message().find("250"), std::string::npos);
}

TEST(GraphStoreOpen, Errors) {
  halo::testing::TempDir tmp;
  MakeSyntheticPartition(tmp.path(), {0, 50, 80}, 0, 5, 3);
  EXPECT_EQ(GraphStore::Open(tmp.path(), 2).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(GraphStore::Open(tmp.File("missing"), 0).ok());
  ASSERT_TRUE(GraphStore::Open(tmp.path(), 0).ok());
  // A flipped inner flag breaks the layout.
  std::vector<uint8_t> is_inner(50, 1);
  auto meta = core::ReadPartitionMeta(tmp.path());
  ASSERT_TRUE(meta.ok());
  is_inner.resize(static_cast<size_t>(50 + meta->parts[0].num_halo), 0);
  is_inner[3] = 0;
  ASSERT_TRUE(core::WriteNpyBool(tmp.File("part0/is_inner.npy"), is_inner).ok());
  auto bad = GraphStore::Open(tmp.path(), 0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorruption);
  EXPECT_NE(bad.status().message().find("local node 3"), std::string::npos);
  // A truncated indices file.
  ASSERT_TRUE(core::WriteNpy(tmp.File("part1/indices.npy"), std::vector<int64_t>{0}).ok());
  EXPECT_EQ(GraphStore::Open(tmp.path(), 1).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace halo::storage
