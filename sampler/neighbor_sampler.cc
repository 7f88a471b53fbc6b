#include "sampler/neighbor_sampler.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/check.h"
#include "core/random.h"
#include "sampler/node_id_map.h"

namespace halo::sampler {

using core::DeriveSeed;
using core::Rng;
namespace {

// Checks what a (possibly remote) source returned before trusting it as a CSR.
core::Status CheckSourceOutput(size_t num_nodes_asked, int64_t num_nodes,
                               const std::vector<int64_t>& offsets,
                               const std::vector<NodeId>& neighbors,
                               const std::vector<int64_t>& edge_ids) {
  if (offsets.size() != num_nodes_asked + 1 || offsets.front() != 0 ||
      offsets.back() != static_cast<int64_t>(neighbors.size())) {
    return core::Status::Internal("neighbor source returned " + std::to_string(offsets.size()) +
                                  " offsets for " + std::to_string(num_nodes_asked) +
                                  " nodes and " + std::to_string(neighbors.size()) + " neighbors");
  }
  for (size_t i = 1; i < offsets.size(); ++i) {
    if (offsets[i] < offsets[i - 1]) {
      return core::Status::Internal("neighbor source returned decreasing offsets at node " +
                                    std::to_string(i - 1));
    }
  }
  if (!edge_ids.empty() && edge_ids.size() != neighbors.size()) {
    return core::Status::Internal("neighbor source returned " + std::to_string(edge_ids.size()) +
                                  " edge ids for " + std::to_string(neighbors.size()) +
                                  " neighbors");
  }
  for (NodeId u : neighbors) {
    if (u < 0 || u >= num_nodes) {
      return core::Status::Internal("neighbor source returned node " + std::to_string(u) +
                                    ", outside [0, " + std::to_string(num_nodes) + ")");
    }
  }
  return core::Status::OK();
}

}  // namespace

NeighborSampler::NeighborSampler(const NeighborSource* source, std::vector<int64_t> fanouts,
                                 bool replace)
    : source_(source), fanouts_(std::move(fanouts)), replace_(replace) {
  HALO_CHECK(source_ != nullptr);
}

core::Result<MiniBatch> NeighborSampler::Sample(const std::vector<NodeId>& seeds,
                                                uint64_t seed) const {
  if (fanouts_.empty()) return core::Status::InvalidArgument("no fanouts: need one per layer");
  for (int64_t f : fanouts_) {
    if (f < -1) {
      return core::Status::InvalidArgument("fanout must be -1 (all neighbors) or >= 0, got " +
                                           std::to_string(f));
    }
  }
  const int64_t num_nodes = source_->num_nodes();
  // Initial map size: seeds times the first two hops' growth, capped (the map grows anyway).
  constexpr int64_t kMaxExpected = int64_t{1} << 20;
  int64_t expected = std::min<int64_t>(static_cast<int64_t>(seeds.size()), kMaxExpected);
  for (size_t l = 0; l < fanouts_.size() && l < 2; ++l) {
    const int64_t growth = fanouts_[l] < 0 ? 8 : std::min(fanouts_[l], kMaxExpected) + 1;
    expected = std::min(expected * growth, kMaxExpected);
  }
  NodeIdMap map(std::min(expected, num_nodes));
  for (size_t i = 0; i < seeds.size(); ++i) {
    const NodeId s = seeds[i];
    if (s < 0 || s >= num_nodes) {
      return core::Status::OutOfRange("seed " + std::to_string(s) + " is outside [0, " +
                                      std::to_string(num_nodes) + ")");
    }
    if (map.Insert(s) != static_cast<int64_t>(i)) {
      return core::Status::InvalidArgument("duplicate seed " + std::to_string(s));
    }
  }

  // Blocks in sampling order (seeds outward); reversed at the end. The local ID of a node never
  // changes from one hop to the next, since each hop's src list extends the previous one.
  std::vector<Block> blocks(fanouts_.size());
  std::vector<int64_t> offsets;
  std::vector<NodeId> neighbors;
  for (size_t layer = 0; layer < fanouts_.size(); ++layer) {
    Block& block = blocks[layer];
    block.num_dst = map.size();
    block.edge_ids.clear();
    HALO_RETURN_IF_ERROR(source_->SampleInNeighbors(map.ids(), fanouts_[layer], replace_,
                                                    DeriveSeed(seed, layer), &offsets, &neighbors,
                                                    &block.edge_ids));
    HALO_RETURN_IF_ERROR(CheckSourceOutput(static_cast<size_t>(block.num_dst), num_nodes, offsets,
                                           neighbors, block.edge_ids));
    block.csr.indptr.swap(offsets);
    block.csr.indices.resize(neighbors.size());
    for (size_t e = 0; e < neighbors.size(); ++e) block.csr.indices[e] = map.Insert(neighbors[e]);
    block.num_src = map.size();
  }
  std::reverse(blocks.begin(), blocks.end());

  MiniBatch batch;
  batch.input_nodes = map.TakeIds();
  batch.seeds = seeds;
  batch.blocks = std::move(blocks);
  return batch;
}

}  // namespace halo::sampler
