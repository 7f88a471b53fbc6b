// ID compaction for block construction: assigns local IDs 0, 1, 2, ... to node IDs in the order
// they are first seen. An open-addressing hash table (linear probing), so its memory follows the
// minibatch, not the graph.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/types.h"

namespace halo::sampler {

using core::NodeId;

class NodeIdMap {
 public:
  // `expected_size` sizes the table up front; it grows as needed.
  explicit NodeIdMap(int64_t expected_size = 0);

  // The local ID of `id` (>= 0), assigned as size() when first seen.
  int64_t Insert(NodeId id);
  // The local ID of `id`, or -1 when it has not been inserted.
  int64_t Find(NodeId id) const;

  int64_t size() const { return static_cast<int64_t>(ids_.size()); }
  // Local ID -> node ID.
  const std::vector<NodeId>& ids() const { return ids_; }
  std::vector<NodeId> TakeIds() { return std::move(ids_); }

 private:
  static constexpr NodeId kEmpty = -1;

  size_t Slot(NodeId id) const;
  void Grow();

  std::vector<NodeId> keys_;     // kEmpty or a node ID
  std::vector<int64_t> values_;  // local ID of keys_[i]
  std::vector<NodeId> ids_;
  size_t mask_ = 0;
  int shift_ = 0;
};

}  // namespace halo::sampler
