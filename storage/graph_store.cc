#include "storage/graph_store.h"

#include <algorithm>

#include "core/partition_book.h"
#include "core/random.h"
#include "core/row_sampling.h"
#include "storage/part_arrays.h"

namespace halo::storage {

using core::NodeId;
using core::Result;
using core::Status;

Result<std::unique_ptr<GraphStore>> GraphStore::Open(const std::string& partition_dir,
                                                     core::PartId part) {
  HALO_ASSIGN_OR_RETURN(core::PartitionMeta meta, core::ReadPartitionMeta(partition_dir));
  if (part < 0 || part >= meta.num_parts) {
    return Status::InvalidArgument(partition_dir + ": part " + std::to_string(part) +
                                   " does not exist (" + std::to_string(meta.num_parts) +
                                   " parts)");
  }
  const core::PartInfo& info = meta.parts[static_cast<size_t>(part)];
  const std::string where = partition_dir + "/" + info.dir;
  const int64_t num_local = info.num_inner + info.num_halo;
  std::unique_ptr<GraphStore> g(new GraphStore());
  g->part_ = part;
  g->node_begin_ = info.node_begin;
  g->num_inner_ = info.num_inner;
  HALO_RETURN_IF_ERROR(
      ReadPartFile(partition_dir, info, "indptr", true, num_local + 1, &g->csr_.indptr));
  HALO_RETURN_IF_ERROR(
      ReadPartFile(partition_dir, info, "indices", true, info.num_local_edges, &g->csr_.indices));
  HALO_RETURN_IF_ERROR(ReadPartFile(partition_dir, info, "edge_weight", false, info.num_local_edges,
                                    &g->csr_.weights));
  HALO_RETURN_IF_ERROR(g->csr_.Validate(num_local, where + " (in-CSR)"));
  HALO_RETURN_IF_ERROR(
      ReadPartFile(partition_dir, info, "local_to_global", true, num_local, &g->local_to_global_));
  std::vector<uint8_t> is_inner;
  HALO_RETURN_IF_ERROR(ReadPartFile(partition_dir, info, "is_inner", true, num_local, &is_inner));
  for (int64_t l = 0; l < num_local; ++l) {
    const bool inner = l < info.num_inner;
    const NodeId gid = g->local_to_global_[static_cast<size_t>(l)];
    const bool ok = (is_inner[static_cast<size_t>(l)] != 0) == inner &&
                    (inner ? gid == info.node_begin + l
                           : (gid < info.node_begin || gid >= info.node_end) && gid >= 0 &&
                                 gid < meta.num_nodes &&
                                 (l == info.num_inner || gid > g->local_to_global_[l - 1]));
    if (!ok) {
      return Status::Corruption(where + ": local node " + std::to_string(l) + " (global " +
                                std::to_string(gid) +
                                ") breaks the inner-then-ascending-halo layout");
    }
  }
  return g;
}

int64_t GraphStore::GlobalToLocal(NodeId global) const {
  if (IsInner(global)) return global - node_begin_;
  auto first = local_to_global_.begin() + num_inner_;
  auto it = std::lower_bound(first, local_to_global_.end(), global);
  if (it == local_to_global_.end() || *it != global) return -1;
  return static_cast<int64_t>(it - local_to_global_.begin());
}

std::vector<int64_t> GraphStore::InnerInDegrees() const {
  std::vector<int64_t> deg(static_cast<size_t>(num_inner_));
  for (int64_t r = 0; r < num_inner_; ++r) deg[static_cast<size_t>(r)] = csr_.degree(r);
  return deg;
}

Status GraphStore::InNeighbors(NodeId global, std::vector<NodeId>* out) const {
  if (!IsInner(global)) {
    return Status::OutOfRange("global ID " + std::to_string(global) +
                              " is not an inner node of part " + std::to_string(part_) + " [" +
                              std::to_string(node_begin()) + ", " + std::to_string(node_end()) +
                              ")");
  }
  const int64_t row = global - node_begin_;
  out->clear();
  for (int64_t e = csr_.indptr[row]; e < csr_.indptr[row + 1]; ++e) {
    out->push_back(local_to_global_[static_cast<size_t>(csr_.indices[e])]);
  }
  return Status::OK();
}

Status GraphStore::SampleInNeighbors(const NodeId* seeds, size_t n, int fanout, bool replace,
                                     uint64_t seed, SampledNeighbors* out) const {
  for (size_t i = 0; i < n; ++i) {
    if (!IsInner(seeds[i])) {
      return Status::OutOfRange("seed " + std::to_string(seeds[i]) + " (position " +
                                std::to_string(i) + ") is not an inner node of part " +
                                std::to_string(part_) + " [" + std::to_string(node_begin()) + ", " +
                                std::to_string(node_end()) + ")");
    }
  }
  out->offsets.assign(1, 0);
  out->offsets.reserve(n + 1);
  out->neighbors.clear();
  if (fanout >= 0) {
    out->neighbors.reserve(std::min<size_t>(n * static_cast<size_t>(fanout), size_t{1} << 24));
  }
  // Draws depend only on (seed, global node ID): core's row sampling, the same routine the
  // local sampler uses.
  std::vector<int64_t> picks;
  core::PositionSet scratch;
  const NodeId* l2g = local_to_global_.data();
  const NodeId* cols = csr_.indices.data();
  for (size_t i = 0; i < n; ++i) {
    const int64_t row = seeds[i] - node_begin_;
    const int64_t begin = csr_.indptr[row];
    const int64_t d = csr_.indptr[row + 1] - begin;
    picks.resize(static_cast<size_t>(core::SampleCount(d, fanout, replace)));
    core::Rng rng(core::DeriveSeed(seed, static_cast<uint64_t>(seeds[i])));
    core::SampleRowPositions(d, fanout, replace, &rng, &scratch, picks.data());
    for (int64_t p : picks) out->neighbors.push_back(l2g[cols[begin + p]]);
    out->offsets.push_back(static_cast<int64_t>(out->neighbors.size()));
  }
  return Status::OK();
}

}  // namespace halo::storage
