#include "partition/prepare.h"

#include <omp.h>

#include <algorithm>
#include <numeric>

namespace halo::partition {

using core::Csr;
using core::EdgeId;
using core::Result;
using core::Status;

Result<SelfLoops> ParseSelfLoops(const std::string& name) {
  if (name == "keep") return SelfLoops::kKeep;
  if (name == "remove") return SelfLoops::kRemove;
  if (name == "add") return SelfLoops::kAdd;
  return Status::InvalidArgument("unknown self-loop mode '" + name + "' (use keep, remove or add)");
}

const char* SelfLoopsName(SelfLoops mode) {
  switch (mode) {
    case SelfLoops::kKeep:
      return "keep";
    case SelfLoops::kRemove:
      return "remove";
    case SelfLoops::kAdd:
      return "add";
  }
  return "?";
}

namespace {

// Sorts every row by column (stable, so the first of duplicate entries keeps its weight), drops
// duplicates, and compacts the arrays. Rows are independent: sorted in parallel.
void SortAndDedupeRows(Csr* csr) {
  const int64_t n = csr->num_rows();
  const bool weighted = csr->weighted();
  std::vector<EdgeId> kept(static_cast<size_t>(n) + 1, 0);
#pragma omp parallel
  {
    std::vector<std::pair<NodeId, float>> scratch;
#pragma omp for schedule(dynamic, 1024)
    for (int64_t r = 0; r < n; ++r) {
      const EdgeId begin = csr->indptr[r], end = csr->indptr[r + 1];
      NodeId* cols = csr->indices.data() + begin;
      const size_t len = static_cast<size_t>(end - begin);
      size_t write = 0;
      if (weighted) {
        float* w = csr->weights.data() + begin;
        scratch.resize(len);
        for (size_t i = 0; i < len; ++i) scratch[i] = {cols[i], w[i]};
        std::stable_sort(scratch.begin(), scratch.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        for (size_t i = 0; i < len; ++i) {
          if (i > 0 && scratch[i].first == scratch[i - 1].first) continue;
          cols[write] = scratch[i].first;
          w[write] = scratch[i].second;
          ++write;
        }
      } else {
        std::sort(cols, cols + len);
        write = static_cast<size_t>(std::unique(cols, cols + len) - cols);
      }
      kept[static_cast<size_t>(r) + 1] = static_cast<EdgeId>(write);
    }
  }
  // Compact rows leftwards; every row moves to an offset <= its old one.
  EdgeId out = 0;
  for (int64_t r = 0; r < n; ++r) {
    const EdgeId begin = csr->indptr[r];
    const EdgeId len = kept[static_cast<size_t>(r) + 1];
    if (out != begin) {
      std::copy(csr->indices.begin() + begin, csr->indices.begin() + begin + len,
                csr->indices.begin() + out);
      if (weighted) {
        std::copy(csr->weights.begin() + begin, csr->weights.begin() + begin + len,
                  csr->weights.begin() + out);
      }
    }
    csr->indptr[r] = out;
    out += len;
  }
  csr->indptr[n] = out;
  csr->indices.resize(static_cast<size_t>(out));
  csr->indices.shrink_to_fit();
  if (weighted) {
    csr->weights.resize(static_cast<size_t>(out));
    csr->weights.shrink_to_fit();
  }
}

template <typename T>
void Release(std::vector<T>* v) {
  std::vector<T>().swap(*v);
}

}  // namespace

Result<Csr> PrepareGraph(GraphData* graph, const PrepareOptions& options) {
  const int64_t n = graph->num_nodes;
  const size_t m = graph->src.size();
  if (graph->dst.size() != m) {
    return Status::InvalidArgument("graph has " + std::to_string(m) + " sources but " +
                                   std::to_string(graph->dst.size()) + " destinations");
  }
  const bool weighted = !graph->edge_weight.empty();
  const bool both_ways = options.symmetrize && graph->directed;
  const bool drop_loops = options.self_loops != SelfLoops::kKeep;  // "add" re-adds one per node
  const bool add_loops = options.self_loops == SelfLoops::kAdd;
  const NodeId* src = graph->src.data();
  const NodeId* dst = graph->dst.data();

  // Counting sort by destination: count, prefix-sum, fill.
  Csr csr;
  csr.indptr.assign(static_cast<size_t>(n) + 1, 0);
  EdgeId* count = csr.indptr.data() + 1;
  for (size_t i = 0; i < m; ++i) {
    const NodeId u = src[i], v = dst[i];
    if (u < 0 || u >= n || v < 0 || v >= n) {
      return Status::OutOfRange("edge " + std::to_string(i) + " (" + std::to_string(u) + " -> " +
                                std::to_string(v) + ") has an endpoint outside [0, " +
                                std::to_string(n) + ")");
    }
    if (u == v && drop_loops) continue;
    ++count[v];
    if (both_ways && u != v) ++count[u];
  }
  if (add_loops) {
    for (int64_t v = 0; v < n; ++v) ++count[v];
  }
  std::partial_sum(csr.indptr.begin(), csr.indptr.end(), csr.indptr.begin());
  const EdgeId total = csr.indptr[static_cast<size_t>(n)];
  csr.indices.resize(static_cast<size_t>(total));
  if (weighted) csr.weights.resize(static_cast<size_t>(total));
  {
    std::vector<EdgeId> cursor(csr.indptr.begin(), csr.indptr.end() - 1);
    if (add_loops) {
      for (int64_t v = 0; v < n; ++v) {
        const EdgeId pos = cursor[static_cast<size_t>(v)]++;
        csr.indices[static_cast<size_t>(pos)] = v;
        if (weighted) csr.weights[static_cast<size_t>(pos)] = 1.0f;
      }
    }
    for (size_t i = 0; i < m; ++i) {
      const NodeId u = src[i], v = dst[i];
      if (u == v && drop_loops) continue;
      EdgeId pos = cursor[static_cast<size_t>(v)]++;
      csr.indices[static_cast<size_t>(pos)] = u;
      if (weighted) csr.weights[static_cast<size_t>(pos)] = graph->edge_weight[i];
      if (both_ways && u != v) {
        pos = cursor[static_cast<size_t>(u)]++;
        csr.indices[static_cast<size_t>(pos)] = v;
        if (weighted) csr.weights[static_cast<size_t>(pos)] = graph->edge_weight[i];
      }
    }
  }
  Release(&graph->src);
  Release(&graph->dst);
  Release(&graph->edge_weight);
  SortAndDedupeRows(&csr);
  return csr;
}

}  // namespace halo::partition
