// --format=npy: a directory of .npy arrays (edges as COO or CSR, optional node data).
#include <algorithm>
#include <cmath>
#include <memory>

#include "core/npy.h"
#include "partition/readers/reader.h"
#include "partition/readers/reader_util.h"

namespace halo::partition {

using core::Result;
using core::Status;
using readers_internal::BaseName;
using readers_internal::CheckDirectory;
using readers_internal::FindMaybeGz;

namespace {

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    text += (i > 0 ? ", " : "") + std::to_string(shape[i]);
  }
  return text + (shape.size() == 1 ? ",)" : ")");
}

// A vector, or an n x 1 column (as some exporters write labels).
Status CheckVector(const std::string& path, const std::vector<int64_t>& shape) {
  if (shape.size() == 1 || (shape.size() == 2 && shape[1] == 1)) return Status::OK();
  return Status::InvalidArgument(path + ": expected a 1-D array, got shape " + ShapeText(shape));
}

template <typename T>
Result<std::vector<T>> ReadVector(const std::string& path) {
  std::vector<int64_t> shape;
  HALO_ASSIGN_OR_RETURN(std::vector<T> values, core::ReadNpyAs<T>(path, &shape));
  HALO_RETURN_IF_ERROR(CheckVector(path, shape));
  return values;
}

Status CheckLength(const std::string& path, size_t got, int64_t want, const std::string& why) {
  if (static_cast<int64_t>(got) == want) return Status::OK();
  return Status::InvalidArgument(path + ": " + std::to_string(got) + " elements, expected " +
                                 std::to_string(want) + " (" + why + ")");
}

// Every ID in [0, limit); `limit` < 0 means only non-negativity is checked.
Status CheckIds(const std::string& path, const std::vector<int64_t>& ids, int64_t limit,
                const std::string& why) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || (limit >= 0 && ids[i] >= limit)) {
      return Status::InvalidArgument(
          path + ": element " + std::to_string(i) + " = " + std::to_string(ids[i]) +
          (ids[i] < 0 ? " is negative"
                      : " out of range [0, " + std::to_string(limit) + ") (" + why + ")"));
    }
  }
  return Status::OK();
}

// Both files of a pair, or NotFound naming the missing one.
Status RequirePair(const std::string& dir, const std::string& a, const std::string& a_path,
                   const std::string& b, const std::string& b_path) {
  if (a_path.empty()) return Status::NotFound(dir + "/" + a + ": missing (needed with " + b + ")");
  if (b_path.empty()) return Status::NotFound(dir + "/" + b + ": missing (needed with " + a + ")");
  return Status::OK();
}

Result<int64_t> ReadNumNodes(const std::string& path) {
  HALO_ASSIGN_OR_RETURN(std::vector<int64_t> values, core::ReadNpyAs<int64_t>(path));
  if (values.size() != 1) {
    return Status::InvalidArgument(path + ": expected 1 element (the node count), got " +
                                   std::to_string(values.size()));
  }
  if (values[0] < 0) {
    return Status::InvalidArgument(path + ": negative node count " + std::to_string(values[0]));
  }
  return values[0];
}

