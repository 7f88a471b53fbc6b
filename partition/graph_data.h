// A graph as read from its source files, before partitioning: edges over compact node IDs
// 0..num_nodes-1, plus optional node data. Every reader produces one of these.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace halo::partition {

using core::NodeId;

struct GraphData {
  std::string name;
  int64_t num_nodes = 0;
  // Directed edges src[i] -> dst[i] as listed by the source (undirected formats list both
  // directions, or one: see `directed`). Duplicates and self-loops are kept; prepare removes them.
  std::vector<NodeId> src;
  std::vector<NodeId> dst;
  std::vector<float> edge_weight;  // empty, or one per edge
  // True when the source's edges are directed (edge lists, LINQS citations): the prepare step
  // then symmetrizes on request. False for formats that are undirected by definition (METIS,
  // Planetoid text), whose readers emit every edge in both directions.
  bool directed = true;

  // Compact ID -> ID in the source files. Empty means the identity (source IDs were 0..n-1).
  std::vector<int64_t> original_ids;

  int64_t feature_dim = 0;
  std::vector<float> features;  // num_nodes x feature_dim, row-major; empty when feature_dim == 0
  std::vector<int64_t> labels;  // empty, or one per node; -1 = unlabeled
  int64_t num_classes = 0;      // max label + 1 (0 without labels)
  std::vector<uint8_t> train_mask, val_mask, test_mask;  // empty, or one 0/1 per node

  int64_t num_edges() const { return static_cast<int64_t>(src.size()); }
  bool has_split() const { return !train_mask.empty(); }

  // Checks sizes and ranges: endpoints in [0, num_nodes), arrays of matching lengths, labels in
  // [-1, num_classes). `source` names the input in the message.
  core::Status Validate(const std::string& source) const;
};

}  // namespace halo::partition
