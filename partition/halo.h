// Halo expansion: the local view of one part that L layers of message passing need.
//
// With halo_hops L >= 1 the part keeps every node within L in-hops of its inner nodes; each node
// at distance < L keeps all its in-edges, nodes at distance exactly L keep none (their values
// are inputs only). So every edge of the graph is an in-edge of exactly one inner row: the part
// owning its destination. With L = 0 the part keeps only its inner nodes and the edges among
// them (Cluster-GCN-style local training: cross-part edges are dropped).
#pragma once

#include "core/csr.h"
#include "partition/graph_data.h"
#include "partition/part_files.h"
#include "partition/relabel.h"

namespace halo::partition {

// Reusable per-thread scratch of one entry per node; reset after each use in O(touched).
struct HaloScratch {
  std::vector<int8_t> dist;      // -1 = not reached
  std::vector<NodeId> local_id;  // local ID of reached nodes
  std::vector<NodeId> touched;   // input IDs reached, to reset
};

// Builds part `part`'s LocalPart from the prepared in-CSR over input IDs. Node data (features,
// labels, masks) are copied for inner rows from `graph`.
LocalPart BuildLocalPart(const core::Csr& in_csr, const GraphData& graph, const Relabeling& relabel,
                         core::PartId part, int halo_hops, HaloScratch* scratch);

}  // namespace halo::partition