// Reads src/dst (COO) or indptr/indices (CSR) into graph->src/dst and sets num_nodes.
Status ReadEdges(const std::string& dir, GraphData* graph) {
  const std::string src_path = FindMaybeGz(dir + "/src.npy");
  const std::string dst_path = FindMaybeGz(dir + "/dst.npy");
  const std::string indptr_path = FindMaybeGz(dir + "/indptr.npy");
  const std::string indices_path = FindMaybeGz(dir + "/indices.npy");
  const std::string num_nodes_path = FindMaybeGz(dir + "/num_nodes.npy");
  const bool coo = !src_path.empty() || !dst_path.empty();
  const bool csr = !indptr_path.empty() || !indices_path.empty();
  if (coo && csr) {
    return Status::InvalidArgument(dir + ": holds both src/dst.npy and indptr/indices.npy; " +
                                   "keep one edge layout");
  }
  if (!coo && !csr) {
    return Status::NotFound(dir + ": no edges: expected src.npy + dst.npy or indptr.npy + " +
                            "indices.npy");
  }
  int64_t given_nodes = -1;
  if (!num_nodes_path.empty()) {
    HALO_ASSIGN_OR_RETURN(given_nodes, ReadNumNodes(num_nodes_path));
  }
  const std::string limit_why = BaseName(num_nodes_path);
  if (coo) {
    HALO_RETURN_IF_ERROR(RequirePair(dir, "src.npy", src_path, "dst.npy", dst_path));
    HALO_ASSIGN_OR_RETURN(graph->src, ReadVector<int64_t>(src_path));
    HALO_ASSIGN_OR_RETURN(graph->dst, ReadVector<int64_t>(dst_path));
    HALO_RETURN_IF_ERROR(CheckLength(dst_path, graph->dst.size(),
                                     static_cast<int64_t>(graph->src.size()),
                                     "one per edge, like " + BaseName(src_path)));
    HALO_RETURN_IF_ERROR(CheckIds(src_path, graph->src, given_nodes, limit_why));
    HALO_RETURN_IF_ERROR(CheckIds(dst_path, graph->dst, given_nodes, limit_why));
    int64_t max_id = -1;
    for (NodeId v : graph->src) max_id = std::max(max_id, v);
    for (NodeId v : graph->dst) max_id = std::max(max_id, v);
    graph->num_nodes = given_nodes >= 0 ? given_nodes : max_id + 1;
    return Status::OK();
  }
  HALO_RETURN_IF_ERROR(RequirePair(dir, "indptr.npy", indptr_path, "indices.npy", indices_path));
  HALO_ASSIGN_OR_RETURN(std::vector<int64_t> indptr, ReadVector<int64_t>(indptr_path));
  HALO_ASSIGN_OR_RETURN(graph->dst, ReadVector<int64_t>(indices_path));
  if (indptr.empty() || indptr[0] != 0) {
    return Status::InvalidArgument(indptr_path + ": must start with 0 (it has one entry per " +
                                   "row plus one)");
  }
  const int64_t rows = static_cast<int64_t>(indptr.size()) - 1;
  for (int64_t r = 0; r < rows; ++r) {
    if (indptr[r + 1] < indptr[r]) {
      return Status::InvalidArgument(indptr_path + ": decreases at element " +
                                     std::to_string(r + 1) + " (" + std::to_string(indptr[r]) +
                                     " -> " + std::to_string(indptr[r + 1]) + ")");
    }
  }
  if (indptr.back() != static_cast<int64_t>(graph->dst.size())) {
    return Status::InvalidArgument(indptr_path + ": ends at " + std::to_string(indptr.back()) +
                                   " but " + BaseName(indices_path) + " has " +
                                   std::to_string(graph->dst.size()) + " elements");
  }
  if (given_nodes >= 0 && rows != given_nodes) {
    return Status::InvalidArgument(indptr_path + ": " + std::to_string(rows) +
                                   " rows, but num_nodes.npy says " + std::to_string(given_nodes));
  }
  graph->num_nodes = rows;
  HALO_RETURN_IF_ERROR(
      CheckIds(indices_path, graph->dst, rows, "one row per node in " + BaseName(indptr_path)));
  graph->src.resize(graph->dst.size());
  for (int64_t r = 0; r < rows; ++r) {
    std::fill(graph->src.begin() + indptr[r], graph->src.begin() + indptr[r + 1], r);
  }
  return Status::OK();
}

// Node arrays must have one row per node; says where num_nodes came from when they do not.
std::string NodeCountWhy(const std::string& dir) {
  return FindMaybeGz(dir + "/num_nodes.npy").empty()
             ? "num_nodes = max node ID + 1 or the CSR row count; add num_nodes.npy for "
               "isolated nodes"
             : "num_nodes.npy";
}

