#include "kernels/cpu/transpose.h"

#include <omp.h>

#include <algorithm>

#include "kernels/cpu/parallel.h"

namespace halo::kernels::cpu {

namespace {

void TransposeSerial(const CsrView& g, Transposed* t) {
  const int64_t* indices = g.indices;
  for (int64_t e = 0; e < g.num_edges; ++e) ++t->indptr[indices[e] + 1];
  for (int64_t u = 0; u < g.num_cols; ++u) t->indptr[u + 1] += t->indptr[u];
  // Scatter in edge order with a moving cursor per source, so each source's entries ascend in e.
  std::vector<int64_t> cursor(t->indptr.begin(), t->indptr.end() - 1);
  for (int64_t v = 0; v < g.num_rows; ++v) {
    for (int64_t e = g.indptr[v]; e < g.indptr[v + 1]; ++e) {
      const int64_t pos = cursor[indices[e]]++;
      t->dst[pos] = v;
      t->edge[pos] = e;
    }
  }
}

// The same layout as TransposeSerial, built by `parts` tasks that each own a contiguous block of
// rows: per-part histograms give every part its own cursor range inside each source's segment,
// and part p's range precedes part p+1's, so entries still ascend in e. No atomics.
void TransposeParallel(const CsrView& g, int64_t parts, Transposed* t) {
  const int64_t num_cols = g.num_cols;
  const int64_t* indptr = g.indptr;
  const int64_t* indices = g.indices;
  // Row blocks with about equal edge counts.
  std::vector<int64_t> first_row(parts + 1);
  for (int64_t p = 0; p <= parts; ++p) {
    const int64_t target = g.num_edges / parts * p;
    first_row[p] = std::lower_bound(indptr, indptr + g.num_rows + 1, target) - indptr;
  }
  first_row[0] = 0;
  first_row[parts] = g.num_rows;
  for (int64_t p = 1; p <= parts; ++p) first_row[p] = std::max(first_row[p], first_row[p - 1]);

  std::vector<int64_t> cursor(parts * num_cols, 0);
#pragma omp parallel for schedule(static, 1)
  for (int64_t p = 0; p < parts; ++p) {
    int64_t* count = cursor.data() + p * num_cols;
    for (int64_t e = indptr[first_row[p]]; e < indptr[first_row[p + 1]]; ++e) ++count[indices[e]];
  }
  for (int64_t u = 0; u < num_cols; ++u) {
    int64_t total = 0;
    for (int64_t p = 0; p < parts; ++p) total += cursor[p * num_cols + u];
    t->indptr[u + 1] = t->indptr[u] + total;
  }
#pragma omp parallel for schedule(static)
  for (int64_t u = 0; u < num_cols; ++u) {
    int64_t run = t->indptr[u];
    for (int64_t p = 0; p < parts; ++p) {
      const int64_t c = cursor[p * num_cols + u];
      cursor[p * num_cols + u] = run;
      run += c;
    }
  }
#pragma omp parallel for schedule(static, 1)
  for (int64_t p = 0; p < parts; ++p) {
    int64_t* next = cursor.data() + p * num_cols;
    for (int64_t v = first_row[p]; v < first_row[p + 1]; ++v) {
      for (int64_t e = indptr[v]; e < indptr[v + 1]; ++e) {
        const int64_t pos = next[indices[e]]++;
        t->dst[pos] = v;
        t->edge[pos] = e;
      }
    }
  }
}

}  // namespace

Transposed Transpose(const CsrView& g) {
  Transposed t;
  t.indptr.assign(g.num_cols + 1, 0);
  t.dst.reset(new int64_t[g.num_edges]);
  t.edge.reset(new int64_t[g.num_edges]);
  if (g.num_edges == 0) return t;
  // Per-part histograms cost parts * num_cols: use them only while that stays within a small
  // multiple of the edge count (always, for a few threads and a real graph).
  int64_t parts = WorthParallel(g.num_edges) ? omp_get_max_threads() : 1;
  while (parts > 1 && parts * g.num_cols > 4 * g.num_edges) parts /= 2;
  if (parts <= 1) {
    TransposeSerial(g, &t);
  } else {
    TransposeParallel(g, parts, &t);
  }
  return t;
}

}  // namespace halo::kernels::cpu
