// Where sampled neighborhoods come from: the local graph (LocalNeighborSource) or, later, the
// stores' sample RPC. NeighborSampler only talks to this interface.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace halo::sampler {

using core::NodeId;

// Implementations must be safe for concurrent const calls.
class NeighborSource {
 public:
  virtual ~NeighborSource() = default;

  // Node IDs are in [0, num_nodes()).
  virtual int64_t num_nodes() const = 0;

  // Samples in-neighbors of each of `nodes` (duplicates allowed). On success, node i's sample is
  // (*neighbors)[(*offsets)[i] .. (*offsets)[i+1]), offsets has nodes.size() + 1 entries, and
  // *edge_ids (when not null) holds each neighbor's edge position in the source's graph.
  //   fanout == -1: every in-neighbor, in CSR order (`replace` is ignored).
  //   fanout >= 0, !replace: min(degree, fanout) distinct positions, uniformly, in CSR order.
  //   fanout >= 0, replace: `fanout` independent uniform draws, in CSR order (none when the
  //   degree is 0).
  // The result is a function of (nodes, fanout, replace, seed) alone: each node's draws come
  // from DeriveSeed(seed, node), never from thread order.
  // Errors: InvalidArgument for fanout < -1, OutOfRange for a node ID outside [0, num_nodes()).
  virtual core::Status SampleInNeighbors(const std::vector<NodeId>& nodes, int64_t fanout,
                                         bool replace, uint64_t seed, std::vector<int64_t>* offsets,
                                         std::vector<NodeId>* neighbors,
                                         std::vector<int64_t>* edge_ids) const = 0;
};

}  // namespace halo::sampler
