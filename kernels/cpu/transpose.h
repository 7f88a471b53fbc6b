// Internal to kernels/cpu: the transpose (CSC view) of an in-CSR, so that gradients flowing back
// to sources can be accumulated by one thread per source row: no atomics, deterministic sums.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/csr_view.h"

namespace halo::kernels::cpu {

struct Transposed {
  std::vector<int64_t> indptr;  // num_cols + 1: source u's entries are [indptr[u], indptr[u+1])
  // Left uninitialized until filled (a vector would zero them first, a wasted pass over 16 B/edge).
  std::unique_ptr<int64_t[]> dst;   // destination v of each entry
  std::unique_ptr<int64_t[]> edge;  // CSR position e of each entry, ascending within a source
};

// Counting sort over the edges, O(num_rows + num_cols + num_edges).
Transposed Transpose(const CsrView& g);

}  // namespace halo::kernels::cpu
