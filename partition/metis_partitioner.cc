#include "partition/metis_partitioner.h"

#include <metis.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <type_traits>

#include "core/random.h"

namespace halo::partition {

using core::Csr;
using core::EdgeId;
using core::NodeId;
using core::PartId;
using core::Result;
using core::Status;

static_assert(std::is_same_v<idx_t, MetisIdx>, "MetisIdx must match METIS's idx_t");

namespace {

constexpr int64_t kMaxMetisIndex = std::numeric_limits<MetisIdx>::max();

Status CheckMetisBounds(int64_t nodes, int64_t entries) {
  if (nodes >= kMaxMetisIndex || entries >= kMaxMetisIndex) {
    return Status::OutOfRange(
        "graph too large for METIS's 32-bit indices: " + std::to_string(nodes) + " nodes and " +
        std::to_string(entries) + " adjacency entries (limit " + std::to_string(kMaxMetisIndex) +
        "); use --method=random or a METIS built with IDXTYPEWIDTH=64");
  }
  return Status::OK();
}

}  // namespace

Result<MetisGraph> BuildMetisGraph(const Csr& in_csr, bool already_symmetric) {
  const int64_t n = in_csr.num_rows();
  MetisGraph g;
  g.xadj.assign(static_cast<size_t>(n) + 1, 0);
  if (already_symmetric) {
    HALO_RETURN_IF_ERROR(CheckMetisBounds(n, in_csr.num_entries()));
    g.adjncy.reserve(static_cast<size_t>(in_csr.num_entries()));
    for (int64_t v = 0; v < n; ++v) {
      for (EdgeId e = in_csr.indptr[v]; e < in_csr.indptr[v + 1]; ++e) {
        const NodeId u = in_csr.indices[e];
        if (u != v) g.adjncy.push_back(static_cast<MetisIdx>(u));
      }
      g.xadj[v + 1] = static_cast<MetisIdx>(g.adjncy.size());
    }
    return g;
  }
  // Union of in-neighbors (the CSR rows) and out-neighbors (its transpose), without self-loops.
  HALO_RETURN_IF_ERROR(CheckMetisBounds(n, 2 * in_csr.num_entries()));
  std::vector<EdgeId> out_ptr(static_cast<size_t>(n) + 1, 0);
  for (NodeId u : in_csr.indices) ++out_ptr[static_cast<size_t>(u) + 1];
  std::partial_sum(out_ptr.begin(), out_ptr.end(), out_ptr.begin());
  std::vector<MetisIdx> out_idx(static_cast<size_t>(in_csr.num_entries()));
  {
    std::vector<EdgeId> cursor(out_ptr.begin(), out_ptr.end() - 1);
    for (int64_t v = 0; v < n; ++v) {  // v ascending, so each out-row comes out sorted
      for (EdgeId e = in_csr.indptr[v]; e < in_csr.indptr[v + 1]; ++e) {
        out_idx[static_cast<size_t>(cursor[static_cast<size_t>(in_csr.indices[e])]++)] =
            static_cast<MetisIdx>(v);
      }
    }
  }
  g.adjncy.reserve(static_cast<size_t>(2 * in_csr.num_entries()));
  for (int64_t v = 0; v < n; ++v) {
    const NodeId* a = in_csr.indices.data() + in_csr.indptr[v];
    const NodeId* a_end = in_csr.indices.data() + in_csr.indptr[v + 1];
    const MetisIdx* b = out_idx.data() + out_ptr[v];
    const MetisIdx* b_end = out_idx.data() + out_ptr[v + 1];
    NodeId last = -1;
    while (a != a_end || b != b_end) {  // merge two sorted lists, dropping repeats
      NodeId next;
      if (b == b_end || (a != a_end && *a <= *b)) {
        next = *a++;
      } else {
        next = *b++;
      }
      if (next == v || next == last) continue;
      g.adjncy.push_back(static_cast<MetisIdx>(next));
      last = next;
    }
    g.xadj[v + 1] = static_cast<MetisIdx>(g.adjncy.size());
  }
  return g;
}

Result<std::vector<PartId>> MetisPartition(const MetisGraph& graph,
                                           const std::vector<MetisIdx>& vertex_weights,
                                           int num_constraints, const MetisOptions& options) {
  const int64_t n = graph.num_nodes();
  if (options.num_parts < 1) {
    return Status::InvalidArgument("num_parts must be >= 1, got " +
                                   std::to_string(options.num_parts));
  }
  if (options.num_parts > n) {
    return Status::InvalidArgument("num_parts " + std::to_string(options.num_parts) +
                                   " exceeds the number of nodes " + std::to_string(n));
  }
  if (!vertex_weights.empty() &&
      static_cast<int64_t>(vertex_weights.size()) != n * num_constraints) {
    return Status::InvalidArgument("vertex weights: expected " + std::to_string(n) + " x " +
                                   std::to_string(num_constraints) + " values");
  }
  std::vector<PartId> parts(static_cast<size_t>(n), 0);
  if (options.num_parts == 1) return parts;

  idx_t metis_options[METIS_NOPTIONS];
  METIS_SetDefaultOptions(metis_options);
  metis_options[METIS_OPTION_OBJTYPE] =
      options.objective == "vol" ? METIS_OBJTYPE_VOL : METIS_OBJTYPE_CUT;
  metis_options[METIS_OPTION_SEED] = static_cast<idx_t>(options.seed & 0x7fffffff);
  metis_options[METIS_OPTION_NUMBERING] = 0;
  metis_options[METIS_OPTION_CONTIG] = 0;

  idx_t nvtxs = static_cast<idx_t>(n);
  idx_t ncon = vertex_weights.empty() ? 1 : num_constraints;
  idx_t nparts = options.num_parts;
  std::vector<real_t> ubvec(static_cast<size_t>(ncon), static_cast<real_t>(options.imbalance));
  idx_t objval = 0;
  std::vector<idx_t> assignment(static_cast<size_t>(n), 0);
  // METIS takes non-const pointers but does not modify its inputs.
  auto* xadj = const_cast<idx_t*>(graph.xadj.data());
  auto* adjncy = const_cast<idx_t*>(graph.adjncy.data());
  auto* vwgt = vertex_weights.empty() ? nullptr : const_cast<idx_t*>(vertex_weights.data());
  const int rc = METIS_PartGraphKway(&nvtxs, &ncon, xadj, adjncy, vwgt, /*vsize=*/nullptr,
                                     /*adjwgt=*/nullptr, &nparts, /*tpwgts=*/nullptr, ubvec.data(),
                                     metis_options, &objval, assignment.data());
  switch (rc) {
    case METIS_OK:
      break;
    case METIS_ERROR_INPUT:
      return Status::InvalidArgument("METIS rejected its input graph");
    case METIS_ERROR_MEMORY:
      return Status::Internal("METIS ran out of memory");
    default:
      return Status::Internal("METIS failed (code " + std::to_string(rc) + ")");
  }
  for (int64_t i = 0; i < n; ++i)
    parts[static_cast<size_t>(i)] = assignment[static_cast<size_t>(i)];
  return parts;
}

std::vector<PartId> RandomPartition(int64_t num_nodes, int32_t num_parts, uint64_t seed) {
  std::vector<NodeId> perm(static_cast<size_t>(num_nodes));
  std::iota(perm.begin(), perm.end(), 0);
  core::Rng rng(seed);
  for (int64_t i = num_nodes - 1; i > 0; --i) {  // Fisher-Yates
    const auto j = static_cast<int64_t>(rng.Uniform(static_cast<uint64_t>(i + 1)));
    std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(j)]);
  }
  std::vector<PartId> parts(static_cast<size_t>(num_nodes));
  for (int64_t i = 0; i < num_nodes; ++i) {
    // Position i of the permutation goes to chunk floor(i * k / n): sizes differ by at most 1.
    parts[static_cast<size_t>(perm[static_cast<size_t>(i)])] =
        static_cast<PartId>((static_cast<__int128>(i) * num_parts) / num_nodes);
  }
  return parts;
}

int64_t CountEdgeCut(const MetisGraph& graph, const std::vector<PartId>& parts) {
  int64_t cut = 0;
  const int64_t n = graph.num_nodes();
  for (int64_t v = 0; v < n; ++v) {
    for (MetisIdx e = graph.xadj[v]; e < graph.xadj[v + 1]; ++e) {
      const MetisIdx u = graph.adjncy[e];
      if (u > v && parts[static_cast<size_t>(u)] != parts[static_cast<size_t>(v)]) ++cut;
    }
  }
  return cut;
}

}  // namespace halo::partition
