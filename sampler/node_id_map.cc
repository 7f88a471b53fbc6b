#include "sampler/node_id_map.h"

#include <algorithm>
#include <utility>

#include "core/check.h"

namespace halo::sampler {
namespace {

constexpr size_t kMinCapacity = 16;

}  // namespace

NodeIdMap::NodeIdMap(int64_t expected_size) {
  // Load factor at most 1/2 keeps linear probes short.
  size_t capacity = kMinCapacity;
  while (capacity < 2 * static_cast<size_t>(std::max<int64_t>(expected_size, 0))) capacity *= 2;
  keys_.assign(capacity, kEmpty);
  values_.resize(capacity);
  mask_ = capacity - 1;
  shift_ = 64 - __builtin_ctzll(capacity);
  ids_.reserve(static_cast<size_t>(std::max<int64_t>(expected_size, 0)));
}

size_t NodeIdMap::Slot(NodeId id) const {
  // Fibonacci hashing: the top bits of id * 2^64/phi spread consecutive IDs over the table.
  return static_cast<size_t>((static_cast<uint64_t>(id) * 0x9E3779B97F4A7C15ULL) >> shift_);
}

int64_t NodeIdMap::Insert(NodeId id) {
  HALO_CHECK(id >= 0) << "node ID " << id;
  size_t slot = Slot(id);
  while (true) {
    if (keys_[slot] == id) return values_[slot];
    if (keys_[slot] == kEmpty) break;
    slot = (slot + 1) & mask_;
  }
  const int64_t local = size();
  keys_[slot] = id;
  values_[slot] = local;
  ids_.push_back(id);
  if (2 * ids_.size() > keys_.size()) Grow();
  return local;
}

int64_t NodeIdMap::Find(NodeId id) const {
  if (id < 0) return -1;
  size_t slot = Slot(id);
  while (keys_[slot] != kEmpty) {
    if (keys_[slot] == id) return values_[slot];
    slot = (slot + 1) & mask_;
  }
  return -1;
}

void NodeIdMap::Grow() {
  const size_t capacity = keys_.size() * 2;
  keys_.assign(capacity, kEmpty);
  values_.resize(capacity);
  mask_ = capacity - 1;
  shift_ -= 1;
  // ids_ holds every key in local-ID order: reinsert from it.
  for (size_t local = 0; local < ids_.size(); ++local) {
    size_t slot = Slot(ids_[local]);
    while (keys_[slot] != kEmpty) slot = (slot + 1) & mask_;
    keys_[slot] = ids_[local];
    values_[slot] = static_cast<int64_t>(local);
  }
}

}  // namespace halo::sampler
