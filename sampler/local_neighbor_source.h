// NeighborSource over an in-memory in-CSR (row v lists the in-neighbors of v), parallel over
// nodes with OpenMP.
#pragma once

#include <cstdint>
#include <vector>

#include "core/csr.h"
#include "sampler/neighbor_source.h"

namespace halo::sampler {

class LocalNeighborSource : public NeighborSource {
 public:
  // Does not own `csr`, which must outlive this object and stay unchanged. Columns must be
  // valid node IDs (< num_rows), as core::Csr::Validate(num_rows) checks.
  explicit LocalNeighborSource(const core::Csr* csr);
  // Rows and columns are local IDs of nodes known elsewhere as node_ids[local] (a part's
  // local_to_global, say): draws are keyed by those IDs, and neighbors are returned as them, so a
  // node samples the same way whichever numbering holds it. Queries still use local IDs.
  LocalNeighborSource(const core::Csr* csr, const std::vector<NodeId>* node_ids);

  int64_t num_nodes() const override { return csr_->num_rows(); }

  core::Status SampleInNeighbors(const std::vector<NodeId>& nodes, int64_t fanout, bool replace,
                                 uint64_t seed, std::vector<int64_t>* offsets,
                                 std::vector<NodeId>* neighbors,
                                 std::vector<int64_t>* edge_ids) const override;

 private:
  const core::Csr* csr_;
  const std::vector<NodeId>* node_ids_ = nullptr;  // null: IDs are the local ones
};

}  // namespace halo::sampler
