#include "sampler/dist_neighbor_source.h"

#include <algorithm>
#include <string>

#include "core/check.h"

namespace halo::sampler {

namespace {

// Hop distance from the inner nodes over the local in-CSR, up to `max_hops`. Rows of nodes closer
// than L are complete, so this BFS retraces the partitioner's own halo expansion.
std::vector<int> LocalHopDistance(const core::Csr& csr, int64_t num_inner, int max_hops) {
  std::vector<int> dist(static_cast<size_t>(csr.num_rows()), -1);
  std::vector<NodeId> frontier;
  for (int64_t v = 0; v < num_inner; ++v) {
    dist[static_cast<size_t>(v)] = 0;
    frontier.push_back(v);
  }
  for (int d = 0; d < max_hops && !frontier.empty(); ++d) {
    std::vector<NodeId> next;
    for (NodeId v : frontier) {
      for (core::EdgeId e = csr.indptr[v]; e < csr.indptr[v + 1]; ++e) {
        const NodeId u = csr.indices[e];
        if (dist[static_cast<size_t>(u)] >= 0) continue;
        dist[static_cast<size_t>(u)] = d + 1;
        next.push_back(u);
      }
    }
    frontier.swap(next);
  }
  return dist;
}

}  // namespace

DistNeighborSource::DistNeighborSource(const core::Csr* csr,
                                       const std::vector<NodeId>* local_to_global,
                                       int64_t num_inner, int halo_hops, int64_t num_global_nodes,
                                       const storage::StoreClient* remote)
    : csr_(csr),
      local_to_global_(local_to_global),
      num_inner_(num_inner),
      node_begin_(num_inner > 0 ? (*local_to_global)[0] : 0),
      num_global_nodes_(num_global_nodes),
      remote_(remote),
      local_(csr, local_to_global) {
  HALO_CHECK(csr != nullptr && local_to_global != nullptr);
  HALO_CHECK(static_cast<int64_t>(local_to_global->size()) == csr->num_rows());
  const std::vector<int> dist = LocalHopDistance(*csr, num_inner, halo_hops);
  complete_.assign(dist.size(), 0);
  for (size_t l = 0; l < dist.size(); ++l) {
    // L = 0: inner rows are all there is (Cluster-GCN); otherwise distance < L is complete.
    complete_[l] = halo_hops == 0 ? (static_cast<int64_t>(l) < num_inner)
                                  : (dist[l] >= 0 && dist[l] < halo_hops);
  }
}

int64_t DistNeighborSource::ToLocal(NodeId global) const {
  if (global >= node_begin_ && global < node_begin_ + num_inner_) return global - node_begin_;
  const auto begin = local_to_global_->begin() + num_inner_;
  const auto it = std::lower_bound(begin, local_to_global_->end(), global);
  if (it == local_to_global_->end() || *it != global) return -1;
  return num_inner_ + (it - begin);
}

core::Status DistNeighborSource::SampleInNeighbors(const std::vector<NodeId>& nodes, int64_t fanout,
                                                   bool replace, uint64_t seed,
                                                   std::vector<int64_t>* offsets,
                                                   std::vector<NodeId>* neighbors,
                                                   std::vector<int64_t>* edge_ids) const {
  HALO_CHECK(offsets != nullptr && neighbors != nullptr);
  if (fanout < -1) {
    return core::Status::InvalidArgument("fanout must be -1 (all neighbors) or >= 0, got " +
                                         std::to_string(fanout));
  }
  if (edge_ids != nullptr) edge_ids->clear();
  const size_t n = nodes.size();
  // Split: local rows (complete here) and the rest, each side sampled in one call.
  std::vector<NodeId> local_nodes, remote_nodes;
  std::vector<size_t> local_pos, remote_pos;
  for (size_t i = 0; i < n; ++i) {
    const NodeId g = nodes[i];
    if (g < 0 || g >= num_global_nodes_) {
      return core::Status::OutOfRange("node " + std::to_string(g) + " is outside [0, " +
                                      std::to_string(num_global_nodes_) + ")");
    }
    const int64_t l = ToLocal(g);
    if (l >= 0 && (complete_[static_cast<size_t>(l)] || remote_ == nullptr)) {
      local_nodes.push_back(l);
      local_pos.push_back(i);
    } else if (remote_ != nullptr) {
      remote_nodes.push_back(g);
      remote_pos.push_back(i);
    }
  }
  storage::SampledNeighbors local, remote;
  if (!local_nodes.empty()) {
    HALO_RETURN_IF_ERROR(local_.SampleInNeighbors(local_nodes, fanout, replace, seed,
                                                  &local.offsets, &local.neighbors, nullptr));
  }
  if (!remote_nodes.empty()) {
    num_remote_rows_ += static_cast<int64_t>(remote_nodes.size());
    HALO_ASSIGN_OR_RETURN(
        remote, remote_->SampleNeighbors(remote_nodes, static_cast<int>(fanout), replace, seed));
  }
  // Interleave both answers back into request order.
  std::vector<int64_t> counts(n, 0);
  for (size_t j = 0; j < local_pos.size(); ++j) {
    counts[local_pos[j]] = local.offsets[j + 1] - local.offsets[j];
  }
  for (size_t j = 0; j < remote_pos.size(); ++j) {
    counts[remote_pos[j]] = remote.offsets[j + 1] - remote.offsets[j];
  }
  offsets->assign(n + 1, 0);
  for (size_t i = 0; i < n; ++i) (*offsets)[i + 1] = (*offsets)[i] + counts[i];
  neighbors->resize(static_cast<size_t>(offsets->back()));
  auto place = [&](const storage::SampledNeighbors& part, const std::vector<size_t>& pos) {
    for (size_t j = 0; j < pos.size(); ++j) {
      std::copy(part.neighbors.begin() + part.offsets[j],
                part.neighbors.begin() + part.offsets[j + 1],
                neighbors->begin() + (*offsets)[pos[j]]);
    }
  };
  place(local, local_pos);
  place(remote, remote_pos);
  return core::Status::OK();
}

}  // namespace halo::sampler
