#include "sampler/local_neighbor_source.h"

#include <algorithm>
#include <string>

#include "core/check.h"
#include "core/random.h"
#include "core/row_sampling.h"

namespace halo::sampler {

using core::DeriveSeed;
using core::PositionSet;
using core::Rng;
using core::SampleCount;

namespace {

// Below this many nodes, starting OpenMP threads costs more than the sampling.
constexpr int64_t kParallelMinNodes = 512;
}  // namespace

LocalNeighborSource::LocalNeighborSource(const core::Csr* csr) : csr_(csr) {
  HALO_CHECK(csr != nullptr);
}

LocalNeighborSource::LocalNeighborSource(const core::Csr* csr, const std::vector<NodeId>* node_ids)
    : csr_(csr), node_ids_(node_ids) {
  HALO_CHECK(csr != nullptr && node_ids != nullptr);
  HALO_CHECK(static_cast<int64_t>(node_ids->size()) == csr->num_rows());
}

core::Status LocalNeighborSource::SampleInNeighbors(const std::vector<NodeId>& nodes,
                                                    int64_t fanout, bool replace, uint64_t seed,
                                                    std::vector<int64_t>* offsets,
                                                    std::vector<NodeId>* neighbors,
                                                    std::vector<int64_t>* edge_ids) const {
  HALO_CHECK(offsets != nullptr && neighbors != nullptr);
  if (fanout < -1) {
    return core::Status::InvalidArgument("fanout must be -1 (all neighbors) or >= 0, got " +
                                         std::to_string(fanout));
  }
  const int64_t n = static_cast<int64_t>(nodes.size());
  const int64_t num_rows = csr_->num_rows();
  // Counts are known without drawing: validate and size the output in one sequential pass.
  offsets->resize(static_cast<size_t>(n) + 1);
  (*offsets)[0] = 0;
  for (int64_t i = 0; i < n; ++i) {
    const NodeId v = nodes[i];
    if (v < 0 || v >= num_rows) {
      return core::Status::OutOfRange("node " + std::to_string(v) + " is outside [0, " +
                                      std::to_string(num_rows) + ")");
    }
    (*offsets)[i + 1] = (*offsets)[i] + SampleCount(csr_->degree(v), fanout, replace);
  }
  const size_t total = static_cast<size_t>(offsets->back());
  neighbors->resize(total);
  if (edge_ids != nullptr) edge_ids->resize(total);

  const core::EdgeId* indptr = csr_->indptr.data();
  const NodeId* indices = csr_->indices.data();
  const int64_t* out_offsets = offsets->data();
  NodeId* out_neighbors = neighbors->data();
  int64_t* out_edges = edge_ids != nullptr ? edge_ids->data() : nullptr;
#pragma omp parallel if (n >= kParallelMinNodes)
  {
    PositionSet set;
    std::vector<int64_t> positions;
#pragma omp for schedule(dynamic, 64)
    for (int64_t i = 0; i < n; ++i) {
      const NodeId v = nodes[i];
      const int64_t count = out_offsets[i + 1] - out_offsets[i];
      if (count == 0) continue;
      const core::EdgeId row_start = indptr[v];
      positions.resize(static_cast<size_t>(count));
      const NodeId key = node_ids_ != nullptr ? (*node_ids_)[static_cast<size_t>(v)] : v;
      Rng rng(DeriveSeed(seed, static_cast<uint64_t>(key)));
      core::SampleRowPositions(indptr[v + 1] - row_start, fanout, replace, &rng, &set,
                               positions.data());
      const int64_t out = out_offsets[i];
      for (int64_t j = 0; j < count; ++j) {
        const core::EdgeId e = row_start + positions[j];
        out_neighbors[out + j] =
            node_ids_ != nullptr ? (*node_ids_)[static_cast<size_t>(indices[e])] : indices[e];
        if (out_edges != nullptr) out_edges[out + j] = e;
      }
    }
  }
  return core::Status::OK();
}

}  // namespace halo::sampler
