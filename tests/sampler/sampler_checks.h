// Invariant checks for sampled MiniBatches, written independently of MiniBatch::Validate.
#pragma once

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "core/csr.h"
#include "sampler/block.h"
#include "tests/sampler/test_graphs.h"

namespace halo::sampler::testing {

// Checks `mb`, sampled from `csr` with `fanouts` (fanouts[0] = hop from the seeds), against the
// block contract: chaining, dst-prefix, local indices in range, compaction (every src node past
// the dst prefix is used by some edge), fanout counts, real edges with matching edge ids, no
// repeated neighbor without replacement.
inline void ExpectValidMiniBatch(const core::Csr& csr, const std::vector<NodeId>& seeds,
                                 const std::vector<int64_t>& fanouts, bool replace,
                                 const MiniBatch& mb) {
  ASSERT_EQ(mb.blocks.size(), fanouts.size());
  EXPECT_EQ(mb.seeds, seeds);
  const std::set<NodeId> distinct_inputs(mb.input_nodes.begin(), mb.input_nodes.end());
  ASSERT_EQ(distinct_inputs.size(), mb.input_nodes.size()) << "input nodes repeat";
  // Seeds are the dst set of the last block and the prefix of every src list.
  ASSERT_EQ(mb.blocks.back().num_dst, static_cast<int64_t>(seeds.size()));
  ASSERT_EQ(mb.blocks.front().num_src, static_cast<int64_t>(mb.input_nodes.size()));
  for (size_t i = 0; i < seeds.size(); ++i) ASSERT_EQ(mb.input_nodes[i], seeds[i]);
  for (size_t b = 0; b < mb.blocks.size(); ++b) {
    const Block& block = mb.blocks[b];
    const int64_t fanout = fanouts[fanouts.size() - 1 - b];
    if (b + 1 < mb.blocks.size()) {
      ASSERT_EQ(block.num_dst, mb.blocks[b + 1].num_src) << "block " << b;
    }
    ASSERT_LE(block.num_dst, block.num_src);
    ASSERT_EQ(block.csr.num_rows(), block.num_dst);
    ASSERT_EQ(block.csr.indptr.front(), 0);
    ASSERT_EQ(block.csr.indptr.back(), block.csr.num_entries());
    ASSERT_EQ(block.edge_ids.size(), block.csr.indices.size());
    std::vector<bool> used(static_cast<size_t>(block.num_src), false);
    for (int64_t r = 0; r < block.num_dst; ++r) {
      const NodeId v = mb.input_nodes[r];  // local IDs are global-order prefixes
      const int64_t degree = csr.degree(v);
      const int64_t count = block.csr.indptr[r + 1] - block.csr.indptr[r];
      const int64_t expected =
          fanout < 0 ? degree : (replace ? (degree > 0 ? fanout : 0) : std::min(degree, fanout));
      ASSERT_EQ(count, expected) << "block " << b << " row " << r << " node " << v;
      std::set<NodeId> row_nodes;
      for (int64_t e = block.csr.indptr[r]; e < block.csr.indptr[r + 1]; ++e) {
        const int64_t local = block.csr.indices[e];
        ASSERT_GE(local, 0);
        ASSERT_LT(local, block.num_src);
        used[static_cast<size_t>(local)] = true;
        const NodeId u = mb.input_nodes[local];
        ASSERT_TRUE(HasEdge(csr, v, u)) << u << " -> " << v << " in block " << b;
        ASSERT_EQ(csr.indices[block.edge_ids[e]], u);
        ASSERT_GE(block.edge_ids[e], csr.indptr[v]);
        ASSERT_LT(block.edge_ids[e], csr.indptr[v + 1]);
        row_nodes.insert(u);
      }
      if (!replace) {
        ASSERT_EQ(static_cast<int64_t>(row_nodes.size()), count) << "repeated neighbor";
      }
    }
    for (int64_t s = block.num_dst; s < block.num_src; ++s) {
      ASSERT_TRUE(used[static_cast<size_t>(s)]) << "src " << s << " of block " << b << " unused";
    }
  }
  EXPECT_TRUE(mb.Validate().ok()) << mb.Validate().ToString();
}

inline bool SameMiniBatch(const MiniBatch& a, const MiniBatch& b) {
  if (a.input_nodes != b.input_nodes || a.seeds != b.seeds || a.blocks.size() != b.blocks.size()) {
    return false;
  }
  for (size_t i = 0; i < a.blocks.size(); ++i) {
    const Block& x = a.blocks[i];
    const Block& y = b.blocks[i];
    if (x.num_dst != y.num_dst || x.num_src != y.num_src || x.csr.indptr != y.csr.indptr ||
        x.csr.indices != y.csr.indices || x.edge_ids != y.edge_ids) {
      return false;
    }
  }
  return true;
}

}  // namespace halo::sampler::testing
