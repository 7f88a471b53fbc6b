#include "partition/halo.h"

#include <algorithm>
#include <cstring>

namespace halo::partition {

using core::EdgeId;
using core::NodeId;

LocalPart BuildLocalPart(const core::Csr& in_csr, const GraphData& graph, const Relabeling& relabel,
                         core::PartId part, int halo_hops, HaloScratch* scratch) {
  const int64_t n = in_csr.num_rows();
  if (static_cast<int64_t>(scratch->dist.size()) != n) {
    scratch->dist.assign(static_cast<size_t>(n), -1);
    scratch->local_id.assign(static_cast<size_t>(n), -1);
  }
  auto& dist = scratch->dist;
  auto& local_id = scratch->local_id;
  auto& touched = scratch->touched;
  touched.clear();

  const NodeId begin = relabel.offsets[static_cast<size_t>(part)];
  const NodeId end = relabel.offsets[static_cast<size_t>(part) + 1];
  LocalPart lp;
  lp.num_inner = end - begin;

  // BFS over in-edges, level by level, in input IDs. `order` lists reached nodes: inner first.
  std::vector<NodeId> order;
  order.reserve(static_cast<size_t>(lp.num_inner));
  for (NodeId g = begin; g < end; ++g) {
    const NodeId old = relabel.old_of_new[static_cast<size_t>(g)];
    dist[static_cast<size_t>(old)] = 0;
    local_id[static_cast<size_t>(old)] = g - begin;
    touched.push_back(old);
    order.push_back(old);
  }
  size_t level_begin = 0;
  for (int d = 0; d < halo_hops; ++d) {
    const size_t level_end = order.size();
    for (size_t i = level_begin; i < level_end; ++i) {
      const NodeId v = order[i];
      for (EdgeId e = in_csr.indptr[v]; e < in_csr.indptr[v + 1]; ++e) {
        const NodeId u = in_csr.indices[e];
        if (dist[static_cast<size_t>(u)] >= 0) continue;
        dist[static_cast<size_t>(u)] = static_cast<int8_t>(d + 1);
        touched.push_back(u);
        order.push_back(u);
      }
    }
    level_begin = level_end;
  }
  // Halo nodes get local IDs in ascending global ID order.
  auto halo_begin = order.begin() + lp.num_inner;
  std::sort(halo_begin, order.end(), [&](NodeId a, NodeId b) {
    return relabel.new_of_old[static_cast<size_t>(a)] < relabel.new_of_old[static_cast<size_t>(b)];
  });
  const int64_t num_local = static_cast<int64_t>(order.size());
  lp.local_to_global.resize(static_cast<size_t>(num_local));
  lp.is_inner.assign(static_cast<size_t>(num_local), 0);
  for (int64_t l = 0; l < num_local; ++l) {
    const NodeId old = order[static_cast<size_t>(l)];
    local_id[static_cast<size_t>(old)] = l;
    lp.local_to_global[static_cast<size_t>(l)] = relabel.new_of_old[static_cast<size_t>(old)];
    if (l < lp.num_inner) lp.is_inner[static_cast<size_t>(l)] = 1;
  }

  // Rows: nodes at distance < L keep all in-edges (L = 0: inner rows keep inner sources only).
  const bool weighted = in_csr.weighted();
  auto keeps_edges = [&](NodeId v) {
    return halo_hops == 0 || dist[static_cast<size_t>(v)] < halo_hops;
  };
  EdgeId reserve = 0;
  for (NodeId v : order) {
    if (keeps_edges(v)) reserve += in_csr.degree(v);
  }
  lp.in_csr.indptr.assign(static_cast<size_t>(num_local) + 1, 0);
  lp.in_csr.indices.reserve(static_cast<size_t>(reserve));
  if (weighted) lp.in_csr.weights.reserve(static_cast<size_t>(reserve));
  std::vector<std::pair<NodeId, float>> weighted_row;
  for (int64_t l = 0; l < num_local; ++l) {
    const NodeId v = order[static_cast<size_t>(l)];
    if (keeps_edges(v)) {
      const size_t row_begin = lp.in_csr.indices.size();
      if (weighted) {
        weighted_row.clear();
        for (EdgeId e = in_csr.indptr[v]; e < in_csr.indptr[v + 1]; ++e) {
          const NodeId u = in_csr.indices[e];
          if (dist[static_cast<size_t>(u)] < 0) continue;  // only with L = 0: a remote source
          weighted_row.emplace_back(local_id[static_cast<size_t>(u)], in_csr.weights[e]);
        }
        std::sort(weighted_row.begin(), weighted_row.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        for (const auto& [u, w] : weighted_row) {
          lp.in_csr.indices.push_back(u);
          lp.in_csr.weights.push_back(w);
        }
      } else {
        for (EdgeId e = in_csr.indptr[v]; e < in_csr.indptr[v + 1]; ++e) {
          const NodeId u = in_csr.indices[e];
          if (dist[static_cast<size_t>(u)] < 0) continue;  // only with L = 0: a remote source
          lp.in_csr.indices.push_back(local_id[static_cast<size_t>(u)]);
        }
        std::sort(lp.in_csr.indices.begin() + static_cast<std::ptrdiff_t>(row_begin),
                  lp.in_csr.indices.end());
      }
    }
    lp.in_csr.indptr[static_cast<size_t>(l) + 1] = static_cast<EdgeId>(lp.in_csr.indices.size());
  }

  // Node data of inner rows.
  lp.feature_dim = graph.feature_dim;
  const auto dim = static_cast<size_t>(graph.feature_dim);
  if (dim > 0) lp.features.resize(static_cast<size_t>(lp.num_inner) * dim);
  if (!graph.labels.empty()) lp.labels.resize(static_cast<size_t>(lp.num_inner));
  if (!graph.train_mask.empty()) lp.train_mask.resize(static_cast<size_t>(lp.num_inner));
  if (!graph.val_mask.empty()) lp.val_mask.resize(static_cast<size_t>(lp.num_inner));
  if (!graph.test_mask.empty()) lp.test_mask.resize(static_cast<size_t>(lp.num_inner));
  for (int64_t l = 0; l < lp.num_inner; ++l) {
    const auto old = static_cast<size_t>(order[static_cast<size_t>(l)]);
    const auto i = static_cast<size_t>(l);
    if (dim > 0) {
      std::memcpy(lp.features.data() + i * dim, graph.features.data() + old * dim,
                  dim * sizeof(float));
    }
    if (!lp.labels.empty()) lp.labels[i] = graph.labels[old];
    if (!lp.train_mask.empty()) lp.train_mask[i] = graph.train_mask[old];
    if (!lp.val_mask.empty()) lp.val_mask[i] = graph.val_mask[old];
    if (!lp.test_mask.empty()) lp.test_mask[i] = graph.test_mask[old];
  }

  for (NodeId t : touched) {
    dist[static_cast<size_t>(t)] = -1;
    local_id[static_cast<size_t>(t)] = -1;
  }
  return lp;
}

}  // namespace halo::partition
