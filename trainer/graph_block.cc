#include "trainer/graph_block.h"

#include <algorithm>
#include <cmath>

#include "core/check.h"

namespace halo::trainer {

GraphBlock MakeGraphBlock(const sampler::Block& block, const BlockOptions& options,
                          core::Device device, const std::vector<int64_t>* src_out_degree) {
  HALO_CHECK(block.num_dst <= block.num_src) << "destinations must prefix the sources";
  const core::Csr* csr = &block.csr;
  core::Csr with_loops;
  if (options.add_self_loops) {
    with_loops.indptr.assign(static_cast<size_t>(block.num_dst) + 1, 0);
    with_loops.indices.reserve(block.csr.indices.size() + static_cast<size_t>(block.num_dst));
    for (int64_t v = 0; v < block.num_dst; ++v) {
      const auto begin = block.csr.indices.begin() + block.csr.indptr[v];
      const auto end = block.csr.indices.begin() + block.csr.indptr[v + 1];
      // Rows are sorted; insert v at its place unless already there (no duplicate loop).
      const auto pos = std::lower_bound(begin, end, v);
      with_loops.indices.insert(with_loops.indices.end(), begin, pos);
      with_loops.indices.push_back(v);
      with_loops.indices.insert(with_loops.indices.end(), (pos != end && *pos == v) ? pos + 1 : pos,
                                end);
      with_loops.indptr[static_cast<size_t>(v) + 1] =
          static_cast<core::EdgeId>(with_loops.indices.size());
    }
    csr = &with_loops;
  }
  GraphBlock out;
  out.num_dst = block.num_dst;
  out.num_src = block.num_src;
  out.csr = kernels::DeviceCsr::FromCsr(*csr, block.num_src, device);
  if (options.gcn_norm) {
    std::vector<int64_t> out_degree(static_cast<size_t>(block.num_src), 0);
    if (src_out_degree != nullptr) {
      HALO_CHECK(static_cast<int64_t>(src_out_degree->size()) == block.num_src);
      out_degree = *src_out_degree;
    } else {
      for (core::NodeId u : csr->indices) ++out_degree[static_cast<size_t>(u)];
    }
    std::vector<float> w(csr->indices.size());
    for (int64_t v = 0; v < block.num_dst; ++v) {
      const double in_degree = static_cast<double>(csr->degree(v));
      for (core::EdgeId e = csr->indptr[v]; e < csr->indptr[v + 1]; ++e) {
        const double du = static_cast<double>(out_degree[static_cast<size_t>(csr->indices[e])]);
        w[static_cast<size_t>(e)] = static_cast<float>(1.0 / std::sqrt(du * in_degree));
      }
    }
    out.edge_weight = core::Tensor::FromVector(w, static_cast<int64_t>(w.size()), 1, device);
  }
  return out;
}

}  // namespace halo::trainer
