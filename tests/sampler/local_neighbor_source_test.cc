#include "sampler/local_neighbor_source.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <set>
#include <vector>

#include "tests/sampler/test_graphs.h"

namespace halo::sampler {
namespace {

using testing::HasEdge;
using testing::Iota;
using testing::RandomGraph;

struct Sampled {
  std::vector<int64_t> offsets;
  std::vector<NodeId> neighbors;
  std::vector<int64_t> edge_ids;
  bool operator==(const Sampled& o) const {
    return offsets == o.offsets && neighbors == o.neighbors && edge_ids == o.edge_ids;
  }
};

Sampled MustSample(const NeighborSource& source, const std::vector<NodeId>& nodes, int64_t fanout,
                   bool replace, uint64_t seed) {
  Sampled s;
  core::Status st =
      source.SampleInNeighbors(nodes, fanout, replace, seed, &s.offsets, &s.neighbors, &s.edge_ids);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return s;
}

// Every sampled neighbor is a real in-neighbor, its edge id points at it within its row, and the
// positions come out ascending (strictly without replacement).
void ExpectSampleConsistent(const core::Csr& csr, const std::vector<NodeId>& nodes,
                            const Sampled& s, bool replace) {
  ASSERT_EQ(s.offsets.size(), nodes.size() + 1);
  ASSERT_EQ(s.offsets.back(), static_cast<int64_t>(s.neighbors.size()));
  ASSERT_EQ(s.edge_ids.size(), s.neighbors.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    const NodeId v = nodes[i];
    for (int64_t j = s.offsets[i]; j < s.offsets[i + 1]; ++j) {
      ASSERT_TRUE(HasEdge(csr, v, s.neighbors[j])) << s.neighbors[j] << " -> " << v;
      ASSERT_GE(s.edge_ids[j], csr.indptr[v]);
      ASSERT_LT(s.edge_ids[j], csr.indptr[v + 1]);
      ASSERT_EQ(csr.indices[s.edge_ids[j]], s.neighbors[j]);
      if (j > s.offsets[i]) {
        if (replace) {
          ASSERT_LE(s.edge_ids[j - 1], s.edge_ids[j]);
        } else {
          ASSERT_LT(s.edge_ids[j - 1], s.edge_ids[j]) << "duplicate or unsorted at node " << v;
        }
      }
    }
  }
}

TEST(LocalNeighborSourceTest, WithoutReplacementTakesMinOfDegreeAndFanoutDistinct) {
  const core::Csr csr = RandomGraph(2000, 0, 40, 1);
  LocalNeighborSource source(&csr);
  EXPECT_EQ(source.num_nodes(), 2000);
  const std::vector<NodeId> nodes = Iota(2000);
  for (int64_t fanout : {0, 1, 10, 39}) {
    const Sampled s = MustSample(source, nodes, fanout, false, 5);
    for (NodeId v : nodes) {
      ASSERT_EQ(s.offsets[v + 1] - s.offsets[v], std::min(csr.degree(v), fanout))
          << "node " << v << " fanout " << fanout;
      std::set<NodeId> distinct(s.neighbors.begin() + s.offsets[v],
                                s.neighbors.begin() + s.offsets[v + 1]);
      ASSERT_EQ(static_cast<int64_t>(distinct.size()), s.offsets[v + 1] - s.offsets[v]);
    }
    ExpectSampleConsistent(csr, nodes, s, false);
  }
}

TEST(LocalNeighborSourceTest, LargeFanoutWithoutReplacementIsDistinct) {
  // Fanouts above the linear-scan limit take the hash-set path of Floyd's algorithm.
  const core::Csr csr = RandomGraph(1000, 100, 400, 2);
  LocalNeighborSource source(&csr);
  const std::vector<NodeId> nodes = Iota(1000);
  const Sampled s = MustSample(source, nodes, 150, false, 9);
  for (NodeId v : nodes) {
    ASSERT_EQ(s.offsets[v + 1] - s.offsets[v], std::min<int64_t>(csr.degree(v), 150));
  }
  ExpectSampleConsistent(csr, nodes, s, false);
}

TEST(LocalNeighborSourceTest, WithReplacementTakesExactlyFanoutUnlessIsolated) {
  const core::Csr csr = RandomGraph(1500, 0, 6, 3);
  LocalNeighborSource source(&csr);
  const std::vector<NodeId> nodes = Iota(1500);
  int64_t isolated = 0;
  const Sampled s = MustSample(source, nodes, 10, true, 11);
  for (NodeId v : nodes) {
    const int64_t expected = csr.degree(v) > 0 ? 10 : 0;
    isolated += csr.degree(v) == 0;
    ASSERT_EQ(s.offsets[v + 1] - s.offsets[v], expected) << "node " << v;
  }
  EXPECT_GT(isolated, 0);  // the graph does exercise degree 0
  ExpectSampleConsistent(csr, nodes, s, true);
}

TEST(LocalNeighborSourceTest, AllNeighborsEqualsCsr) {
  const core::Csr csr = RandomGraph(800, 0, 30, 4);
  LocalNeighborSource source(&csr);
  const std::vector<NodeId> nodes = Iota(800);
  std::vector<int64_t> all_edges(static_cast<size_t>(csr.num_entries()));
  for (size_t e = 0; e < all_edges.size(); ++e) all_edges[e] = static_cast<int64_t>(e);
  for (bool replace : {false, true}) {
    const Sampled s = MustSample(source, nodes, -1, replace, 123);
    EXPECT_EQ(s.offsets, csr.indptr);
    EXPECT_EQ(s.neighbors, csr.indices);
    EXPECT_EQ(s.edge_ids, all_edges);
  }
  // A node subset, in any order, with repeats: each row is its CSR row.
  const std::vector<NodeId> some = {7, 3, 7, 799, 0};
  const Sampled s = MustSample(source, some, -1, false, 0);
  for (size_t i = 0; i < some.size(); ++i) {
    const std::vector<NodeId> row(csr.indices.begin() + csr.indptr[some[i]],
                                  csr.indices.begin() + csr.indptr[some[i] + 1]);
    EXPECT_EQ(std::vector<NodeId>(s.neighbors.begin() + s.offsets[i],
                                  s.neighbors.begin() + s.offsets[i + 1]),
              row);
  }
}

TEST(LocalNeighborSourceTest, EdgeIdsAreOptional) {
  const core::Csr csr = RandomGraph(100, 1, 20, 5);
  LocalNeighborSource source(&csr);
  std::vector<int64_t> offsets;
  std::vector<NodeId> neighbors;
  ASSERT_TRUE(source.SampleInNeighbors(Iota(100), 5, false, 1, &offsets, &neighbors, nullptr).ok());
  const Sampled with_ids = MustSample(source, Iota(100), 5, false, 1);
  EXPECT_EQ(offsets, with_ids.offsets);
  EXPECT_EQ(neighbors, with_ids.neighbors);
}

TEST(LocalNeighborSourceTest, DeterministicPerSeedAndNode) {
  const core::Csr csr = RandomGraph(3000, 50, 100, 6);
  LocalNeighborSource source(&csr);
  const std::vector<NodeId> nodes = Iota(3000);
  for (bool replace : {false, true}) {
    const Sampled a = MustSample(source, nodes, 5, replace, 77);
    EXPECT_TRUE(a == MustSample(source, nodes, 5, replace, 77));
    EXPECT_FALSE(a == MustSample(source, nodes, 5, replace, 78));
    // A node's sample depends on (seed, node) only, not on the batch around it.
    const std::vector<NodeId> few = {2999, 17, 1234};
    const Sampled b = MustSample(source, few, 5, replace, 77);
    for (size_t i = 0; i < few.size(); ++i) {
      EXPECT_EQ(std::vector<NodeId>(b.neighbors.begin() + b.offsets[i],
                                    b.neighbors.begin() + b.offsets[i + 1]),
                std::vector<NodeId>(a.neighbors.begin() + a.offsets[few[i]],
                                    a.neighbors.begin() + a.offsets[few[i] + 1]));
    }
  }
}

TEST(LocalNeighborSourceTest, IndependentOfThreadCount) {
  const core::Csr csr = RandomGraph(4000, 0, 120, 7);
  LocalNeighborSource source(&csr);
  const std::vector<NodeId> nodes = Iota(4000);
  const int saved = omp_get_max_threads();
  for (bool replace : {false, true}) {
    for (int64_t fanout : {3, 60}) {
      omp_set_num_threads(1);
      const Sampled one = MustSample(source, nodes, fanout, replace, 99);
      omp_set_num_threads(2);
      const Sampled two = MustSample(source, nodes, fanout, replace, 99);
      omp_set_num_threads(4);
      const Sampled four = MustSample(source, nodes, fanout, replace, 99);
      EXPECT_TRUE(one == two) << "fanout " << fanout << " replace " << replace;
      EXPECT_TRUE(one == four) << "fanout " << fanout << " replace " << replace;
    }
  }
  omp_set_num_threads(saved);
}

// A star: node 0's in-neighbors are 1..degree.
core::Csr Star(int64_t degree) {
  std::vector<NodeId> rows(static_cast<size_t>(degree), 0), cols;
  for (int64_t u = 1; u <= degree; ++u) cols.push_back(u);
  return core::BuildCsr(degree + 1, rows, cols, {}, false);
}

// Counts how often each of node 0's neighbor positions is drawn over `trials` seeds.
std::vector<int64_t> PositionCounts(const core::Csr& csr, int64_t fanout, bool replace,
                                    int trials) {
  LocalNeighborSource source(&csr);
  std::vector<int64_t> counts(static_cast<size_t>(csr.degree(0)), 0);
  for (int t = 0; t < trials; ++t) {
    const Sampled s = MustSample(source, {0}, fanout, replace, static_cast<uint64_t>(t));
    for (int64_t e : s.edge_ids) ++counts[static_cast<size_t>(e)];
  }
  return counts;
}

TEST(LocalNeighborSourceTest, OneOfTenIsUniform) {
  const core::Csr csr = Star(10);
  for (bool replace : {false, true}) {
    // Expected 2000 each (10%), standard deviation ~42; the bound is 10% +- 1.5% (300).
    for (int64_t c : PositionCounts(csr, 1, replace, 20000)) {
      EXPECT_NEAR(c, 2000, 300) << "replace " << replace;
    }
  }
}

TEST(LocalNeighborSourceTest, SubsetsAreUniform) {
  // Each position is in a uniform 3-subset of 10 with probability 0.3: expected 6000 of 20000
  // trials, standard deviation ~65.
  for (int64_t c : PositionCounts(Star(10), 3, false, 20000)) EXPECT_NEAR(c, 6000, 400);
  // The hash-set path: 40 of 80, probability 0.5, expected 2500 of 5000, deviation ~35.
  for (int64_t c : PositionCounts(Star(80), 40, false, 5000)) EXPECT_NEAR(c, 2500, 250);
  // With replacement, 3 draws of 10: expected 6000 draws of each position.
  for (int64_t c : PositionCounts(Star(10), 3, true, 20000)) EXPECT_NEAR(c, 6000, 400);
}

TEST(LocalNeighborSourceTest, RejectsBadFanoutAndNodes) {
  const core::Csr csr = RandomGraph(10, 0, 3, 8);
  LocalNeighborSource source(&csr);
  std::vector<int64_t> offsets;
  std::vector<NodeId> neighbors;
  core::Status st = source.SampleInNeighbors({1}, -2, false, 0, &offsets, &neighbors, nullptr);
  EXPECT_EQ(st.code(), core::StatusCode::kInvalidArgument);
  st = source.SampleInNeighbors({1, 10}, 2, false, 0, &offsets, &neighbors, nullptr);
  EXPECT_EQ(st.code(), core::StatusCode::kOutOfRange);
  EXPECT_NE(st.message().find("10"), std::string::npos) << st.message();
  st = source.SampleInNeighbors({-1}, 2, true, 0, &offsets, &neighbors, nullptr);
  EXPECT_EQ(st.code(), core::StatusCode::kOutOfRange);
  EXPECT_NE(st.message().find("-1"), std::string::npos) << st.message();
  // No nodes: one offset, nothing sampled.
  ASSERT_TRUE(source.SampleInNeighbors({}, 2, false, 0, &offsets, &neighbors, nullptr).ok());
  EXPECT_EQ(offsets, std::vector<int64_t>{0});
  EXPECT_TRUE(neighbors.empty());
}

}  // namespace
}  // namespace halo::sampler
