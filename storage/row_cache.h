// RowCache: a fixed-size, direct-mapped cache of feature rows by global node ID, for rows that
// come from remote stores again and again (neighbors beyond the local halo). Rows never change,
// so a hit is always exact; a row whose slot another ID takes is simply fetched again.
//
//   RowCache cache(/*capacity_rows=*/1 << 20, /*dim=*/128);
//   if (!cache.Lookup(id, row)) { ... fetch ...; cache.Insert(id, row); }
//
// Memory: capacity_rows x (dim floats + one ID). Thread-safety: every method is safe from many
// threads (striped locks).
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace halo::storage {

class RowCache {
 public:
  // capacity_rows 0 makes every call a no-op miss.
  RowCache(int64_t capacity_rows, int64_t dim);
  int64_t capacity() const { return capacity_; }
  int64_t dim() const { return dim_; }
  // Copies the row of `id` to `out` (dim floats) when cached.
  bool Lookup(int64_t id, float* out) const;
  // Caches `row` (dim floats) as `id`'s, replacing whatever held its slot.
  void Insert(int64_t id, const float* row);
  int64_t hits() const { return hits_; }
  int64_t misses() const { return misses_; }

 private:
  size_t Slot(int64_t id) const;
  std::mutex& LockOf(size_t slot) const { return locks_[slot % kStripes]; }

  static constexpr size_t kStripes = 64;
  int64_t capacity_;
  int64_t dim_;
  std::vector<int64_t> ids_;  // -1 = empty slot
  std::vector<float> rows_;
  mutable std::unique_ptr<std::mutex[]> locks_;
  mutable std::atomic<int64_t> hits_{0}, misses_{0};
};

}  // namespace halo::storage
