// ShardMap: where each row of a table lives for a given number of shards (its Routing), and where
// inside its shard (a dense local index, so a shard stores its rows in flat arrays).
//
//   ShardMap map(spec.routing, spec.num_rows, /*num_shards=*/3);
//   int shard = map.Shard(row);          // 0..2
//   int64_t slot = map.LocalIndex(row);  // 0..map.NumLocalRows(shard)-1 on that shard
//
// The client routes pulls and pushes with it; a shard uses it to allocate and find its rows, and a
// restore onto a different shard count re-routes every row of a snapshot with a new ShardMap.
// Rows must be in [0, num_rows) (checked by callers: Contains). Thread-safety: immutable.
#pragma once

#include <cstdint>
#include <vector>

#include "ps/table_spec.h"

namespace halo::ps {

class ShardMap {
 public:
  // `routing` must be valid for `num_rows` (ValidateTableSpec); num_shards >= 1.
  ShardMap(Routing routing, int64_t num_rows, int num_shards);

  int num_shards() const { return num_shards_; }
  int64_t num_rows() const { return num_rows_; }
  bool Contains(int64_t row) const { return row >= 0 && row < num_rows_; }
  int Shard(int64_t row) const;
  // The row's index among the rows of its shard.
  int64_t LocalIndex(int64_t row) const;
  int64_t NumLocalRows(int shard) const;
  // The rows of `shard` in local-index order.
  std::vector<int64_t> LocalRows(int shard) const;

 private:
  size_t RangeOf(int64_t row) const;

  Routing routing_;
  int64_t num_rows_;
  int num_shards_;
  std::vector<int64_t> range_base_;  // kRanges: local index of the first row of each range
};

}  // namespace halo::ps
