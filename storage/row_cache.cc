#include "storage/row_cache.h"

#include <algorithm>

#include "core/random.h"

namespace halo::storage {

RowCache::RowCache(int64_t capacity_rows, int64_t dim)
    : capacity_(std::max<int64_t>(capacity_rows, 0)),
      dim_(dim),
      ids_(static_cast<size_t>(capacity_), -1),
      rows_(static_cast<size_t>(capacity_ * dim)),
      locks_(new std::mutex[kStripes]) {}

size_t RowCache::Slot(int64_t id) const {
  // Mixed first: node IDs are dense, and neighbors of one batch often share low bits.
  return static_cast<size_t>(core::SplitMix64(static_cast<uint64_t>(id)) %
                             static_cast<uint64_t>(capacity_));
}

bool RowCache::Lookup(int64_t id, float* out) const {
  if (capacity_ == 0) return false;
  const size_t slot = Slot(id);
  {
    std::lock_guard<std::mutex> lock(LockOf(slot));
    if (ids_[slot] == id) {
      std::copy_n(rows_.data() + static_cast<int64_t>(slot) * dim_, dim_, out);
      ++hits_;
      return true;
    }
  }
  ++misses_;
  return false;
}

void RowCache::Insert(int64_t id, const float* row) {
  if (capacity_ == 0) return;
  const size_t slot = Slot(id);
  std::lock_guard<std::mutex> lock(LockOf(slot));
  ids_[slot] = id;
  std::copy_n(row, dim_, rows_.data() + static_cast<int64_t>(slot) * dim_);
}

}  // namespace halo::storage
