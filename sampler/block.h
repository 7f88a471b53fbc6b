// Message-flow blocks: one bipartite graph per GNN layer, from src nodes to dst nodes, with
// compact local IDs. DGL's convention: the dst nodes are the first num_dst src nodes, so a
// layer's self/root term reads the first num_dst rows of its input.
#pragma once

#include <cstdint>
#include <vector>

#include "core/csr.h"
#include "core/status.h"
#include "core/types.h"

namespace halo::sampler {

using core::NodeId;

struct Block {
  int64_t num_dst = 0;
  int64_t num_src = 0;
  // Rows are dst nodes 0..num_dst-1; indices are local src positions in [0, num_src). Row order
  // within a row follows the source (CSR order, or sorted sample positions).
  core::Csr csr;
  // Position of each entry's edge in the sampled graph's CSR (to look up edge weights there).
  // Empty when the neighbor source did not provide them.
  std::vector<int64_t> edge_ids;

  int64_t num_edges() const { return csr.num_entries(); }
  // Checks num_dst <= num_src, csr rows == num_dst, indices in range, edge_ids empty or one per
  // edge. Returns Internal naming `what` and the first violation.
  core::Status Validate(const char* what = "block") const;
};

struct MiniBatch {
  // Src nodes of blocks[0], as node IDs of the sampled graph: the rows of input features.
  std::vector<NodeId> input_nodes;
  // Dst nodes of blocks.back(), in the order given to the sampler.
  std::vector<NodeId> seeds;
  // blocks[0] consumes input features; blocks.back() produces the seeds' outputs;
  // blocks[i].num_dst == blocks[i + 1].num_src.
  std::vector<Block> blocks;

  // Validates every block and the chaining; input_nodes.size() == blocks[0].num_src, the seeds
  // are the prefix of input_nodes (dst nodes are prefixes all the way down), and
  // blocks.back().num_dst == seeds.size().
  core::Status Validate() const;
};

}  // namespace halo::sampler
