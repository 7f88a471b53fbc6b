// Multi-layer neighbor sampling (GraphSAGE): from a batch of seed nodes, sample in-neighbors hop
// by hop and compact each hop into a Block.
//
//   LocalNeighborSource source(&csr);
//   NeighborSampler sampler(&source, /*fanouts=*/{25, 10}, /*replace=*/false);
//   HALO_ASSIGN_OR_RETURN(MiniBatch batch, sampler.Sample(seeds, DeriveSeed(run_seed, step)));
//   // batch.blocks[0] reads features of batch.input_nodes; batch.blocks[1] outputs the seeds.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "sampler/block.h"
#include "sampler/neighbor_source.h"

namespace halo::sampler {

class NeighborSampler {
 public:
  // fanouts[0] is the first hop from the seeds (PyG/GraphSAGE order: {25, 10} samples 25
  // neighbors per seed, then 10 per 1-hop neighbor), so it builds blocks.back(). Each fanout is
  // -1 (all neighbors) or >= 0. Does not own `source`, which must outlive the sampler.
  NeighborSampler(const NeighborSource* source, std::vector<int64_t> fanouts, bool replace);

  // Samples one MiniBatch with fanouts.size() blocks. Identical (seeds, seed) give an identical
  // MiniBatch whatever the thread count. Each block's src nodes are its dst nodes (same order)
  // followed by newly reached neighbors in first-seen order, so MiniBatch::input_nodes starts
  // with the seeds. Safe to call concurrently (when the source is).
  // Errors: InvalidArgument for an empty fanout list, a fanout < -1 or a duplicate seed;
  // OutOfRange for a seed outside [0, source->num_nodes()); the source's errors.
  core::Result<MiniBatch> Sample(const std::vector<NodeId>& seeds, uint64_t seed) const;

  const std::vector<int64_t>& fanouts() const { return fanouts_; }
  bool replace() const { return replace_; }

 private:
  const NeighborSource* source_;
  std::vector<int64_t> fanouts_;
  bool replace_;
};

}  // namespace halo::sampler
