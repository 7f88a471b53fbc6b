// NeighborSource for distributed training: node IDs are global, and each node's in-neighbors
// come from wherever they are complete. A part keeps every node within halo_hops (L) in-hops of
// its inner nodes, and the nodes at distance < L keep all their in-edges (partition/halo.h), so
// with L >= the number of GNN layers every sample is answered from the local CSR. The rest
// (nodes at distance L, or not held at all) are sampled by their owner's store through
// StoreClient's sample RPC.
//
// Samples are drawn per node from DeriveSeed(seed, global ID), so a node's sample does not depend
// on the batch it is in or the thread that draws it. Neighbors are returned as global IDs; no edge
// IDs are provided.
//
// Thread-safety: const calls are safe from many threads (StoreClient is thread-safe).
#pragma once
#include <atomic>
#include <cstdint>
#include <vector>

#include "core/csr.h"
#include "sampler/local_neighbor_source.h"
#include "sampler/neighbor_source.h"
#include "storage/store_client.h"

namespace halo::sampler {

class DistNeighborSource : public NeighborSource {
 public:
  // `csr` is the part's local in-CSR (inner nodes first, then halo nodes in ascending global ID),
  // `local_to_global` its node IDs, the inner nodes being the global range
  // [node_begin, node_begin + num_inner). `halo_hops` is the partition's L (0 = Cluster-GCN:
  // inner rows are used as they are, cross-part edges being dropped by design). `remote` serves
  // everything else; when null, such nodes get no neighbors. Nothing is owned; all must outlive
  // this object.
  DistNeighborSource(const core::Csr* csr, const std::vector<NodeId>* local_to_global,
                     int64_t num_inner, int halo_hops, int64_t num_global_nodes,
                     const storage::StoreClient* remote);

  int64_t num_nodes() const override { return num_global_nodes_; }
  core::Status SampleInNeighbors(const std::vector<NodeId>& nodes, int64_t fanout, bool replace,
                                 uint64_t seed, std::vector<int64_t>* offsets,
                                 std::vector<NodeId>* neighbors,
                                 std::vector<int64_t>* edge_ids) const override;

  // Local ID of a global ID, or -1 when the part does not hold it.
  int64_t ToLocal(NodeId global) const;
  // Whether the local CSR row of local node `l` lists all of its in-neighbors.
  bool IsComplete(int64_t local) const { return complete_[static_cast<size_t>(local)] != 0; }
  // Nodes sampled locally / remotely since construction (for statistics).
  int64_t num_remote_rows() const { return num_remote_rows_; }

 private:
  const core::Csr* csr_;
  const std::vector<NodeId>* local_to_global_;
  int64_t num_inner_;
  NodeId node_begin_;
  int64_t num_global_nodes_;
  const storage::StoreClient* remote_;
  LocalNeighborSource local_;      // the local rows, keyed and answered by global ID
  std::vector<uint8_t> complete_;  // per local node
  mutable std::atomic<int64_t> num_remote_rows_{0};
};

}  // namespace halo::sampler
