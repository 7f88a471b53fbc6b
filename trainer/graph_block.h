// A message-flow block ready for the layers: its CSR on the compute device, plus the
// per-model extras (self-loops for GCN/GAT, GCN's symmetric normalization weights).
#pragma once
#include <cstdint>
#include <vector>

#include "core/csr.h"
#include "core/device.h"
#include "core/tensor.h"
#include "kernels/csr_view.h"
#include "sampler/block.h"

namespace halo::trainer {

struct BlockOptions {
  bool add_self_loops = false;  // edge v -> v for every destination v (dst nodes prefix src)
  bool gcn_norm = false;        // w(u -> v) = 1 / sqrt(deg_out(u) * deg_in(v)) within the block
};

struct GraphBlock {
  kernels::DeviceCsr csr;  // rows = destinations, columns = source positions
  int64_t num_dst = 0;
  int64_t num_src = 0;
  core::Tensor edge_weight;  // [E x 1] when gcn_norm, else empty

  kernels::CsrView view() const { return csr.view(); }
  const core::Tensor* weight() const { return edge_weight.numel() > 0 ? &edge_weight : nullptr; }
};

// Builds the device block from a sampler block (rows = dst, indices = local src positions).
// GCN's normalization takes each source's out-degree within the block, unless
// `src_out_degree` gives them (one per source, self-loops included when the options add them):
// layer-wise inference over one part passes the sources' degrees in the whole graph.
GraphBlock MakeGraphBlock(const sampler::Block& block, const BlockOptions& options,
                          core::Device device,
                          const std::vector<int64_t>* src_out_degree = nullptr);

}  // namespace halo::trainer
