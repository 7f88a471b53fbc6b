// Unit tests of the pipeline's building blocks against naive references: graph preparation,
// the METIS input graph, random assignment, edge cut, relabeling and halo expansion.
#include "partition/prepare.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "partition/halo.h"
#include "partition/metis_partitioner.h"
#include "partition/relabel.h"

namespace halo::partition {
namespace {

using core::Csr;
using core::PartId;
using EdgeSet = std::set<std::pair<NodeId, NodeId>>;  // (src, dst)

GraphData RandomGraph(int64_t n, int64_t m, uint64_t seed, bool weighted) {
  std::mt19937_64 rng(seed);
  GraphData g;
  g.name = "random";
  g.num_nodes = n;
  for (int64_t i = 0; i < m; ++i) {
    g.src.push_back(static_cast<NodeId>(rng() % n));
    g.dst.push_back(static_cast<NodeId>(rng() % n));
    if (weighted) g.edge_weight.push_back(static_cast<float>(i));
  }
  return g;
}

EdgeSet CsrEdges(const Csr& csr) {
  EdgeSet edges;
  for (NodeId v = 0; v < csr.num_rows(); ++v) {
    for (auto e = csr.indptr[v]; e < csr.indptr[v + 1]; ++e) edges.insert({csr.indices[e], v});
  }
  return edges;
}

struct PrepareCase {
  bool symmetrize;
  SelfLoops loops;
};

class PrepareTest : public ::testing::TestWithParam<PrepareCase> {};

TEST_P(PrepareTest, MatchesNaiveEdgeSet) {
  const PrepareCase c = GetParam();
  GraphData g = RandomGraph(50, 400, 3, /*weighted=*/false);
  g.src.push_back(7);  // a guaranteed self-loop
  g.dst.push_back(7);
  EdgeSet expected;
  for (size_t i = 0; i < g.src.size(); ++i) {
    const NodeId u = g.src[i], v = g.dst[i];
    if (u == v && c.loops != SelfLoops::kKeep) continue;
    expected.insert({u, v});
    if (c.symmetrize) expected.insert({v, u});
  }
  if (c.loops == SelfLoops::kAdd) {
    for (NodeId v = 0; v < g.num_nodes; ++v) expected.insert({v, v});
  }
  auto csr = PrepareGraph(&g, {c.symmetrize, c.loops});
  ASSERT_TRUE(csr.ok()) << csr.status().ToString();
  EXPECT_TRUE(csr->Validate(50, "prepared").ok());
  EXPECT_EQ(CsrEdges(csr.value()), expected);
  EXPECT_EQ(csr->num_entries(), static_cast<int64_t>(expected.size()));  // no duplicates
  for (NodeId v = 0; v < 50; ++v) {
    EXPECT_TRUE(std::is_sorted(csr->indices.begin() + csr->indptr[v],
                               csr->indices.begin() + csr->indptr[v + 1]));
  }
  EXPECT_TRUE(g.src.empty());  // input edges released
}

INSTANTIATE_TEST_SUITE_P(Modes, PrepareTest,
                         ::testing::Values(PrepareCase{true, SelfLoops::kKeep},
                                           PrepareCase{false, SelfLoops::kKeep},
                                           PrepareCase{true, SelfLoops::kRemove},
                                           PrepareCase{false, SelfLoops::kAdd}));

TEST(PrepareWeightsTest, FirstWeightOfDuplicatesIsKept) {
  GraphData g;
  g.num_nodes = 3;
  g.src = {0, 0, 1, 2};
  g.dst = {1, 1, 2, 2};
  g.edge_weight = {5, 6, 7, 8};
  auto csr = PrepareGraph(&g, {/*symmetrize=*/true, SelfLoops::kKeep});
  ASSERT_TRUE(csr.ok());
  // Rows: 0 <- {1 (w5)}, 1 <- {0 (w5), 2 (w7)}, 2 <- {1 (w7), 2 (w8)}.
  EXPECT_EQ(csr->indptr, (std::vector<core::EdgeId>{0, 1, 3, 5}));
  EXPECT_EQ(csr->indices, (std::vector<NodeId>{1, 0, 2, 1, 2}));
  EXPECT_EQ(csr->weights, (std::vector<float>{5, 5, 7, 7, 8}));
}

TEST(PrepareErrorsTest, OutOfRangeEndpoint) {
  GraphData g;
  g.num_nodes = 2;
  g.src = {0};
  g.dst = {2};
  auto csr = PrepareGraph(&g, {});
  ASSERT_FALSE(csr.ok());
  EXPECT_EQ(csr.status().code(), core::StatusCode::kOutOfRange);
}

TEST(MetisGraphTest, UnionOfBothDirectionsWithoutLoops) {
  GraphData g = RandomGraph(40, 200, 11, false);
  auto csr = PrepareGraph(&g, {/*symmetrize=*/false, SelfLoops::kKeep});
  ASSERT_TRUE(csr.ok());
  std::vector<std::set<NodeId>> expected(40);
  for (const auto& [u, v] : CsrEdges(csr.value())) {
    if (u == v) continue;
    expected[u].insert(v);
    expected[v].insert(u);
  }
  auto mg = BuildMetisGraph(csr.value(), /*already_symmetric=*/false);
  ASSERT_TRUE(mg.ok());
  for (NodeId v = 0; v < 40; ++v) {
    std::vector<NodeId> got(mg->adjncy.begin() + mg->xadj[v], mg->adjncy.begin() + mg->xadj[v + 1]);
    EXPECT_EQ(got, std::vector<NodeId>(expected[v].begin(), expected[v].end())) << v;
  }
}

TEST(MetisGraphTest, SymmetricShortcutAgreesWithUnion) {
  GraphData g = RandomGraph(60, 300, 5, false);
  auto csr = PrepareGraph(&g, {/*symmetrize=*/true, SelfLoops::kKeep});
  ASSERT_TRUE(csr.ok());
  auto fast = BuildMetisGraph(csr.value(), true);
  auto slow = BuildMetisGraph(csr.value(), false);
  ASSERT_TRUE(fast.ok() && slow.ok());
  EXPECT_EQ(fast->xadj, slow->xadj);
  EXPECT_EQ(fast->adjncy, slow->adjncy);
}

TEST(MetisPartitionTest, CutMatchesNaiveCountAndIsBetterThanRandom) {
  // Two 30-cliques joined by one edge: METIS must find the single cut edge.
  GraphData g;
  g.num_nodes = 60;
  for (NodeId base : {0, 30}) {
    for (NodeId a = 0; a < 30; ++a) {
      for (NodeId b = a + 1; b < 30; ++b) {
        g.src.push_back(base + a);
        g.dst.push_back(base + b);
      }
    }
  }
  g.src.push_back(5);
  g.dst.push_back(40);
  auto csr = PrepareGraph(&g, {});
  ASSERT_TRUE(csr.ok());
  auto mg = BuildMetisGraph(csr.value(), true);
  ASSERT_TRUE(mg.ok());
  MetisOptions options;
  options.num_parts = 2;
  auto parts = MetisPartition(mg.value(), {}, 1, options);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  EXPECT_EQ(CountEdgeCut(mg.value(), parts.value()), 1);
  for (NodeId v = 1; v < 30; ++v) EXPECT_EQ(parts.value()[v], parts.value()[0]);
  EXPECT_NE(parts.value()[0], parts.value()[30]);
  auto random = RandomPartition(60, 2, 1);
  EXPECT_GT(CountEdgeCut(mg.value(), random), 1);
}

TEST(MetisPartitionTest, RejectsTooManyParts) {
  MetisGraph mg;
  mg.xadj = {0, 0, 0};
  MetisOptions options;
  options.num_parts = 3;
  EXPECT_FALSE(MetisPartition(mg, {}, 1, options).ok());
}

TEST(RandomPartitionTest, BalancedAndSeeded) {
  auto a = RandomPartition(1003, 7, 42);
  std::vector<int> sizes(7, 0);
  for (PartId p : a) ++sizes[p];
  EXPECT_LE(
      *std::max_element(sizes.begin(), sizes.end()) - *std::min_element(sizes.begin(), sizes.end()),
      1);
  EXPECT_EQ(a, RandomPartition(1003, 7, 42));
  EXPECT_NE(a, RandomPartition(1003, 7, 43));
}

TEST(RelabelTest, ContiguousStableRanges) {
  const std::vector<PartId> parts = {2, 0, 1, 0, 2, 2};
  Relabeling r = RelabelByPart(parts, 4);  // part 3 is empty
  EXPECT_EQ(r.offsets, (std::vector<NodeId>{0, 2, 3, 6, 6}));
  EXPECT_EQ(r.old_of_new, (std::vector<NodeId>{1, 3, 2, 0, 4, 5}));
  for (NodeId old = 0; old < 6; ++old) {
    const NodeId id = r.new_of_old[old];
    EXPECT_EQ(r.old_of_new[id], old);
    EXPECT_GE(id, r.offsets[parts[old]]);
    EXPECT_LT(id, r.offsets[parts[old] + 1]);
  }
}

TEST(HaloTest, PathGraphByHand) {
  // Path 0 - 1 - 2 - 3 - 4 (both directions); part 0 = {0, 1}, part 1 = {2, 3, 4}.
  GraphData g;
  g.num_nodes = 5;
  g.src = {0, 1, 2, 3};
  g.dst = {1, 2, 3, 4};
  g.labels = {10, 11, 12, 13, 14};
  auto csr = PrepareGraph(&g, {});
  ASSERT_TRUE(csr.ok());
  Relabeling r = RelabelByPart({0, 0, 1, 1, 1}, 2);
  HaloScratch scratch;

  LocalPart l0 = BuildLocalPart(csr.value(), g, r, 0, /*halo_hops=*/0, &scratch);
  EXPECT_EQ(l0.local_to_global, (std::vector<NodeId>{0, 1}));
  EXPECT_EQ(CsrEdges(l0.in_csr), (EdgeSet{{0, 1}, {1, 0}}));

  LocalPart l1 = BuildLocalPart(csr.value(), g, r, 0, 1, &scratch);
  EXPECT_EQ(l1.local_to_global, (std::vector<NodeId>{0, 1, 2}));
  EXPECT_EQ(l1.is_inner, (std::vector<uint8_t>{1, 1, 0}));
  EXPECT_EQ(CsrEdges(l1.in_csr), (EdgeSet{{1, 0}, {0, 1}, {2, 1}}));  // halo row 2 empty

  LocalPart l2 = BuildLocalPart(csr.value(), g, r, 0, 2, &scratch);
  EXPECT_EQ(l2.local_to_global, (std::vector<NodeId>{0, 1, 2, 3}));
  EXPECT_EQ(CsrEdges(l2.in_csr), (EdgeSet{{1, 0}, {0, 1}, {2, 1}, {1, 2}, {3, 2}}));

  LocalPart p1 = BuildLocalPart(csr.value(), g, r, 1, 1, &scratch);
  EXPECT_EQ(p1.local_to_global, (std::vector<NodeId>{2, 3, 4, 1}));
  EXPECT_EQ(p1.labels, (std::vector<int64_t>{12, 13, 14}));
  // Scratch is clean after use: rebuilding gives the same part.
  LocalPart again = BuildLocalPart(csr.value(), g, r, 0, 2, &scratch);
  EXPECT_EQ(again.local_to_global, l2.local_to_global);
  EXPECT_EQ(again.in_csr.indices, l2.in_csr.indices);
}

}  // namespace
}  // namespace halo::partition