Status ReadNodeData(const std::string& dir, GraphData* graph) {
  const int64_t n = graph->num_nodes;
  if (const std::string path = FindMaybeGz(dir + "/edge_weight.npy"); !path.empty()) {
    HALO_ASSIGN_OR_RETURN(graph->edge_weight, ReadVector<float>(path));
    HALO_RETURN_IF_ERROR(
        CheckLength(path, graph->edge_weight.size(), graph->num_edges(), "one per edge"));
    for (size_t i = 0; i < graph->edge_weight.size(); ++i) {
      if (!std::isfinite(graph->edge_weight[i])) {
        return Status::InvalidArgument(path + ": element " + std::to_string(i) + " is not finite");
      }
    }
  }
  if (const std::string path = FindMaybeGz(dir + "/feat.npy"); !path.empty()) {
    std::vector<int64_t> shape;
    HALO_ASSIGN_OR_RETURN(graph->features, core::ReadNpyAs<float>(path, &shape));
    if (shape.empty()) return Status::InvalidArgument(path + ": expected an n x d array");
    if (shape[0] != n) {
      return Status::InvalidArgument(path + ": shape " + ShapeText(shape) + " has " +
                                     std::to_string(shape[0]) + " rows, expected " +
                                     std::to_string(n) + " (" + NodeCountWhy(dir) + ")");
    }
    graph->feature_dim = n == 0 ? 0 : static_cast<int64_t>(graph->features.size()) / n;
    if (graph->feature_dim == 0) graph->features.clear();
  }
  if (const std::string path = FindMaybeGz(dir + "/label.npy"); !path.empty()) {
    HALO_ASSIGN_OR_RETURN(graph->labels, ReadVector<int64_t>(path));
    HALO_RETURN_IF_ERROR(CheckLength(path, graph->labels.size(), n, NodeCountWhy(dir)));
    for (size_t i = 0; i < graph->labels.size(); ++i) {
      if (graph->labels[i] < -1) {
        return Status::InvalidArgument(path + ": element " + std::to_string(i) + " = " +
                                       std::to_string(graph->labels[i]) +
                                       " out of range (labels are >= 0, or -1 for unlabeled)");
      }
      graph->num_classes = std::max(graph->num_classes, graph->labels[i] + 1);
    }
  }
  const char* kMaskNames[3] = {"train_mask.npy", "val_mask.npy", "test_mask.npy"};
  std::vector<uint8_t>* masks[3] = {&graph->train_mask, &graph->val_mask, &graph->test_mask};
  std::string paths[3], missing;
  for (int i = 0; i < 3; ++i) {
    paths[i] = FindMaybeGz(dir + "/" + kMaskNames[i]);
    if (paths[i].empty()) missing += (missing.empty() ? "" : ", ") + dir + "/" + kMaskNames[i];
  }
  if (missing.empty()) {
    for (int i = 0; i < 3; ++i) {
      HALO_ASSIGN_OR_RETURN(*masks[i], ReadVector<uint8_t>(paths[i]));
      HALO_RETURN_IF_ERROR(CheckLength(paths[i], masks[i]->size(), n, NodeCountWhy(dir)));
      for (size_t j = 0; j < masks[i]->size(); ++j) {
        if ((*masks[i])[j] > 1) {
          return Status::InvalidArgument(paths[i] + ": element " + std::to_string(j) + " = " +
                                         std::to_string((*masks[i])[j]) + ", expected 0 or 1");
        }
      }
    }
    for (int64_t v = 0; v < n; ++v) {
      const int in = graph->train_mask[v] + graph->val_mask[v] + graph->test_mask[v];
      if (in > 1) {
        return Status::InvalidArgument(dir + ": node " + std::to_string(v) +
                                       " is in more than one of train/val/test_mask.npy");
      }
    }
  } else if (!paths[0].empty() || !paths[1].empty() || !paths[2].empty()) {
    return Status::NotFound("missing split file(s) " + missing +
                            " (train, val and test masks go together)");
  }
  return Status::OK();
}

}  // namespace

Result<GraphData> ReadNpyDir(const std::string& dir) {
  HALO_RETURN_IF_ERROR(CheckDirectory(dir));
  GraphData graph;
  graph.name = BaseName(dir);
  graph.directed = true;
  HALO_RETURN_IF_ERROR(ReadEdges(dir, &graph));
  HALO_RETURN_IF_ERROR(ReadNodeData(dir, &graph));
  return graph;
}

}  // namespace halo::partition
