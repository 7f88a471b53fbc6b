// Node-to-part assignment: METIS multi-constraint k-way on the symmetrized graph, or a random
// balanced baseline. METIS on Debian uses 32-bit indices; larger graphs are refused clearly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/csr.h"
#include "core/status.h"
#include "core/types.h"

namespace halo::partition {

using MetisIdx = int32_t;  // METIS's idx_t on this build (checked in the .cc)

// The undirected graph METIS sees: symmetric adjacency, no self-loops, no duplicates.
struct MetisGraph {
  std::vector<MetisIdx> xadj{0};
  std::vector<MetisIdx> adjncy;
  int64_t num_nodes() const { return static_cast<int64_t>(xadj.size()) - 1; }
  // Undirected edges = adjacency entries / 2.
  int64_t num_undirected_edges() const { return static_cast<int64_t>(adjncy.size()) / 2; }
};

// Builds the union of in- and out-neighbors of every node of `in_csr`, without self-loops.
// Fails (OutOfRange) when the node or adjacency count exceeds METIS's 32-bit index range.
// `already_symmetric` skips the transpose when the CSR is known to be symmetric.
core::Result<MetisGraph> BuildMetisGraph(const core::Csr& in_csr, bool already_symmetric);

struct MetisOptions {
  int32_t num_parts = 2;
  std::string objective = "cut";  // "cut" (edge cut) or "vol" (communication volume)
  uint64_t seed = 0;
  double imbalance = 1.03;  // allowed max part weight / average, per constraint
};

// `vertex_weights` holds num_nodes x num_constraints weights (row-major); empty means unit
// weights. Returns the part of every node. num_parts == 1 assigns everything to part 0.
core::Result<std::vector<core::PartId>> MetisPartition(const MetisGraph& graph,
                                                       const std::vector<MetisIdx>& vertex_weights,
                                                       int num_constraints,
                                                       const MetisOptions& options);

// A random assignment with part sizes differing by at most one; deterministic for a seed.
std::vector<core::PartId> RandomPartition(int64_t num_nodes, int32_t num_parts, uint64_t seed);

// Undirected edges of `graph` whose endpoints lie in different parts.
int64_t CountEdgeCut(const MetisGraph& graph, const std::vector<core::PartId>& parts);

}  // namespace halo::partition
