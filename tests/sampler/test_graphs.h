// Graphs and checks shared by the sampler tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "core/csr.h"
#include "core/types.h"

namespace halo::sampler::testing {

using core::NodeId;

// An in-CSR over n nodes whose rows have distinct in-neighbors and a degree drawn uniformly
// from [min_degree, max_degree] (max_degree < n).
inline core::Csr RandomGraph(int64_t n, int64_t min_degree, int64_t max_degree, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<NodeId> rows, cols;
  for (NodeId v = 0; v < n; ++v) {
    const int64_t degree =
        min_degree +
        static_cast<int64_t>(rng() % static_cast<uint64_t>(max_degree - min_degree + 1));
    std::set<NodeId> picked;
    while (static_cast<int64_t>(picked.size()) < degree) {
      picked.insert(static_cast<NodeId>(rng() % static_cast<uint64_t>(n)));
    }
    for (NodeId u : picked) {
      rows.push_back(v);
      cols.push_back(u);
    }
  }
  return core::BuildCsr(n, rows, cols, {}, /*dedupe=*/true);
}

// Whether u is an in-neighbor of v (rows are sorted).
inline bool HasEdge(const core::Csr& csr, NodeId v, NodeId u) {
  return std::binary_search(csr.indices.begin() + csr.indptr[v],
                            csr.indices.begin() + csr.indptr[v + 1], u);
}

// 0, 1, ..., n-1.
inline std::vector<NodeId> Iota(int64_t n) {
  std::vector<NodeId> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ids[i] = i;
  return ids;
}

}  // namespace halo::sampler::testing
