#include "kernels/cpu/transpose.h"

namespace halo::kernels::cpu {

Transposed Transpose(const CsrView& g) {
  Transposed t;
  t.indptr.assign(g.num_cols + 1, 0);
  t.dst.resize(g.num_edges);
  t.edge.resize(g.num_edges);
  const int64_t* indices = g.indices;
  for (int64_t e = 0; e < g.num_edges; ++e) ++t.indptr[indices[e] + 1];
  for (int64_t u = 0; u < g.num_cols; ++u) t.indptr[u + 1] += t.indptr[u];
  // Scatter in edge order with a moving cursor per source, so each source's entries ascend in e.
  std::vector<int64_t> cursor(t.indptr.begin(), t.indptr.end() - 1);
  for (int64_t v = 0; v < g.num_rows; ++v) {
    for (int64_t e = g.indptr[v]; e < g.indptr[v + 1]; ++e) {
      const int64_t pos = cursor[indices[e]]++;
      t.dst[pos] = v;
      t.edge[pos] = e;
    }
  }
  return t;
}

}  // namespace halo::kernels::cpu
