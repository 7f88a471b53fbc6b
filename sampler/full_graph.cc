#include "sampler/full_graph.h"

#include <numeric>

#include "core/check.h"

namespace halo::sampler {

Block FullGraphBlock(const core::Csr& csr) {
  const int64_t n = csr.num_rows();
  for (core::NodeId u : csr.indices) HALO_CHECK(u >= 0 && u < n) << "column " << u << " of " << n;
  Block block;
  block.num_dst = n;
  block.num_src = n;
  block.csr = csr;
  block.edge_ids.resize(static_cast<size_t>(csr.num_entries()));
  std::iota(block.edge_ids.begin(), block.edge_ids.end(), int64_t{0});
  return block;
}

}  // namespace halo::sampler
